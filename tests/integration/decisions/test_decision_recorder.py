"""Decisions reach the calls table from the webhook's answer log lines, through the recorder's real handler fed
a CloudWatch Logs subscription event: no answer waits for a write, and nothing is lost or written twice."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from functions.common.errors import StoreUnavailable
from local.examples import sample_body
from tests.fixtures import tenants as demo
from tests.fixtures.apigw import LambdaContext, to_event
from tests.fixtures.aws import SIGNING_SECRET, get_call
from tests.fixtures.decisions import deliver, subscribed, subscription_event
from tests.fixtures.outcomes import queued_outcome

pytestmark = pytest.mark.usefixtures("demo_tenant")


def answer(call_id: int) -> tuple[dict[str, Any], str]:
    """A signed VIP call answered by the webhook; returns the answer and the log line carrying its decision."""
    from functions.thunderphone.signing import sign
    from functions.webhook.handler import lambda_handler

    body = sample_body(
        event_type="telephony.incoming", call_id=call_id, from_number=demo.VIP_CALLER, to_number=demo.DEMO_NUMBER
    )
    headers = {"content-type": "application/json", "x-thunderphone-signature": sign(body, SIGNING_SECRET)}
    lines: list[str] = []
    with subscribed(lines.append):
        result = lambda_handler(
            to_event("POST", f"/webhooks/{demo.KEY_TOKEN}", headers, body, "127.0.0.1"), LambdaContext()
        )
    assert len(lines) == 1, "exactly one log line carries the answer's decision"
    return result, lines[0]


def test_an_answer_makes_no_aws_call_once_warm_and_its_line_is_the_decision(aws: dict[str, Any]) -> None:
    from functions.webhook.dependencies import deps

    answer(7000)  # warms the caches
    calls: list[str] = []
    for client in (deps.dynamodb, deps.secretsmanager):
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))

    result, line = answer(7001)

    assert json.loads(result["body"])["prompt"] and calls == []
    logged = json.loads(line)["decision"]
    assert (logged["tenant_id"], logged["call_id"], logged["rule_id"]) == (demo.TENANT_ID, 7001, "vip")
    assert demo.VIP_CALLER not in line  # the caller's number is never in a log line


def test_the_recorder_writes_each_decision_once_however_often_it_is_delivered(aws: dict[str, Any]) -> None:
    _, first = answer(7101)
    _, second = answer(7102)
    noise = json.dumps({"level": "INFO", "message": "webhook answered", "decision": {"call_id": 1, "tenant_id": "x"}})

    result = deliver([first, second, "not json", noise])
    again = deliver([first, second])

    # inline recording (conftest) wrote them as they were logged: the subscription's deliveries are duplicates
    assert result == {"recorded": 0, "duplicates": 2, "unreadable": 2, "set_aside": 0}
    assert again == {"recorded": 0, "duplicates": 2, "unreadable": 0, "set_aside": 0}
    item = get_call(aws["dynamodb"], demo.TENANT_ID, 7101)
    assert item is not None and (item["rule_id"], item["decision"]) == ("vip", "config")
    assert "caller" not in item  # it comes with the call's completion


def test_a_delivery_the_calls_table_refuses_fails_so_that_lambda_retries_it(aws: dict[str, Any]) -> None:
    from functions.decision_recorder.dependencies import deps

    line = json.dumps({"decision": _entry(7201)})
    with Stubber(deps.calls.client) as stubber:
        stubber.add_client_error("update_item", "ProvisionedThroughputExceededException", http_status_code=400)
        with pytest.raises(StoreUnavailable):
            deliver([line])

    assert deliver([line]) == {"recorded": 1, "duplicates": 0, "unreadable": 0, "set_aside": 0}
    assert get_call(aws["dynamodb"], "acme", 7201) is not None


def test_an_outcome_waits_for_its_calls_decision_then_is_attributed_to_the_decider(aws: dict[str, Any]) -> None:
    """A completion queued on the org-level route before its decision was recorded is put back, not billed to
    nobody; and as nothing but the decision places it (no number in the body), it waits until every decision
    taken at the call's start has had DECISION_SETTLE_SECONDS to arrive, then goes to the tenant that answered."""
    from functions.outcome_recorder import service
    from functions.outcome_recorder.dependencies import deps

    arrived = _now()
    data = {"call_id": 7301, "direction": "inbound", "status": "completed", "from_number": demo.VIP_CALLER}
    message = queued_outcome("telephony.complete", data, received_at=arrived)
    parts = {"calls": deps.calls, "directory": deps.directory, "quarantine": deps.quarantine}

    with pytest.raises(service.DecisionPending):
        service.record(message, **parts, contested=deps.contested, settle_seconds=120, now=arrived)
    deliver([json.dumps({"decision": _entry(7301, tenant_id=demo.TENANT_ID)})])
    with pytest.raises(service.DecisionPending):  # a rival claim taken at the start could still be on its way
        service.record(message, **parts, contested=deps.contested, settle_seconds=120, now=arrived)
    settled = arrived + timedelta(seconds=121)
    recorded = service.record(message, **parts, contested=deps.contested, settle_seconds=120, now=settled)

    assert (recorded.result, recorded.tenant_id) == ("stored", demo.TENANT_ID)
    item = get_call(aws["dynamodb"], demo.TENANT_ID, 7301)
    assert item is not None and item["caller"] == demo.VIP_CALLER and item["status"] == "completed"


def test_the_subscription_event_is_what_cloudwatch_logs_sends() -> None:
    event = subscription_event(["one", "two"])
    from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent

    decoded = CloudWatchLogsEvent(event).parse_logs_data()
    assert [entry.message for entry in decoded.log_events] == ["one", "two"]


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _entry(call_id: int, tenant_id: str = "acme") -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "call_id": call_id,
        "event_type": "telephony.incoming",
        "channel": "phone",
        "widget_id": None,
        "to_number": demo.DEMO_NUMBER,
        "decision": "config",
        "reason": "rule",
        "rule_id": "vip",
        "variant": None,
        "profile_id": "concierge",
        "profile_version": 1,
        "customer_known": True,
        "latency_ms": 3.2,
        "decided_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "config_version": 1,
        "stale": False,
    }
