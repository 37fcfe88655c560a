from datetime import datetime

import pytest
from pydantic import ValidationError

from functions.tenant_config.models import AgentProfile, BusinessHours, Customer, RoutingRule, Tenant
from functions.thunderphone.agent_config import AgentConfig


def test_agent_config_rejects_unknown_keys_and_products() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        AgentConfig.model_validate({"prompt": "p", "voice": "v", "max_hold_seconds": 3})
    with pytest.raises(ValidationError, match="product"):
        AgentConfig.model_validate({"prompt": "p", "voice": "v", "product": "zap"})


def test_agent_config_acknowledgement_rules() -> None:
    with pytest.raises(ValidationError, match="acknowledgement_prompt is required"):
        AgentConfig(prompt="p", voice="v", product="storm-base-with-ack", acknowledgement_prompt_mode="manual")
    with pytest.raises(ValidationError, match="only accepted with a '-with-ack' product"):
        AgentConfig(prompt="p", voice="v", product="spark", acknowledgement_prompt_mode="auto")
    with pytest.raises(ValidationError, match="contradicts"):
        AgentConfig(prompt="p", voice="v", product="storm-base", thinking_level="extra")
    ok = AgentConfig(prompt="p", voice="v", product="storm-extra-with-ack", acknowledgement_prompt_mode="auto")
    assert ok.to_response() == {
        "prompt": "p",
        "voice": "v",
        "product": "storm-extra-with-ack",
        "acknowledgement_prompt_mode": "auto",
        "tools": [],
    }


def test_profile_rejects_bad_templates_and_duplicate_tools() -> None:
    with pytest.raises(ValidationError, match="malformed placeholder"):
        AgentProfile(profile_id="p", prompt="Hi {{ name", voice="v")
    tool = {
        "function": {"name": "t", "description": "d", "parameters": {"type": "object"}},
        "endpoint": {"url": "https://x.example/t"},
    }
    with pytest.raises(ValidationError, match="unique"):
        AgentProfile(profile_id="p", prompt="Hi", voice="v", tools=[tool, tool])
    with pytest.raises(ValidationError, match="url"):
        AgentProfile(profile_id="p", prompt="Hi", voice="v", tools=[{**tool, "endpoint": {"url": "http://x/t"}}])


def test_tenant_validates_zone_numbers_and_hours() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Tenant(tenant_id="t", display_name="T", default_profile_id="p", timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="phone_numbers"):
        Tenant(tenant_id="t", display_name="T", default_profile_id="p", phone_numbers=["555-0100"])
    with pytest.raises(ValidationError, match="ends before it starts"):
        BusinessHours(weekly={"mon": ["18:00-09:00"]})


def test_business_hours_is_open_respects_ranges_and_closed_dates() -> None:
    hours = BusinessHours(weekly={"mon": ["09:00-12:00", "13:00-24:00"]}, closed_dates=["2026-11-30"])
    assert hours.is_open(datetime(2026, 11, 23, 9, 0))
    assert not hours.is_open(datetime(2026, 11, 23, 12, 30))
    assert hours.is_open(datetime(2026, 11, 23, 23, 59))
    assert not hours.is_open(datetime(2026, 11, 30, 10, 0))  # a closed Monday
    assert not hours.is_open(datetime(2026, 11, 24, 10, 0))  # Tuesday: no hours


def test_rule_needs_exactly_one_target() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        RoutingRule(rule_id="r", priority=1)
    with pytest.raises(ValidationError, match="exactly one"):
        RoutingRule(rule_id="r", priority=1, profile_id="p", variants=[{"name": "a", "profile_id": "p", "weight": 1}])
    with pytest.raises(ValidationError, match="more than 0"):
        RoutingRule(rule_id="r", priority=1, variants=[{"name": "a", "profile_id": "p", "weight": 0}])


def test_customer_ids_are_e164_or_kind_value() -> None:
    assert Customer(customer_id="+14155550100").customer_id == "+14155550100"
    assert Customer(customer_id="email:jane@example.com").customer_id.startswith("email:")
    with pytest.raises(ValidationError):
        Customer(customer_id="4155550100")
