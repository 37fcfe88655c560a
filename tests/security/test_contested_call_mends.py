"""Predicted call ids against the backfill and the operator's assignment: a phone call ThunderPhone says reached
the victim's number is never stored under a tenant that only predicted its id; an assignment cannot be changed
once made; events the assigned tenant cannot take stay set aside instead of disappearing; and what the backfill
finds contested waits for the operator as visibly as the recorder's contested events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from functions.common import table
from functions.common.clock import iso
from tests.fixtures import tenants as demo
from tests.fixtures.aws import CALLS_TABLE_NAME, emulated_aws, get_call
from tests.fixtures.decisions import DecisionSubscription
from tests.fixtures.thunderphone import FakeThunderPhone
from tests.security.conftest import MALLORY, VICTIM, Clock, Invoke, body

ORG = f"/webhooks/{demo.ORG_TOKEN}"
CALLS = ("calls", "--calls-table", CALLS_TABLE_NAME)


@pytest.fixture
def decisions() -> Iterator[DecisionSubscription]:
    with DecisionSubscription() as subscription:
        yield subscription


@pytest.fixture
def aws(webhook_env: dict[str, str]) -> Iterator[dict[str, Any]]:
    with emulated_aws() as clients:
        yield clients


@pytest.fixture
def backfill(lambda_context: Any, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Any:
    """One backfill run over the hour around the clock's time, as `sbctl calls sync --restart` asks for it."""
    from functions.call_sync.handler import lambda_handler

    monkeypatch.setenv("SYNC_SAFETY_MARGIN_MS", "1000")
    start = clock.at

    def run() -> dict[str, Any]:
        window = {"start": iso(start - timedelta(hours=1)), "end": iso(start + timedelta(hours=1)), "restart": True}
        [report] = lambda_handler(window, lambda_context)["windows"]
        return dict(report)

    return run


def test_the_backfill_never_stores_a_phone_call_to_the_victims_number_under_the_tenant_that_predicted_it(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    clock: Clock,
    thunderphone_api: FakeThunderPhone,
    backfill: Any,
) -> None:
    start, call_id = clock.at.replace(microsecond=0), 62_001
    # Mallory claims the id seconds before the victim's phone call; the victim's decision never reaches the table.
    clock.at = start - timedelta(seconds=30)
    invoke(mallory_url, body("telephony.incoming", call_id=call_id, from_number="+14155550123", to_number=""))
    decisions.flush()
    thunderphone_api.add_call(
        call_id=call_id,
        direction="inbound",
        from_number=demo.VIP_CALLER,
        to_number=demo.DEMO_NUMBER,
        start_time=iso(start),
        duration_seconds=240,
        billable_minutes=4,
        billing_total_cents=36,
        grade_score=0.7,
    )
    clock.at = start

    report = backfill()

    assert (report["matched"], report["unmatched"], report["completions_filled"]) == (0, 1, 0)
    mallorys = get_call(aws["dynamodb"], MALLORY, call_id) or {}
    assert {"caller", "billing_total_cents", "duration_seconds", "grade_score"}.isdisjoint(mallorys)
    assert get_call(aws["dynamodb"], VICTIM, call_id) is None
    assert get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, call_id) is None
