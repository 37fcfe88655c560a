"""/tenant/v1/simulate and /tenant/v1/draft/impact: what a configuration answers, before anyone calls."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.tenant_api.dependencies import deps
from functions.tenant_api.models import SimulateRequest
from functions.tenant_api.routes.request import caller, json_response

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.post("/tenant/v1/simulate", summary="What the draft (or live) configuration answers for a call, and why")
def simulate(body: SimulateRequest) -> Response[Any]:
    return Response(200, "application/json", deps.previewer(caller(router)).simulate(body))


@router.get(
    "/tenant/v1/draft/impact",
    summary="Recent calls the draft would route differently, or whose callers would hear something else",
)
def impact(days: Annotated[int, Query(ge=1, le=90)] = 7) -> Response[Any]:
    return json_response(deps.previewer(caller(router)).impact(days, deps.settings.IMPACT_MAX_CALLS))
