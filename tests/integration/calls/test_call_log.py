"""The webhook's decision log and outcome events against moto: idempotent, order-independent,
no personal data by default, and failures that never change an answer."""

from __future__ import annotations

import gzip
import json
import random
from datetime import timedelta
from typing import Any

import pytest

from functions.call_sync.adapters import DynamoOutcomeStore
from functions.calls.read_model import CallsReader
from functions.calls.records import InvalidCallEvent, completion_from_api, grade_from_api
from functions.calls.repository import CallRepository, NoUsage
from functions.common import table
from functions.common.errors import StoreUnavailable
from functions.outcome_recorder.service import record
from functions.outcomes.contested import ContestedCalls
from functions.thunderphone.objects import ApiCall
from functions.webhook.models import CallFacts, Decision
from functions.webhook.telemetry import parse_metric_tenants, tenant_dimension
from tests.fixtures.aws import CALLS_TABLE_NAME, get_call
from tests.fixtures.decisions import record_decision
from tests.fixtures.outcomes import KeptAside, queued_outcome, record_outcome
from tests.integration.calls.conftest import NOW

CALL_ID = 987654321
FACTS = CallFacts(
    call_id=CALL_ID,
    event_type="web.incoming",
    channel="web",
    from_number="web",
    to_number="+15551234567",
    widget_id="pricing",
    received_at=NOW,
)
DECISION = Decision(
    tenant_id="acme",
    outcome="config",
    reason="rule",
    rule_id="greeting-test",
    variant="B",
    profile_id="sales-b",
    profile_version=3,
    customer_known=False,
    variables={"call": {"from_number": "+14155550199"}},
    config={"prompt": "You are the sales agent", "voice": "en-US-James1"},
)
COMPLETE = {
    "call_id": CALL_ID,
    "direction": "widget",
    "from_number": "web",
    "start_time": "2026-05-10T12:00:01Z",
    "end_time": "2026-05-10T12:04:01Z",
    "duration_seconds": 240,
    "status": "completed",
    "end_reason": "caller_hangup",
    "billable_minutes": 4,
    "billing_total_cents": 36,
    "recording_url": "https://storage.googleapis.com/rec/1.wav?X-Goog-Signature=abc",
    "transcripts": [{"role": "user", "content_type": "text/plain", "content": "my card is 4111", "start_ms": 0}],
}
FAST = {"call_id": CALL_ID, "grade": {"score": 55, "call_outcome": "unknown", "grader_model": "fast"}}
FULL = {
    "call_id": CALL_ID,
    "grade": {"score": 82, "call_outcome": "resolved", "grader_model": "full"},
    "report": {"outcome_label": "booked"},
}
API_CALL = ApiCall.model_validate({**COMPLETE, "billing_total_cents": 35, "grade_score": 0.8})


@pytest.fixture
def log(aws: dict[str, Any]) -> CallRepository:
    return CallRepository(aws["dynamodb"], CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW)


def test_record_decision_stores_the_decision_without_personal_data(log: CallRepository, aws: dict[str, Any]) -> None:
    record_decision(log, FACTS, DECISION, latency_ms=12.34)

    item = get_call(aws["dynamodb"], "acme", CALL_ID)
    assert item is not None
    assert {k: item[k] for k in ("decision", "reason", "rule_id", "variant", "profile_id", "widget_id", "channel")} == {
        "decision": "config",
        "reason": "rule",
        "rule_id": "greeting-test",
        "variant": "B",
        "profile_id": "sales-b",
        "widget_id": "pricing",
        "channel": "web",
    }
    assert (item["profile_version"], float(item["latency_ms"])) == (3, 12.3)
    assert item[table.TTL_ATTRIBUTE] == int((NOW + timedelta(days=90)).timestamp())
    assert "+14155550199" not in str(item) and "sales agent" not in str(item)


def test_record_decision_keeps_what_a_replay_needs_for_a_phone_call(log: CallRepository, aws: dict[str, Any]) -> None:
    # Given a phone call decided by published configuration version 5
    facts = CallFacts(CALL_ID, "telephony.incoming", "phone", "+14155550123", "+15551234567", None, NOW, True)
    decision = Decision(tenant_id="acme", outcome="config", reason="rule", rule_id="ab", variant="A", config_version=5)

    record_decision(log, facts, decision, latency_ms=8)
    # and its completion, which names the caller (the decision, logged, never does)
    completion = {"call_id": CALL_ID, "direction": "inbound", "from_number": "+14155550123", "status": "completed"}
    assert record_outcome(log, "acme", "telephony.complete", completion, keep_transcripts=False) is True

    # Then the tenant's call record keeps the caller and the version, and the read model gives them back
    item = get_call(aws["dynamodb"], "acme", CALL_ID)
    assert item is not None and (item["caller"], item["config_version"]) == ("+14155550123", 5)
    record = CallsReader(aws["dynamodb"], CALLS_TABLE_NAME).tenant_calls(
        "acme", NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    )
    [replayable] = list(record)
    assert (replayable.caller, replayable.config_version, replayable.channel, replayable.to_number) == (
        "+14155550123",
        5,
        "phone",
        "+15551234567",
    )
    assert (replayable.rule_id, replayable.variant, replayable.decided_at) == ("ab", "A", NOW)


