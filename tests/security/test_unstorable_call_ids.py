"""One signed body must not stop decision recording: Mallory gets ThunderPhone to sign bodies whose call id no
ThunderPhone call can have (10^40 is beyond DynamoDB's 38 digits), sends them to her own URL, and hopes the
decision recorder chokes on the line her answer logs, so that no tenant's decision is recorded any more.

Call ids are checked at the door (1..2^63-1, a JSON integer); a decision line that can never be written (one
planted in the webhook's log group, say) is set aside once; and the log subscription, in AWS as in the local
run, retries a failing delivery a bounded number of times, then keeps it aside, never holding up later lines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures import tenants as demo
from tests.fixtures.aws import get_call
from tests.fixtures.decisions import DecisionSubscription
from tests.fixtures.outcomes import drain_outcomes, queued
from tests.security.conftest import MALLORY, VICTIM, Invoke

FORMS = ["1" + "0" * 40, str(2**63), "0", "-5", "1.0", "1e3", "true", '"1001"']
pytestmark = pytest.mark.subscribed_decisions  # decisions reach the calls table when `decisions` delivers them


def signed(event_type: str, call_id: str, **data: str) -> bytes:
    """A body as ThunderPhone signs it, with the call id written exactly as given."""
    rest = "".join(f',"{name}":{json.dumps(value)}' for name, value in sorted(data.items()))
    return b'{"data":{"call_id":' + call_id.encode() + rest.encode() + b'},"type":"' + event_type.encode() + b'"}'


def answer_line(invoke: Invoke, path: str, body: bytes, json_logs: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    status, answer = invoke(path, body)
    line = [entry for entry in json_logs() if entry.get("message", "").startswith("webhook answered")][-1]
    return status, answer, line


@pytest.mark.parametrize("call_id", FORMS)
def test_an_incoming_call_id_thunderphone_cannot_send_gets_the_fallback_and_no_decision(
    call_id: str, mallory_url: str, invoke: Invoke, json_logs: Any, decisions: DecisionSubscription
) -> None:
    status, answer, line = answer_line(
        invoke, mallory_url, signed("web.incoming", call_id, from_number="web", to_number=""), json_logs
    )

    assert (status, answer) == (200, {})  # the fallback, as for any malformed payload (tests/unit/webhook)
    assert "decision" not in line  # nothing for the recorder to choke on


@pytest.mark.parametrize("call_id", FORMS)
def test_an_outcome_event_for_such_a_call_id_is_acknowledged_and_never_queued(
    call_id: str, mallory_url: str, invoke: Invoke, aws: dict[str, Any]
) -> None:
    status, answer = invoke(mallory_url, signed("web.complete", call_id, status="completed"))

    # ThunderPhone retrying the same signed bytes would gain nothing; a 200 {} as for any malformed payload.
    assert (status, answer) == (200, {})
    assert queued(aws["sqs"], aws["sqs"].get_queue_url(QueueName="switchboard-outcomes")["QueueUrl"]) == []


def test_a_poisoned_decision_line_is_set_aside_once_and_later_tenants_decisions_are_recorded(
    mallory_url: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    json_logs: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Mallory's answer line, as it would be logged for call 10^40 had the door let it through (or as anyone who
    # can write the webhook's log group could plant it), reaches the recorder among the next answers.
    _, _, line = answer_line(
        invoke, mallory_url, signed("web.incoming", "31", from_number="web", to_number=""), json_logs
    )
    line["decision"]["call_id"] = 10**40
    decisions.inject(json.dumps(line))
    invoke(f"/webhooks/{demo.PRICING_TOKEN}", signed("web.incoming", "32", from_number="web", to_number=""))

    decisions.flush()
    # Later answers, of every tenant, are recorded on the next deliveries.
    invoke(f"/webhooks/{demo.PRICING_TOKEN}", signed("web.incoming", "33", from_number="web", to_number=""))
    decisions.flush()

    assert decisions.failed == []  # nothing is retried forever or handed to the failure queue
    for tenant_id, call_id in ((MALLORY, 31), (VICTIM, 32), (VICTIM, 33)):
        assert get_call(aws["dynamodb"], tenant_id, call_id) is not None
    set_aside = [entry for entry in json_logs() if entry["message"].startswith("decision set aside")]
    assert [(entry["tenant_id"], entry["call_id"]) for entry in set_aside] == [(MALLORY, str(10**40))]
    assert '"DecisionSetAside":[1.0]' in capsys.readouterr().out


def test_a_delivery_that_keeps_failing_is_retried_then_kept_aside_without_holding_up_later_lines(
    demo_tenant: str,
    invoke: Invoke,
    aws: dict[str, Any],
    decisions: DecisionSubscription,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.decision_recorder.dependencies import deps

    invoke(f"/webhooks/{demo.PRICING_TOKEN}", signed("web.incoming", "41", from_number="web", to_number=""))
    monkeypatch.setenv("CALLS_TABLE_NAME", "no-such-table")  # the calls table refuses every write
    deps.reset()

    decisions.flush()
    decisions.flush()
    decisions.flush()  # tried 1 + 2 times, as Lambda does, then handed to the failure queue
    monkeypatch.setenv("CALLS_TABLE_NAME", "switchboard-calls")
    deps.reset()
    invoke(f"/webhooks/{demo.PRICING_TOKEN}", signed("web.incoming", "42", from_number="web", to_number=""))
    decisions.flush()

    assert [delivery.attempts for delivery in decisions.failed] == [3]
    assert get_call(aws["dynamodb"], VICTIM, 42) is not None
    assert get_call(aws["dynamodb"], VICTIM, 41) is None  # its delivery waits on the failure queue to be replayed


def test_outcomes_of_later_calls_still_find_their_decisions(
    mallory_url: str, invoke: Invoke, aws: dict[str, Any], decisions: DecisionSubscription
) -> None:
    invoke(mallory_url, signed("web.incoming", "1" + "0" * 40, from_number="web", to_number=""))
    invoke(f"/webhooks/{demo.PRICING_TOKEN}", signed("web.incoming", "51", from_number="web", to_number=""))
    decisions.flush()
    invoke(f"/webhooks/{demo.ORG_TOKEN}", signed("web.complete", "51", status="completed"))

    drain_outcomes(aws["sqs"])

    item = get_call(aws["dynamodb"], VICTIM, 51)
    assert item is not None and item["status"] == "completed"
