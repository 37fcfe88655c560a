"""The decision record keeps what an impact replay needs: the configuration version and, on phone calls
only, the caller's E.164 number."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from functions.calls.read_model import CallRecord
from functions.calls.repository import decision_update
from functions.common import dynamo
from functions.webhook.decision_log import decision_record
from functions.webhook.models import CallFacts, Decision

AT = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
DECISION = Decision(
    tenant_id="acme", outcome="config", reason="rule", rule_id="ab", variant="B", profile_id="p", config_version=7
)


def phone(caller: str) -> CallFacts:
    return CallFacts(41, "telephony.incoming", "phone", caller, "+15551234567", None, AT)


def test_decision_record_keeps_config_version_and_an_e164_caller() -> None:
    record = decision_record(phone("+14155550100"), DECISION, latency_ms=3.0)
    assert (record.config_version, record.caller) == (7, "+14155550100")


@pytest.mark.parametrize(
    "facts",
    [
        CallFacts(41, "web.incoming", "web", "web", "", "pricing", AT),
        CallFacts(41, "web.incoming", "web", "+14155550100", "", "pricing", AT),  # a web session has no caller
        phone("anonymous"),
        phone(""),
        phone("tel:+14155550100"),
        phone("14155550100"),
    ],
)
def test_decision_record_has_no_caller_for_web_sessions_or_odd_numbers(facts: CallFacts) -> None:
    assert decision_record(facts, DECISION, latency_ms=3.0).caller is None


def test_decision_update_writes_caller_and_version_and_the_read_model_exposes_them() -> None:
    request = decision_update("calls", decision_record(phone("+14155550100"), DECISION, 2.0), ttl_days=90)
    written = _written(request)
    assert written["config_version"] == {"N": "7"}
    assert written["caller"] == {"S": "+14155550100"}

    # Given the item as DynamoDB gives it back (numbers as Decimal)
    item = dynamo.from_attributes(written)
    record = CallRecord.from_item(item)
    assert (record.config_version, record.caller, record.channel, record.to_number) == (
        7,
        "+14155550100",
        "phone",
        "+15551234567",
    )
    assert (record.rule_id, record.variant, record.profile_id, record.decided_at) == ("ab", "B", "p", AT)
    assert isinstance(item["config_version"], Decimal) and isinstance(record.config_version, int)


def test_decision_update_leaves_out_a_missing_caller_and_version() -> None:
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
