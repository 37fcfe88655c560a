"""/tenant/v1/calls/report: the tenant's own sessions, fallbacks, minutes, cost and A/B results for some days."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.common.clock import utc_now
from functions.tenant_api.dependencies import deps
from functions.tenant_api.routes.request import caller, json_response
from functions.tenant_api.service.reports import call_report, period_of

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

# Read as text and checked in service/reports.py, so every mistake is one 400 in words.
Days = Annotated[str | None, Query(max_length=12, description="The last N days up to today (UTC), 1 to 90; default 7.")]
FromDay = Annotated[
    str | None, Query(alias="from", max_length=12, description="First day, YYYY-MM-DD (UTC); with `to`.")
]
ToDay = Annotated[
    str | None, Query(max_length=12, description="Last day, YYYY-MM-DD (UTC, inclusive); at most 92 days in all.")
]


@router.get("/tenant/v1/calls/report", summary="Sessions, fallbacks, minutes, cost and A/B results of your calls")
def calls_report(days: Days = None, from_: FromDay = None, to: ToDay = None) -> Response[Any]:
    principal = caller(router)
    period = period_of(days, from_, to, utc_now().date())
    report = call_report(deps.calls(), principal.tenant_id, period)
    return json_response(report.model_dump(mode="json"))
