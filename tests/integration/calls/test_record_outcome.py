"""The outcome recorder's attribution with the real configuration table: the tenant from the route and
the call's decision (a number in the body alone never bills anyone) and the tenant's transcript switch."""

from __future__ import annotations

from typing import Any

import pytest

from functions.calls.repository import CallRepository
from functions.common import table
from functions.common.errors import StoreUnavailable
from functions.outcome_recorder.service import record
from functions.outcomes.contested import ContestedCalls
from functions.outcomes.directory import ConfigDirectory
from functions.tenant_config.models import AgentProfile, Tenant
from functions.webhook.models import CallFacts, Decision
from tests.fixtures.aws import CALLS_TABLE_NAME, TABLE_NAME, get_call, seed
from tests.fixtures.decisions import record_decision
from tests.fixtures.outcomes import KeptAside, queued_outcome
from tests.integration.calls.conftest import NOW

NUMBER = "+15557654321"


def decided(log: CallRepository, tenant_id: str, call_id: int = 31) -> None:
    """The router answered this call for `tenant_id` (its decision is logged)."""
    facts = CallFacts(call_id, "telephony.incoming", "phone", "+14155550100", NUMBER, None, NOW, number_claimed=True)
    record_decision(log, facts, Decision(tenant_id, "config", "rule"), latency_ms=5)


COMPLETE = {
    "call_id": 31,
    "direction": "inbound",
    "to_number": NUMBER,
    "status": "completed",
    "billable_minutes": 2,
    "billing_total_cents": 18,
    "transcripts": [{"role": "user", "content_type": "text/plain", "content": "hi"}],
}


@pytest.fixture
def parts(aws: dict[str, Any]) -> dict[str, Any]:
    tenant = Tenant(
        tenant_id="keeper",
        display_name="Keeps transcripts",
        default_profile_id="main",
        phone_numbers=[NUMBER],
        keep_transcripts=True,
    )
    profile = AgentProfile(profile_id="main", prompt="Hello", voice="en-US-James1")
    seed(aws["dynamodb"], TABLE_NAME, "keeper", [tenant, profile])  # published, with its number claim
    log = CallRepository(aws["dynamodb"], CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW)
    directory = ConfigDirectory(aws["dynamodb"], TABLE_NAME, ttl_seconds=60, max_entries=10)
    contested = ContestedCalls(aws["dynamodb"], CALLS_TABLE_NAME)
    return {
        "calls": log,
        "directory": directory,
        "quarantine": KeptAside(),
        "contested": contested,
        "client": aws["dynamodb"],
    }


def recorded(parts: dict[str, Any], event_type: str, data: dict[str, Any], tenant_id: str | None = None) -> Any:
    outcome = queued_outcome(event_type, data, tenant_id=tenant_id)
    return record(
        outcome,
        calls=parts["calls"],
        directory=parts["directory"],
        quarantine=parts["quarantine"],
        contested=parts["contested"],
    )


def test_record_org_endpoint_resolves_tenant_by_number_and_honours_its_switch(parts: dict[str, Any]) -> None:
    decided(parts["calls"], "keeper")

    result = recorded(parts, "telephony.complete", COMPLETE)

    assert (result.result, result.tenant_id, result.call_id) == ("stored", "keeper", 31)
    item = get_call(parts["client"], "keeper", 31)
    assert item is not None and "transcript_gz" in item


def test_record_duplicate_changes_nothing(parts: dict[str, Any]) -> None:
    recorded(parts, "telephony.complete", COMPLETE, tenant_id="keeper")

    assert recorded(parts, "telephony.complete", COMPLETE, tenant_id="keeper").result == "duplicate"


def test_record_bad_payload_is_consumed_not_retried(parts: dict[str, Any]) -> None:
    result = recorded(parts, "call.graded", {"call_id": 31}, tenant_id="keeper")

    assert (result.result, result.problem) == ("invalid", "call.graded: grade: Field required")
    assert get_call(parts["client"], "keeper", 31) is None
    assert parts["quarantine"].sent == []


def test_record_store_down_raises_so_the_record_is_retried(parts: dict[str, Any], aws: dict[str, Any]) -> None:
    parts["calls"] = CallRepository(aws["dynamodb"], "no-such-table", ttl_days=90, clock=lambda: NOW)

    with pytest.raises(StoreUnavailable):
        recorded(parts, "web.complete", COMPLETE, tenant_id="keeper")


def test_record_org_endpoint_without_a_decision_bills_nobody(parts: dict[str, Any]) -> None:
    # keeper's number in the body, but the router never answered this call for keeper
    result = recorded(parts, "telephony.complete", COMPLETE)

    assert (result.result, result.tenant_id) == ("stored", table.UNASSIGNED_TENANT)
    assert get_call(parts["client"], "keeper", 31) is None
    item = get_call(parts["client"], table.UNASSIGNED_TENANT, 31)
    assert item is not None and "transcript_gz" not in item


def test_record_unknown_number_lands_unassigned(parts: dict[str, Any]) -> None:
    result = recorded(parts, "telephony.complete", {**COMPLETE, "to_number": "+15550000000"})

    assert result.result == "stored"
    item = get_call(parts["client"], table.UNASSIGNED_TENANT, 31)
    assert item is not None and "transcript_gz" not in item


def test_record_refuses_another_tenants_call(parts: dict[str, Any]) -> None:
    decided(parts["calls"], "keeper")

    result = recorded(parts, "web.complete", COMPLETE, tenant_id="mallory")

    assert result.result == "refused"
    assert get_call(parts["client"], "mallory", 31) is None
    item = get_call(parts["client"], "keeper", 31)
    assert item is not None and "billable_minutes" not in item
