"""Sticky A/B: a rule's variants bucketed by caller keep a returning phone caller on one variant."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from functions.tenant_config.live import TenantConfig
from functions.tenant_config.models import RoutingRule, Variant
from functions.webhook.models import CallFacts, Decision
from functions.webhook.routing import bucket, bucket_key, decide
from tests.fixtures import tenants as demo

OPEN = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
VARIANTS = [
    {"name": "A", "profile_id": "receptionist", "weight": 70},
    {"name": "B", "profile_id": "receptionist-warm", "weight": 30},
]


def sticky_config(bucket_by: str = "caller", **when: Any) -> TenantConfig:
    rule = RoutingRule(rule_id="sticky", priority=1, when=when, variants=VARIANTS, bucket_by=bucket_by)
    return demo.compiled(demo.TENANT_ID, [*demo.demo_items(), rule], version=4)


def phone(caller: str, call_id: int) -> CallFacts:
    return CallFacts(call_id, "telephony.incoming", "phone", caller, demo.DEMO_NUMBER, None, OPEN)


def web(call_id: int) -> CallFacts:
    return CallFacts(call_id, "web.incoming", "web", "web", "", "home", OPEN)


def run(config: TenantConfig, call: CallFacts) -> Decision:
    return decide(config, None, call, tool_secrets=lambda: {"crm_api_key": "k"}, max_prompt_chars=20_000)


def test_the_same_caller_gets_the_same_variant_over_many_calls() -> None:
    config = sticky_config()
    for caller in ("+14155550100", "+442071838750", "+12125550000"):
        variants = {run(config, phone(caller, call_id)).variant for call_id in range(200)}
        assert len(variants) == 1, caller


def test_different_callers_spread_over_variants_by_weight() -> None:
    config = sticky_config()
    chosen = Counter(run(config, phone(f"+1415555{n:04d}", call_id=7)).variant for n in range(2000))
    assert set(chosen) == {"A", "B"}
    assert 1250 < chosen["A"] < 1550  # 70% of 2000 = 1400


def test_web_sessions_and_withheld_callers_are_bucketed_by_call_id() -> None:
    config = sticky_config()
    by_call_id = sticky_config("call_id")
    for call in [web(n) for n in range(100)] + [phone(caller, n) for caller in ("anonymous", "") for n in range(50)]:
        decision = run(config, call)
        assert decision.rule_id == "sticky"
        assert decision.variant == run(by_call_id, call).variant
    assert {run(config, web(n)).variant for n in range(100)} == {"A", "B"}
    assert {run(config, phone("anonymous", n)).variant for n in range(100)} == {"A", "B"}


@given(call_id=st.integers(min_value=0, max_value=2**63))
def test_call_id_bucketing_is_what_it_was_before_bucket_by(call_id: int) -> None:
    # Given the digest bucketing used before `bucket_by` existed
    variants = [Variant.model_validate(v) for v in VARIANTS]
    digest = hashlib.sha256(f"demo:sticky:{call_id}".encode()).digest()
    before = variants[0] if int.from_bytes(digest[:8], "big") % 100 < 70 else variants[1]
    # Then a call_id rule, a caller rule on a web session, and the call-id key all give the same variant
    rule = RoutingRule(rule_id="sticky", priority=1, variants=VARIANTS)
    assert bucket("demo", "sticky", call_id, variants) == before
    assert bucket("demo", "sticky", bucket_key(rule, phone("+14155550100", call_id)), variants) == before
    caller_rule = rule.model_copy(update={"bucket_by": "caller"})
    assert bucket_key(caller_rule, web(call_id)) == call_id
    assert bucket_key(caller_rule, phone("+14155550100", call_id)) == "caller:+14155550100"


def test_a_web_rule_cannot_be_bucketed_by_caller() -> None:
    with pytest.raises(ValidationError, match="web sessions have no caller: bucket a web rule by call_id"):
        RoutingRule(rule_id="r", priority=1, when={"channel": "web"}, variants=VARIANTS, bucket_by="caller")
    assert RoutingRule(rule_id="r", priority=1, when={"channel": "phone"}, variants=VARIANTS, bucket_by="caller")
    assert RoutingRule(rule_id="r", priority=1, when={"channel": "web"}, variants=VARIANTS).bucket_by == "call_id"


def test_decide_records_the_configuration_version() -> None:
    assert run(sticky_config(), phone("+14155550100", 1)).config_version == 4
    suspended = demo.compiled(
        demo.TENANT_ID, [demo.demo_items()[0].model_copy(update={"status": "suspended"})], version=9
    )
    assert run(suspended, phone("+14155550100", 1)).config_version == 9
    assert run(TenantConfig(tenant_id="ghost", tenant=None), web(1)).config_version is None
