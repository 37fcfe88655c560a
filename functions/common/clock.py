"""Time as every function reads and writes it: aware UTC now, one sortable text form, and the monotonic clock
that budgets, cache ages and waits are measured by."""

from __future__ import annotations

import time
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Protocol, TypeVar

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(at: datetime) -> str:
    """UTC, milliseconds, 'Z': sorts as text (the calls table's time index relies on it); a naive time is UTC."""
    at = aware(at).astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def aware(at: datetime) -> datetime:
    """`at` with a zone: a naive time (a payload that left its zone out) is read as UTC, as `iso` writes it."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class Monotonic(Protocol):
    """Monotonic seconds, and waits that end at an instant of the same clock. Code that keeps a budget, a TTL
    or a bound takes one, so that tests drive time by hand (tests/fixtures/clock.py) instead of by the
    machine's speed. Waits take a deadline rather than a timeout: "until 12.5" means the same thing however
    long the waiting thread took to get there."""

    def __call__(self) -> float: ...

    def result(self, future: Future[T], deadline: float | None) -> T:
        """`future`'s result, waiting until `deadline` (None: for as long as it takes); TimeoutError past it."""
        ...


class MonotonicClock:
    """The real one: time.monotonic(), and waits of real time."""

    def __call__(self) -> float:
        return time.monotonic()

    def result(self, future: Future[T], deadline: float | None) -> T:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        return future.result(timeout)


MONOTONIC = MonotonicClock()
