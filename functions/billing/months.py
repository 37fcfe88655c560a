"""Billing months: a calendar month in the operator's billing time zone, written YYYY-MM."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from functions.common.clock import aware

# Years 1900-2999: every month here and the one after it are dates Python can hold ("9999-12" has no next month).
_MONTH = re.compile(r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$")


class BadMonth(ValueError):
    """Not a month written YYYY-MM."""


def month_of(at: datetime, zone: ZoneInfo) -> str:
    """The billing month an instant falls in (a naive time is UTC)."""
    return aware(at).astimezone(zone).strftime("%Y-%m")


def parse_month(text: str) -> tuple[int, int]:
    if not _MONTH.match(text):
        raise BadMonth(f"month '{text[:20]}' is not a month written YYYY-MM, such as 2026-03")
    year, month = text.split("-")
    return int(year), int(month)


def next_month(month: str) -> str:
    year, number = parse_month(month)
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a billing month, in UTC: midnight of its first day to midnight of the next month's, there."""
    year, number = parse_month(month)
    following_year, following = parse_month(next_month(month))
    start = datetime(year, number, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(following_year, following, 1, tzinfo=zone).astimezone(UTC)
    return start, end
