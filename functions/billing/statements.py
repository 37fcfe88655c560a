"""Monthly usage statements: what a tenant used in a billing month, from the calls stored for it.

A statement lists every session of the month (a call with a decision or a completion): its billable minutes and
ThunderPhone cost once its completion is stored, else named "no cost yet" (the outcome has not arrived; the hourly
backfill fills it in). Totals are split by channel, widget and number. A call belongs to the month its usage was
counted in (meter.py), else the month of its decision, in the billing time zone: so a statement's totals equal
the month's counters, which the caps are enforced with.

A month is final STATEMENT_FINAL_DAYS after it ends: the first statement built after that is kept (store.py) and
every later read returns it unchanged, whatever arrives late.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from functions.billing.months import bounds, month_of
from functions.billing.plan import Plan
from functions.billing.store import BillingStore
from functions.calls.read_model import CallRecord
from functions.common.csv_cells import write_table

NO_WIDGET, NO_NUMBER = "(none)", "(none)"
# Calls are placed in time by their decision (or start); a call counted into a month near its edge is still found.
_EDGE = timedelta(days=1)


class CallSource(Protocol):
    def tenant_calls(self, tenant_id: str, start: datetime, end: datetime) -> Iterable[CallRecord]: ...


class Totals(BaseModel):
    model_config = ConfigDict(frozen=True)

    sessions: int = 0
    billable_minutes: float = 0.0
    cost_cents: float = 0.0
    without_cost: int = 0  # sessions whose completion has not arrived: their minutes and cost are not known yet


class StatementLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    call_id: int
    at: datetime | None  # in the billing time zone
    channel: str | None
    widget_id: str | None
    number: str | None  # the ThunderPhone number called (phone calls)
    decision: str | None  # config / fallback / capped
    status: Literal["costed", "no cost yet"]
    billable_minutes: float | None
    cost_cents: float | None


class Statement(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: str
    month: str
    timezone: str
    final: bool  # kept as it is: never changes again
    generated_at: datetime
    totals: Totals
    by_channel: dict[str, Totals]
    by_widget: dict[str, Totals]
    by_number: dict[str, Totals]
    plan: Plan | None = None
    lines: list[StatementLine]


def _totals(lines: Sequence[StatementLine]) -> Totals:
    costed = [line for line in lines if line.status == "costed"]
    return Totals(
        sessions=len(lines),
        billable_minutes=round(sum(line.billable_minutes or 0 for line in costed), 4),
        cost_cents=round(sum(line.cost_cents or 0 for line in costed), 4),
        without_cost=len(lines) - len(costed),
    )


def _split(lines: Sequence[StatementLine], part: str, empty: str) -> dict[str, Totals]:
    groups: dict[str, list[StatementLine]] = defaultdict(list)
    for line in lines:
        groups[str(getattr(line, part) or empty)].append(line)
    return {name: _totals(group) for name, group in sorted(groups.items())}


def month_of_record(record: CallRecord, zone: ZoneInfo) -> str | None:
    if record.usage_month:
        return record.usage_month
    at = record.at
    return month_of(at, zone) if at is not None else None


def build_statement(
    tenant_id: str,
    month: str,
    records: Iterable[CallRecord],
    *,
    zone: ZoneInfo,
    now: datetime,
    final: bool = False,
    plan: Plan | None = None,
) -> Statement:
    lines = [
        StatementLine(
            call_id=record.call_id,
            at=record.at.astimezone(zone) if record.at else None,
            channel=record.channel,
            widget_id=record.widget_id,
            number=record.to_number if record.channel == "phone" else None,
            decision=record.decision,
            status="costed" if record.has_completion else "no cost yet",
            billable_minutes=record.billable_minutes if record.has_completion else None,
            cost_cents=record.billing_total_cents if record.has_completion else None,
        )
        for record in records
        if record.tenant_id == tenant_id and month_of_record(record, zone) == month
    ]
    lines.sort(key=lambda line: (line.at is None, line.at or now, line.call_id))
    return Statement(
        tenant_id=tenant_id,
        month=month,
        timezone=zone.key,
        final=final,
        generated_at=now,
        totals=_totals(lines),
        by_channel=_split(lines, "channel", "unknown"),
        by_widget=_split(lines, "widget_id", NO_WIDGET),
        by_number=_split(lines, "number", NO_NUMBER),
        plan=plan,
        lines=lines,
    )


def is_final(month: str, *, zone: ZoneInfo, final_days: int, now: datetime) -> bool:
    return now >= bounds(month, zone)[1] + timedelta(days=final_days)


def statement(
    tenant_id: str,
    month: str,
    *,
    calls: CallSource,
    billing: BillingStore,
    zone: ZoneInfo,
    final_days: int,
    now: datetime,
    keep: bool = True,
) -> Statement:
    """The month's statement; a final month's as it was first kept. StoreUnavailable when DynamoDB fails.
    `keep=False` (the tenant API, which may not write billing items) only reads a kept one, never keeps one."""
    final = is_final(month, zone=zone, final_days=final_days, now=now)
    if final:
        kept = billing.final_statement(tenant_id, month)
        if kept is not None:
            return Statement.model_validate(kept)
    start, end = bounds(month, zone)
    records = calls.tenant_calls(tenant_id, start - _EDGE, end + _EDGE)
    plan = billing.read(tenant_id).plan
    built = build_statement(tenant_id, month, records, zone=zone, now=now, final=final, plan=plan)
    if final and keep and not billing.keep_final(tenant_id, month, built.model_dump(mode="json")):
        kept = billing.final_statement(tenant_id, month)  # another reader kept it first: theirs stands
        if kept is not None:
            return Statement.model_validate(kept)
    return built


CSV_COLUMNS = (
    "tenant_id",
    "month",
    "call_id",
    "time",
    "channel",
    "widget",
    "number",
    "decision",
    "status",
    "billable_minutes",
    "cost_cents",
)


def _number(value: float | None) -> str:
    """4, not 4.0; 2.5 stays 2.5; empty when not known yet."""
    return "" if value is None else f"{value:g}"


def statements_csv(statements: Iterable[Statement]) -> str:
    """One row per call of every statement (times in the billing time zone, with their offset)."""
    rows = [
        {
            "tenant_id": each.tenant_id,
            "month": each.month,
            "call_id": line.call_id,
            "time": line.at.isoformat(timespec="seconds") if line.at else "",
            "channel": line.channel,
            "widget": line.widget_id,
            "number": line.number,
            "decision": line.decision,
            "status": line.status,
            "billable_minutes": _number(line.billable_minutes),
            "cost_cents": _number(line.cost_cents),
        }
        for each in statements
        for line in each.lines
    ]
    out = io.StringIO()
    write_table(out, CSV_COLUMNS, rows)
    return out.getvalue()
