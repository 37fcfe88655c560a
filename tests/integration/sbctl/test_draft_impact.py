"""`sbctl draft impact` as a tenant admin reads it: how many recent calls would hear something different, by
part, which would be routed differently, and one call's prompt before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.calls.repository import CallRepository
from functions.webhook.models import CallFacts, Decision
from tests.fixtures import tenants as demo
from tests.fixtures.aws import CALLS_TABLE_NAME
from tests.fixtures.decisions import record_decision
from tests.integration.sbctl.conftest import TenantSbctl

Write = Any


@pytest.fixture
def pricing_sessions(tenant_sbctl: TenantSbctl) -> None:
    """Two web sessions on the pricing widget an hour ago, decided and logged."""
    log = CallRepository(boto3.client("dynamodb"), CALLS_TABLE_NAME)
    at = datetime.now(UTC) - timedelta(hours=1)
    for call_id in (401, 402):
        facts = CallFacts(call_id, "web.incoming", "web", "web", None, "pricing", at)
        decision = Decision(demo.TENANT_ID, "config", "rule", rule_id="pricing-page", profile_id="web-pricing")
        record_decision(log, facts, decision, latency_ms=3)


def test_impact_says_what_callers_would_hear_and_shows_the_prompt_before_and_after(
    tenant_sbctl: TenantSbctl, pricing_sessions: None, write: Write
) -> None:
    profile = tenant_sbctl("profiles", "get", "web-pricing").yaml()
    profile["prompt"] = "{{ company_name }} quotes its new prices."
    assert tenant_sbctl("profiles", "put", "-f", write("p.yaml", profile)).code == 0

    shown = tenant_sbctl("draft", "impact")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == "2 calls of the last 7 days replayed against the draft: 2 would change"
    assert "  2 would hear something different: prompt changed for 2" in lines
    assert "  0 would be routed differently (rule, variant or profile)" in lines
    assert any(line.startswith("401") and line.rstrip().endswith("prompt") for line in lines)
    sample = shown.out[shown.out.index("'s prompt, live:") :]
    assert "    Acme Dental quotes its new prices." in sample
    assert "    You answer questions about Acme Dental's prices" in sample