def test_record_decision_keeps_the_first_decision_for_a_redelivered_call(
    log: CallRepository, aws: dict[str, Any]
) -> None:
    record_decision(log, FACTS, DECISION, latency_ms=10)
    later = Decision(tenant_id="acme", outcome="fallback", reason="budget_exceeded")
    record_decision(log, FACTS, later, latency_ms=1900)

    item = get_call(aws["dynamodb"], "acme", CALL_ID)
    assert item is not None and (item["decision"], item["variant"]) == ("config", "B")


def test_record_event_stores_outcome_beside_the_decision(log: CallRepository, aws: dict[str, Any]) -> None:
    record_decision(log, FACTS, DECISION, latency_ms=10)

    assert record_outcome(log, "acme", "web.complete", COMPLETE, keep_transcripts=False) is True
    assert record_outcome(log, "acme", "call.graded", FULL, keep_transcripts=False) is True

    item = get_call(aws["dynamodb"], "acme", CALL_ID)
    assert item is not None
    assert (item["variant"], item["status"], item["end_reason"]) == ("B", "completed", "caller_hangup")
    assert (item["duration_seconds"], item["billable_minutes"], item["billing_total_cents"]) == (240, 4, 36)
    assert (item["grade_score"], item["grade_outcome"], item["grade_outcome_label"]) == (82, "resolved", "booked")
    assert "transcript_gz" not in item and "recording_url" not in item
    assert "4111" not in str(item)


def test_record_event_duplicate_is_reported_and_changes_nothing(log: CallRepository, aws: dict[str, Any]) -> None:
    record_outcome(log, "acme", "web.complete", COMPLETE, keep_transcripts=False)
    before = get_call(aws["dynamodb"], "acme", CALL_ID)

    assert record_outcome(log, "acme", "web.complete", COMPLETE, keep_transcripts=False) is False
    assert record_outcome(log, "acme", "call.complete", COMPLETE, keep_transcripts=False) is False
    assert get_call(aws["dynamodb"], "acme", CALL_ID) == before


def test_record_event_keeps_the_full_grade_whichever_arrives_first(log: CallRepository, aws: dict[str, Any]) -> None:
    record_outcome(log, "acme", "call.graded", FULL, keep_transcripts=False)
    assert record_outcome(log, "acme", "call.graded", FAST, keep_transcripts=False) is False

    item = get_call(aws["dynamodb"], "acme", CALL_ID)
    assert item is not None and item["grader_model"] == "full"


def test_record_event_keeps_transcripts_only_when_the_tenant_asks(log: CallRepository, aws: dict[str, Any]) -> None:
    record_outcome(log, "acme", "web.complete", COMPLETE, keep_transcripts=True)

    item = get_call(aws["dynamodb"], "acme", CALL_ID)
    assert item is not None
    assert json.loads(gzip.decompress(bytes(item["transcript_gz"]))) == COMPLETE["transcripts"]
    assert item["recording_url"] == COMPLETE["recording_url"]


class NothingConfigured:
    """The configuration side of an outcome: no number claimed, no tenant item."""

    def tenant_for_number(self, number: str) -> str | None:
        return None

    def keeps_transcripts(self, tenant_id: str) -> bool:
        return False


def test_record_event_without_tenant_finds_it_through_the_call_id_index(
    log: CallRepository, aws: dict[str, Any]
) -> None:
    record_decision(log, FACTS, DECISION, latency_ms=10)

    # Given an outcome event queued from the org-level endpoint, when the recorder records it
    record(
        queued_outcome("web.complete", COMPLETE),
        calls=log,
        directory=NothingConfigured(),
        quarantine=KeptAside(),
        contested=ContestedCalls(aws["dynamodb"], CALLS_TABLE_NAME),
    )

    item = get_call(aws["dynamodb"], "acme", CALL_ID)
    assert item is not None and item["status"] == "completed"
    assert "transcript_gz" not in item  # the tenant's switch is unknown on this path: keep nothing
    assert get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, CALL_ID) is None


