"""The webhook's clock is a collaborator of its composition root: what "now" is decides business hours and the
decision's time, so a past call can be answered as it was answered then (the local demo's week of history).
Each test's deps.reset() (tests/conftest.py) gives it the real clock back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from functions.common.clock import utc_now
from functions.webhook import handler
from functions.webhook.dependencies import deps
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import signed_event, webhook_body
from tests.fixtures.aws import get_call

UNKNOWN_CALLER = "+12125550142"
TUESDAY_MORNING = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York: the office is open
SUNDAY_NIGHT = datetime(2026, 11, 29, 3, 30, tzinfo=UTC)  # Saturday 22:30 in New York: closed


def phone_call(call_id: int, lambda_context: Any) -> dict[str, Any]:
    body = webhook_body("telephony.incoming", call_id, UNKNOWN_CALLER, demo.DEMO_NUMBER)
    response = handler.lambda_handler(signed_event(f"/webhooks/{demo.ORG_TOKEN}", body), lambda_context)
    assert response["statusCode"] == 200
    return json.loads(response["body"])  # type: ignore[no-any-return]


def test_a_call_is_answered_and_recorded_as_of_the_injected_clock(
    demo_tenant: str, aws: dict[str, Any], lambda_context: Any
) -> None:
    # Given the webhook's clock set to a weekday morning, then to a Saturday night (New York time)
    deps.now = lambda: TUESDAY_MORNING
    open_answer = phone_call(4101, lambda_context)
    deps.now = lambda: SUNDAY_NIGHT
    closed_answer = phone_call(4102, lambda_context)

    # Then the first gets a receptionist of the greeting test, the second the after-hours agent
    assert "receptionist" in open_answer["prompt"] and "closed" not in open_answer["prompt"]
    assert "is closed (Saturday 22:30)" in closed_answer["prompt"]
    # And each decision is recorded at the moment the clock said
    open_call, closed_call = (get_call(aws["dynamodb"], demo.TENANT_ID, call_id) for call_id in (4101, 4102))
    assert open_call is not None and open_call["decided_at"] == "2026-11-24T15:00:00.000Z"
    assert open_call["rule_id"] == "greeting-test"
    assert closed_call is not None and closed_call["decided_at"] == "2026-11-29T03:30:00.000Z"
    assert closed_call["rule_id"] == "after-hours"


def test_reset_gives_the_webhook_the_real_clock_again() -> None:
    deps.now = lambda: SUNDAY_NIGHT
    deps.reset()
    assert deps.now is utc_now
