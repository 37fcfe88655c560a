from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.tenant_config.live import TenantConfig
from functions.tenant_config.models import StoredItem, Variant
from functions.webhook.models import CallFacts, Decision
from functions.webhook.routing import bucket, decide
from tests.fixtures import tenants as demo

# Tuesday 2026-11-24 15:00 UTC = 10:00 in New York (open); 03:00 UTC = 22:00 the day before (closed).
OPEN = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CLOSED = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
CHRISTMAS_NOON = datetime(2026, 12, 25, 17, 0, tzinfo=UTC)
TOOL_SECRETS = {"crm_api_key": "k-123"}


def config_of(models: list[StoredItem]) -> TenantConfig:
    return demo.compiled(demo.TENANT_ID, models)


def phone(caller: str = "+12125550000", at: datetime = OPEN, call_id: int = 7) -> CallFacts:
    return CallFacts(call_id, "telephony.incoming", "phone", caller, demo.DEMO_NUMBER, None, at)


def web(widget: str | None = None, at: datetime = OPEN, call_id: int = 7) -> CallFacts:
    return CallFacts(call_id, "web.incoming", "web", "web", "", widget, at)


def run(config: TenantConfig, call: CallFacts, customer_id: str | None = None) -> Decision:
    customer = (
        next((m for m in demo.demo_items() if getattr(m, "customer_id", None) == customer_id), None)
        if customer_id
        else None
    )
    return decide(config, customer, call, tool_secrets=lambda: TOOL_SECRETS, max_prompt_chars=20_000)  # type: ignore[arg-type]


@pytest.fixture
def demo_config() -> TenantConfig:
    return config_of(demo.demo_items())


def test_decide_vip_customer_gets_concierge_with_override_and_secret_header(demo_config: TenantConfig) -> None:
    decision = run(demo_config, phone(caller=demo.VIP_CALLER), customer_id=demo.VIP_CALLER)
    assert (decision.outcome, decision.rule_id, decision.profile_id) == ("config", "vip", "vip-concierge")
    assert decision.config is not None
    assert "Jane Doe" in decision.config["prompt"] and "Dr. Patel" in decision.config["prompt"]
    assert decision.config["prompt"].endswith("allergic to latex.")
    assert decision.config["acknowledgement_prompt"] == "One moment, Jane Doe, let me check that for you."
    assert decision.config["tools"][0]["endpoint"]["headers"] == {"X-Api-Key": "k-123"}


def test_decide_after_hours_phone_call_gets_after_hours_profile(demo_config: TenantConfig) -> None:
    decision = run(demo_config, phone(at=CLOSED))
    assert decision.rule_id == "after-hours"
    assert decision.config is not None and "closed (Tuesday 22:00)" in decision.config["prompt"]


def test_decide_closed_dates_count_as_after_hours(demo_config: TenantConfig) -> None:
    assert run(demo_config, phone(at=CHRISTMAS_NOON)).rule_id == "after-hours"


def test_decide_widget_rule_matches_only_its_widget(demo_config: TenantConfig) -> None:
    assert run(demo_config, web("pricing")).profile_id == "web-pricing"
    assert run(demo_config, web("other")).rule_id == "greeting-test"
    # Web sessions are never "after hours" phone calls, even at night.
    assert run(demo_config, web(at=CLOSED)).rule_id == "greeting-test"


def test_decide_ab_variant_is_stable_per_call_id_and_split_by_weight(demo_config: TenantConfig) -> None:
    first = run(demo_config, phone(call_id=123456))
    assert all(run(demo_config, phone(call_id=123456)).variant == first.variant for _ in range(5))
    variants = Counter(run(demo_config, phone(call_id=call_id)).variant for call_id in range(2000))
    assert set(variants) == {"A", "B"}
    assert 900 < variants["A"] < 1100


