"""The call report of the caller's tenant: which days (`days`, or `from`/`to`), then the report over the tenant's
own calls (a Query on its partition of the time index; never a Scan, never another tenant's calls)."""

from __future__ import annotations

from datetime import date, timedelta

from functions.calls.read_model import CallsReader
from functions.calls.report import Period, TenantReport, in_period, tenant_report
from functions.tenant_api.errors import BadRequest

DEFAULT_DAYS = 7
MAX_DAYS = 90  # `days`
MAX_RANGE_DAYS = 92  # `from`..`to`, inclusive: any three calendar months


def period_of(days: str | None, start: str | None, end: str | None, today: date) -> Period:
    """The report's days (inclusive; `today` is today in the zone the days are counted in) from the query string,
    or BadRequest saying what to send instead."""
    if days is not None and (start is not None or end is not None):
        raise BadRequest(
            "give either days or from and to, not both", fields={"days": ["leave out days when giving from and to"]}
        )
    if start is None and end is None:
        count = DEFAULT_DAYS if days is None else _days(days)
        return Period(start=today - timedelta(days=count - 1), end=today)
    if start is None or end is None:
        missing = "from" if start is None else "to"
        raise BadRequest(f"{missing} is missing: give both from and to", fields={missing: [f"{missing} is required"]})
    first, last = parse_day("from", start), parse_day("to", end)
    if last < first:
        raise BadRequest(f"to ({last}) is before from ({first})", fields={"to": ["to must be on or after from"]})
    length = (last - first).days + 1
    if length > MAX_RANGE_DAYS:
        raise BadRequest(
            f"from {first} to {last} is {length} days; a report covers at most {MAX_RANGE_DAYS} days",
            fields={"to": [f"to must be at most {MAX_RANGE_DAYS - 1} days after from"]},
        )
    return Period(start=first, end=last)


def _days(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_DAYS:
        raise BadRequest(
            f"days must be a whole number from 1 to {MAX_DAYS}",
            fields={"days": [f"days must be a whole number from 1 to {MAX_DAYS}"]},
        )
    return count


def parse_day(name: str, text: str) -> date:
    """A day written YYYY-MM-DD, or BadRequest naming the parameter."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"{name} must be a date like 2026-05-01", fields={name: [f"{name} must be a date like 2026-05-01"]}
        ) from None


def call_report(calls: CallsReader, tenant_id: str, period: Period) -> TenantReport:
    """The report of `tenant_id`'s calls in `period`; zeros when there were none."""
    records = [
        record
        for record in calls.tenant_calls(tenant_id, period.start_at, period.end_at)
        if record.tenant_id == tenant_id  # the partition is the tenant's; this only says so again
    ]
    return tenant_report(tenant_id, in_period(records, period), period)
