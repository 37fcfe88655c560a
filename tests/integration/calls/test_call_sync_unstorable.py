"""A call whose figures DynamoDB has no form for does not stop the backfill: it is counted and the window moves
on, instead of failing at the same page on every run."""

from __future__ import annotations

from typing import Any

from functions.call_sync.models import SyncRequest
from tests.fixtures.aws import get_call
from tests.integration.calls.test_call_sync import END, START, parts, run, seed

__all__ = ["parts"]  # the fixture, shared with test_call_sync


def test_a_call_with_a_figure_dynamodb_cannot_store_is_counted_and_the_window_finishes(parts: dict[str, Any]) -> None:
    ids = seed(parts["fake"], parts["log"], calls=3, decided=3)
    parts["fake"].calls[1]["billing_total_cents"] = 1e200  # beyond DynamoDB's largest number

    report = run(parts, SyncRequest(start=START, end=END))

    (window,) = report.windows
    assert window.finished and (window.matched, window.invalid, window.completions_filled) == (3, 1, 2)
    assert "billing_total_cents" not in (get_call(parts["client"], "acme", ids[1]) or {})
    assert (get_call(parts["client"], "acme", ids[2]) or {}).get("billing_total_cents") == 18