def test_decide_caller_prefix_and_exact_numbers() -> None:
    items = demo.demo_items()
    items.append(demo_rule("uk", 5, {"caller_prefixes": ["+44"], "to_numbers": [demo.DEMO_NUMBER]}, "after-hours"))
    items.append(demo_rule("exact", 6, {"caller_numbers": ["+12125550000"]}, "web-pricing"))
    config = config_of(items)
    assert run(config, phone(caller="+442071838750")).rule_id == "uk"
    assert run(config, phone(caller="+12125550000")).rule_id == "exact"
    assert run(config, phone(caller="+12125550001")).rule_id == "greeting-test"


def test_decide_known_and_unknown_customer_conditions() -> None:
    items = [*demo.demo_items(), demo_rule("known", 1, {"customer": "known", "channel": "phone"}, "web-pricing")]
    config = config_of(items)
    assert run(config, phone(caller="+14155550123"), customer_id="+14155550123").rule_id == "known"
    assert run(config, phone(caller="+14155550999")).rule_id == "greeting-test"


def test_decide_disabled_rules_are_skipped() -> None:
    items = [m for m in demo.demo_items() if getattr(m, "rule_id", None) != "greeting-test"]
    items.append(demo_rule("off", 1, {}, "web-pricing", enabled=False))
    assert run(config_of(items), phone()).reason == "default_profile"


def test_decide_suspended_and_unknown_tenant_fall_back() -> None:
    items = demo.demo_items()
    items[0] = items[0].model_copy(update={"status": "suspended"})
    assert run(config_of(items), phone()).reason == "tenant_suspended"
    assert run(TenantConfig(tenant_id="ghost", tenant=None), phone()).reason == "unknown_tenant"


def test_decide_unreadable_published_configuration_falls_back_for_every_call() -> None:
    from functions.common.errors import InvalidItem

    broken = InvalidItem(demo.TENANT_ID, "LIVE", ["config: not a compiled configuration"])
    config = TenantConfig(tenant_id=demo.TENANT_ID, tenant=None, invalid={"LIVE": broken})
    for call in (web("pricing"), phone()):
        decision = run(config, call)
        assert (decision.outcome, decision.reason) == ("fallback", "invalid_item")
        assert decision.problems == ("invalid item LIVE of tenant demo: config",)
        assert decision.body == {}


def test_decide_missing_profile_falls_back() -> None:
    items = [*demo.demo_items(), demo_rule("dangling", 1, {}, "nope")]
    decision = run(config_of(items), phone())
    assert (decision.reason, decision.profile_id) == ("no_profile", "nope")


def test_decide_missing_tool_credential_falls_back() -> None:
    decision = decide(config_of(demo.demo_items()), None, phone(), tool_secrets=lambda: {}, max_prompt_chars=20_000)
    assert decision.reason == "tool_secret_unavailable"
    assert "crm_api_key" in decision.problems[0]


def test_decide_reports_missing_variables_but_still_answers(demo_config: TenantConfig) -> None:
    decision = run(demo_config, phone(caller=demo.VIP_CALLER, at=OPEN))
    assert decision.outcome == "config"  # not a known customer: no VIP rule, the greeting test answers
    assert decision.missing_variables == ()


def test_decide_prompt_is_bounded() -> None:
    config = config_of(demo.demo_items())
    decision = decide(config, None, web("pricing"), tool_secrets=dict, max_prompt_chars=20)
    assert decision.config is not None and len(decision.config["prompt"]) == 20
    assert decision.problems == ("prompt truncated to MAX_PROMPT_CHARS",)


@given(call_id=st.integers(min_value=0, max_value=2**63), weights=st.lists(st.integers(0, 100), min_size=1, max_size=5))
def test_bucket_is_deterministic_and_never_picks_zero_weight(call_id: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        weights[0] = 1
    variants = [Variant(name=f"v{i}", profile_id="p", weight=w) for i, w in enumerate(weights)]
    chosen = bucket("t", "r", call_id, variants)
    assert chosen == bucket("t", "r", call_id, variants)
    assert chosen.weight > 0


def demo_rule(rule_id: str, priority: int, when: dict[str, Any], profile_id: str, enabled: bool = True) -> StoredItem:
    from functions.tenant_config.models import RoutingRule

    return RoutingRule(rule_id=rule_id, priority=priority, when=when, profile_id=profile_id, enabled=enabled)
