"""/tenant/v1/usage and /tenant/v1/plan: the tenant's own plan and month, read-only.

The plan (caps, what callers get at a cap) is the operator's: it is set through the admin API or
`sbctl --operator plan`, and every attempt to change it here is refused in words (403 operator_owned).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict

from functions.billing.months import BadMonth
from functions.billing.operator import PlanView, month_or_current, plan_view
from functions.billing.statements import Statement, statement
from functions.billing.store import BillingStore
from functions.common.clock import utc_now
from functions.tenant_api.dependencies import deps
from functions.tenant_api.errors import ApiError, BadRequest
from functions.tenant_api.routes.request import caller, json_response

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

Month = Annotated[str | None, Query(max_length=7, description="YYYY-MM in the billing time zone; default: this month")]
OPERATOR_OWNED = (
    "Your plan (its monthly limits and what callers hear at a limit) is set by your provider. "
    "Ask them to change it; you can see it here, and how much of it this month has used."
)


class PlanOwnedByOperator(ApiError):
    status, code = 403, "operator_owned"


class TenantUsage(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan: PlanView
    statement: Statement


def _store() -> BillingStore:
    return BillingStore(deps.dynamodb, deps.settings.TABLE_NAME)


@router.get("/tenant/v1/plan", summary="Your plan's monthly limits and this month's usage against them (read-only)")
def get_plan() -> Response[Any]:
    tenant_id = caller(router).tenant_id
    view = plan_view(_store(), tenant_id, zone=deps.settings.billing_zone, now=utc_now())
    return json_response(view.model_dump(mode="json"))


@router.route("/tenant/v1/plan", method=["PUT", "PATCH", "DELETE"], summary="Refused: only your provider changes it")
def change_plan() -> Response[Any]:
    raise PlanOwnedByOperator(OPERATOR_OWNED)


@router.get("/tenant/v1/usage", summary="Your usage statement for a month: sessions, minutes and cost (read-only)")
def get_usage(month: Month = None) -> Response[Any]:
    tenant_id = caller(router).tenant_id
    settings = deps.settings
    now = utc_now()
    try:
        chosen = month_or_current(month, zone=settings.billing_zone, now=now)
    except BadMonth:
        raise BadRequest(
            "Choose a month written as year and month, such as 2026-03.", fields={"month": ["such as 2026-03"]}
        ) from None
    store = _store()
    usage = TenantUsage(
        plan=plan_view(store, tenant_id, zone=settings.billing_zone, now=now),
        statement=statement(
            tenant_id,
            chosen,
            calls=deps.calls(),
            billing=store,
            zone=settings.billing_zone,
            final_days=settings.STATEMENT_FINAL_DAYS,
            now=now,
            keep=False,
        ),
    )
    return json_response(usage.model_dump(mode="json"))
