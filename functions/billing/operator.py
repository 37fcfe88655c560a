"""What the operator does with billing, for the admin API and `sbctl --operator` alike: read and set a tenant's
plan, and read a month's statements (one tenant's, or every tenant's)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from functions.billing.months import month_of, parse_month
from functions.billing.plan import Plan
from functions.billing.state import Usage
from functions.billing.statements import CallSource, Statement, statement
from functions.billing.store import BillingStore


class PlanView(BaseModel):
    """A tenant's plan as the operator (and, read-only, the tenant) sees it, with the month's usage against it."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    plan: Plan | None
    month: str
    timezone: str
    billable_minutes: float
    cost_cents: float
    calls_counted: int
    percent_used: dict[str, float]
    capped: bool  # the month has reached a cap: callers get the plan's at_cap answer (within one cache time)
    plan_problem: str | None = None


class AllStatements(BaseModel):
    model_config = ConfigDict(frozen=True)

    month: str
    timezone: str
    statements: list[Statement]


def plan_view(store: BillingStore, tenant_id: str, *, zone: ZoneInfo, now: datetime) -> PlanView:
    state = store.read(tenant_id)
    month = month_of(now, zone)
    used: Usage = state.used(month)
    return PlanView(
        tenant_id=tenant_id,
        plan=state.plan,
        month=month,
        timezone=zone.key,
        billable_minutes=round(used.minutes, 4),
        cost_cents=round(used.cents, 4),
        calls_counted=used.calls,
        percent_used=state.percent_used(month),
        capped=state.reached(month) is not None,
        plan_problem=state.plan_problem,
    )


def month_or_current(month: str | None, *, zone: ZoneInfo, now: datetime) -> str:
    """The month asked for (BadMonth when it is not YYYY-MM), else the current one in the billing time zone."""
    if month is None:
        return month_of(now, zone)
    parse_month(month)
    return month


def every_statement(
    tenant_ids: Iterable[str],
    month: str,
    *,
    calls: CallSource,
    billing: BillingStore,
    zone: ZoneInfo,
    final_days: int,
    now: datetime,
) -> AllStatements:
    statements = [
        statement(tenant_id, month, calls=calls, billing=billing, zone=zone, final_days=final_days, now=now)
        for tenant_id in sorted(set(tenant_ids))
    ]
    return AllStatements(month=month, timezone=zone.key, statements=statements)