def test_record_event_for_an_unknown_call_goes_to_the_unassigned_partition(
    log: CallRepository, aws: dict[str, Any]
) -> None:
    outcome = queued_outcome("telephony.complete", COMPLETE)
    record(
        outcome,
        calls=log,
        directory=NothingConfigured(),
        quarantine=KeptAside(),
        contested=ContestedCalls(aws["dynamodb"], CALLS_TABLE_NAME),
    )

    item = get_call(aws["dynamodb"], table.UNASSIGNED_TENANT, CALL_ID)
    assert item is not None and item["billing_total_cents"] == 36


def test_record_event_rejects_bad_payloads_and_stores_nothing(log: CallRepository, aws: dict[str, Any]) -> None:
    with pytest.raises(InvalidCallEvent, match="billable_minutes"):
        record_outcome(log, "acme", "web.complete", {**COMPLETE, "billable_minutes": -1}, keep_transcripts=False)
    with pytest.raises(InvalidCallEvent, match="not an outcome event"):
        record_outcome(log, "acme", "web.tool", {"call_id": 1}, keep_transcripts=False)
    with pytest.raises(InvalidCallEvent, match="tenant id"):
        record_outcome(log, "ACME#1", "web.complete", COMPLETE, keep_transcripts=False)

    assert get_call(aws["dynamodb"], "acme", CALL_ID) is None


def test_record_event_raises_store_unavailable_so_thunderphone_retries(aws: dict[str, Any]) -> None:
    broken = CallRepository(aws["dynamodb"], "no-such-table", ttl_days=90, clock=lambda: NOW)

    with pytest.raises(StoreUnavailable):
        record_outcome(broken, "acme", "web.complete", COMPLETE, keep_transcripts=False)


# Every delivery a call can see; any order must leave the same item.
def _deliveries(log: CallRepository, store: DynamoOutcomeStore) -> dict[str, Any]:
    completion, grade = completion_from_api(API_CALL), grade_from_api(API_CALL)
    assert completion is not None and grade is not None
    return {
        "decision": lambda: record_decision(log, FACTS, DECISION, latency_ms=10),
        "decision again": lambda: record_decision(log, FACTS, DECISION, latency_ms=10),
        "web.complete": lambda: record_outcome(log, "acme", "web.complete", COMPLETE, keep_transcripts=False),
        "call.complete (legacy URL)": lambda: record_outcome(
            log, "acme", "call.complete", COMPLETE, keep_transcripts=False
        ),
        "graded fast": lambda: record_outcome(log, "acme", "call.graded", FAST, keep_transcripts=False),
        "graded full": lambda: record_outcome(log, "acme", "call.graded", FULL, keep_transcripts=False),
        "backfill completion": lambda: store.record_completion("acme", completion, keep_transcripts=False),
        "backfill grade": lambda: store.record_grade("acme", grade),
    }


def _orders(count: int, size: int) -> list[list[int]]:
    """The reversed order, every rotation and a fixed random sample: deterministic and quick."""
    rng = random.Random(6)
    natural = list(range(size))
    orders = [natural[::-1], *(natural[i:] + natural[:i] for i in range(1, size))]
    orders += [rng.sample(natural, size) for _ in range(count - len(orders))]
    return orders


def test_outcome_is_the_same_in_any_delivery_order(aws: dict[str, Any]) -> None:
    client = aws["dynamodb"]
    log = CallRepository(client, CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW)
    store = DynamoOutcomeStore(client, CALLS_TABLE_NAME, usage=NoUsage(), ttl_days=90, clock=lambda: NOW)
    deliveries = list(_deliveries(log, store).values())
    key = {table.PARTITION_KEY: {"S": table.tenant_pk("acme")}, table.SORT_KEY: {"S": table.call_sk(CALL_ID)}}
    for step in deliveries:
        step()
    expected = get_call(client, "acme", CALL_ID)

    for order in _orders(20, len(deliveries)):
        client.delete_item(TableName=CALLS_TABLE_NAME, Key=key)
        for index in order:
            deliveries[index]()
        assert get_call(client, "acme", CALL_ID) == expected, f"order {order}"

    # The event's figures win over the backfill's and the full grade over the fast one.
    assert expected is not None
    assert (expected["billing_total_cents"], expected["grade_score"], expected["completion_source"]) == (
        36,
        82,
        "event",
    )


def test_tenant_dimension_keeps_cardinality_bounded() -> None:
    opted_in = parse_metric_tenants(" acme, globex ,,")

    assert opted_in == {"acme", "globex"}
    assert [tenant_dimension(t, opted_in) for t in ("acme", "initech", None)] == ["acme", "other", "other"]
