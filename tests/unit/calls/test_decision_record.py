"""The decision record keeps what an impact replay needs: the configuration version, through the answer's log
line (which never carries the caller); the caller's E.164 number, on phone calls only, comes from the call's
completion event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from functions.calls.decisions import decision_from_log
from functions.calls.read_model import CallRecord
from functions.calls.records import completion_from_event
from functions.calls.repository import completion_update, decision_update
from functions.common import dynamo
from functions.webhook.decision_log import decision_entry, decision_record
from functions.webhook.models import CallFacts, Decision

AT = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
DECISION = Decision(
    tenant_id="acme", outcome="config", reason="rule", rule_id="ab", variant="B", profile_id="p", config_version=7
)


def phone(caller: str) -> CallFacts:
    """A phone call on the org-level route: the number called is the claim that named the tenant."""
    return CallFacts(41, "telephony.incoming", "phone", caller, "+15551234567", None, AT, number_claimed=True)


def test_decision_entry_survives_the_log_line_and_carries_no_caller() -> None:
    entry = decision_entry(phone("+14155550100"), DECISION, latency_ms=3.04)
    line = json.dumps({"level": "INFO", "message": "webhook answered", "decision": entry})
    assert "+14155550100" not in line  # the log line is no place for a caller's number
    record = decision_from_log(json.loads(line)["decision"])
    assert record == decision_record(phone("+14155550100"), DECISION, latency_ms=3.0)
    assert (record.config_version, record.decided_at, record.to_number) == (7, AT, "+15551234567")


@pytest.mark.parametrize(
    ("to_number", "claimed", "kept"),
    [
        ("+15551234567", True, "+15551234567"),  # the tenant's own number, which found it: replays need it whole
        ("+14155550100", False, "+1415*****00"),  # any other number is someone's: masked
        ("jane@example.com", False, None),  # not a number at all: not kept
        ("+1 415 555 0100", False, None),  # not E.164: not kept (never unmasked)
        ("+1 415 555 0100", True, None),
        ("", False, None),
        (None, False, None),
    ],
)
def test_the_decision_log_keeps_the_number_called_only_as_a_number(
    to_number: str | None, claimed: bool, kept: str | None
) -> None:
    facts = CallFacts(41, "web.incoming", "web", "web", to_number, "pricing", AT, number_claimed=claimed)

    line = json.dumps({"decision": decision_entry(facts, DECISION, latency_ms=1.0)})

    assert decision_from_log(json.loads(line)["decision"]).to_number == kept
    assert "jane" not in line and "415 555" not in line and "4155550100" not in line


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"tenant_id": "Not A Tenant"}, "tenant_id"),
        ({"call_id": -1}, "call_id"),
        ({"decided_at": "yesterday"}, "decided_at"),
        ({"channel": None}, "channel"),
    ],
)
def test_a_decision_that_does_not_read_back_is_refused_by_name(change: dict[str, Any], problem: str) -> None:
    entry = decision_entry(phone("+14155550100"), DECISION, latency_ms=3.0) | change
    with pytest.raises(ValueError, match=problem):
        decision_from_log(entry)


def test_decision_update_writes_the_version_and_the_read_model_exposes_it() -> None:
    request = decision_update("calls", decision_record(phone("+14155550100"), DECISION, 2.0), ttl_days=90)
    written = _written(request)
    assert written["config_version"] == {"N": "7"}
    assert "caller" not in written

    # Given the item as DynamoDB gives it back (numbers as Decimal)
    item = dynamo.from_attributes(written)
    record = CallRecord.from_item(item)
    assert (record.config_version, record.channel, record.to_number) == (7, "phone", "+15551234567")
    assert (record.rule_id, record.variant, record.profile_id, record.decided_at) == ("ab", "B", "p", AT)
    assert isinstance(item["config_version"], Decimal) and isinstance(record.config_version, int)


@pytest.mark.parametrize(
    ("from_number", "caller"),
    [("+14155550100", "+14155550100"), ("web", None), ("anonymous", None), ("", None), ("14155550100", None)],
)
def test_the_caller_comes_from_the_completion_event_on_phone_calls_only(from_number: str, caller: str | None) -> None:
    data = {"call_id": 41, "direction": "inbound", "from_number": from_number, "to_number": "+15551234567"}
    completion = completion_from_event("telephony.complete", data)
    assert completion.caller == caller
    written = _written(completion_update("calls", "acme", completion, ttl_days=90, now=AT, keep_transcripts=False))
    assert written.get("caller") == ({"S": caller} if caller else None)


def test_decision_update_leaves_out_a_missing_version() -> None:
    web = CallFacts(41, "web.incoming", "web", "web", "", "pricing", AT)
    request = decision_update(
        "calls", decision_record(web, Decision("acme", "fallback", "unknown_tenant"), 1.0), ttl_days=90
    )
    names = set(request["ExpressionAttributeNames"].values())
    assert "caller" not in names and "config_version" not in names


def _written(request: dict[str, Any]) -> dict[str, Any]:
    """The attributes an UpdateItem request sets (`#aN = :vN`, as repository._Update writes them)."""
    names, values = request["ExpressionAttributeNames"], request["ExpressionAttributeValues"]
    return {name: values[f":v{alias[2:]}"] for alias, name in names.items() if alias.startswith("#a")}
