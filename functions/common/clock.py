"""Time as every function reads and writes it: aware UTC now, and one sortable text form."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(at: datetime) -> str:
    """UTC, milliseconds, 'Z': sorts as text (the calls table's time index relies on it); a naive time is UTC."""
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def aware(at: datetime) -> datetime:
    """`at` with a zone: a naive time (a payload that left its zone out) is read as UTC, as `iso` writes it."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
