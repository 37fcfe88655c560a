"""/admin/tenants/{id}/plan and /usage, /admin/usage: the operator's plans (caps) and monthly usage statements.

Only the operator reaches these (the admin API is IAM-authorised); the tenant API can read its own plan and usage,
never change them (functions/billing)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.billing.months import BadMonth, month_of
from functions.billing.operator import AllStatements, PlanView, every_statement, month_or_current, plan_view
from functions.billing.plan import Plan
from functions.billing.statements import Statement, statement
from functions.billing.store import BillingStore
from functions.calls.read_model import CallsReader
from functions.common.clock import utc_now
from functions.common.observability import logger
from functions.provisioning.dependencies import deps
from functions.provisioning.errors import InvalidRequest, NotConfigured
from functions.provisioning.routes.request import TenantIdPath, actor
from functions.provisioning.service import tenants

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

Month = Annotated[str | None, Query(max_length=7, description="YYYY-MM in the billing time zone; default: this month")]


def _store() -> BillingStore:
    return BillingStore(deps.dynamodb, deps.settings.TABLE_NAME)


def _calls() -> CallsReader:
    name = deps.settings.CALLS_TABLE_NAME
    if not name:
        raise NotConfigured("statements need the calls table: set CALLS_TABLE_NAME on the admin API")
    return CallsReader(deps.dynamodb, name)


def _month(month: str | None) -> str:
    try:
        return month_or_current(month, zone=deps.settings.billing_zone, now=utc_now())
    except BadMonth as exc:
        raise InvalidRequest(str(exc), fields={"month": [f"{exc}"]}) from None


def _existing(tenant_id: str) -> None:
    tenants.existing_tenant(tenant_id, deps.config_store(actor(router.current_event.raw_event)))


@router.get("/admin/tenants/<tenant_id>/plan")
def get_plan(tenant_id: TenantIdPath) -> PlanView:
    _existing(tenant_id)
    return plan_view(_store(), tenant_id, zone=deps.settings.billing_zone, now=utc_now())


@router.put("/admin/tenants/<tenant_id>/plan")
def put_plan(tenant_id: TenantIdPath, body: Plan) -> PlanView:
    _existing(tenant_id)
    who = actor(router.current_event.raw_event)
    store, now = _store(), utc_now()
    store.set_plan(tenant_id, body, actor=who, now=now, month=month_of(now, deps.settings.billing_zone))
    logger.info("plan set", extra={"tenant_id": tenant_id, "actor": who, "capped": body.capped})
    return plan_view(store, tenant_id, zone=deps.settings.billing_zone, now=now)


@router.delete("/admin/tenants/<tenant_id>/plan")
def delete_plan(tenant_id: TenantIdPath) -> Response[PlanView]:
    _existing(tenant_id)
    who = actor(router.current_event.raw_event)
    store, now = _store(), utc_now()
    store.remove_plan(tenant_id, actor=who, now=now)
    logger.info("plan removed", extra={"tenant_id": tenant_id, "actor": who})
    view = plan_view(store, tenant_id, zone=deps.settings.billing_zone, now=now)
    return Response(status_code=200, content_type="application/json", body=view)


@router.get("/admin/tenants/<tenant_id>/usage")
def tenant_usage(tenant_id: TenantIdPath, month: Month = None) -> Statement:
    _existing(tenant_id)
    settings = deps.settings
    return statement(
        tenant_id,
        _month(month),
        calls=_calls(),
        billing=_store(),
        zone=settings.billing_zone,
        final_days=settings.STATEMENT_FINAL_DAYS,
        now=utc_now(),
    )


@router.get("/admin/usage")
def all_usage(month: Month = None) -> AllStatements:
    settings = deps.settings
    listing = tenants.list_tenants(config=deps.config_store(actor(router.current_event.raw_event)))
    return every_statement(
        [tenant.tenant_id for tenant in listing.tenants],
        _month(month),
        calls=_calls(),
        billing=_store(),
        zone=settings.billing_zone,
        final_days=settings.STATEMENT_FINAL_DAYS,
        now=utc_now(),
    )
