"""The webhook's answer to outcome events, with the real config store: the tenant from the route and
the call's decision (a number in the body alone never bills anyone), the tenant's transcript switch,
and the status codes ThunderPhone sees."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.calls.repository import CallRepository
from functions.common import table
from functions.tenant_config.models import AgentProfile, Tenant
from functions.webhook.adapters import DynamoTenantStore
from functions.webhook.decision_log import record_decision
from functions.webhook.models import CallFacts, Decision
from functions.webhook.outcomes import answer_outcome
from functions.webhook_routes.model import Route, route_id
from tests.fixtures.aws import CALLS_TABLE_NAME, TABLE_NAME, get_call, seed
from tests.integration.calls.conftest import NOW

NUMBER = "+15557654321"
ORG = Route(route_id=route_id("org"), kind="org", created_at=NOW)
KEEPER = Route(route_id=route_id("keeper"), kind="key", tenant_id="keeper", created_at=NOW)


def decided(log: CallRepository, tenant_id: str, call_id: int = 31) -> None:
    """The router answered this call for `tenant_id` (its decision is logged)."""
    facts = CallFacts(call_id, "telephony.incoming", "phone", "+14155550100", NUMBER, None, NOW)
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
    pool = ThreadPoolExecutor(max_workers=2)
    store = DynamoTenantStore(
        lambda: aws["dynamodb"], TABLE_NAME, ttl_seconds=60, max_tenants=10, max_customers=10, pool=pool
    )
    return {
        "store": store,
        "log": CallRepository(aws["dynamodb"], CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW),
        "client": aws["dynamodb"],
    }


def test_answer_outcome_org_endpoint_resolves_tenant_by_number_and_honours_its_switch(parts: dict[str, Any]) -> None:
    decided(parts["log"], "keeper")

    reply = answer_outcome(ORG, "telephony.complete", COMPLETE, store=parts["store"], log=parts["log"])

    assert (reply.status, reply.body, reply.reason, reply.call_id) == (200, {"received": True}, "stored", 31)
    item = get_call(parts["client"], "keeper", 31)
    assert item is not None and "transcript_gz" in item


def test_answer_outcome_duplicate_is_acknowledged(parts: dict[str, Any]) -> None:
    answer_outcome(KEEPER, "telephony.complete", COMPLETE, store=parts["store"], log=parts["log"])

    reply = answer_outcome(KEEPER, "telephony.complete", COMPLETE, store=parts["store"], log=parts["log"])

    assert (reply.status, reply.reason) == (200, "duplicate")


def test_answer_outcome_bad_payload_is_acknowledged_not_retried(parts: dict[str, Any]) -> None:
    reply = answer_outcome(KEEPER, "call.graded", {"call_id": 31}, store=parts["store"], log=parts["log"])

    assert (reply.status, reply.reason) == (200, "invalid_outcome")
    assert get_call(parts["client"], "keeper", 31) is None


def test_answer_outcome_store_down_is_429_so_thunderphone_retries(parts: dict[str, Any], aws: dict[str, Any]) -> None:
    broken = CallRepository(aws["dynamodb"], "no-such-table", ttl_days=90, clock=lambda: NOW)

    reply = answer_outcome(KEEPER, "web.complete", COMPLETE, store=parts["store"], log=broken)

    assert (reply.status, reply.reason) == (429, "store_unavailable")


def test_answer_outcome_org_endpoint_without_a_decision_bills_nobody(parts: dict[str, Any]) -> None:
    # keeper's number in the body, but the router never answered this call for keeper
    reply = answer_outcome(ORG, "telephony.complete", COMPLETE, store=parts["store"], log=parts["log"])

    assert reply.status == 200
    assert get_call(parts["client"], "keeper", 31) is None
    item = get_call(parts["client"], table.UNASSIGNED_TENANT, 31)
    assert item is not None and "transcript_gz" not in item


def test_answer_outcome_unknown_number_lands_unassigned(parts: dict[str, Any]) -> None:
    data = {**COMPLETE, "to_number": "+15550000000"}

    reply = answer_outcome(ORG, "telephony.complete", data, store=parts["store"], log=parts["log"])

    assert reply.status == 200
    item = get_call(parts["client"], table.UNASSIGNED_TENANT, 31)
    assert item is not None and "transcript_gz" not in item
