"""One call's facts in words: every reason the router can fall back for, and every condition a rule can hold,
has its sentence, so a new one can never reach a clinic manager as a code name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import get_args
from zoneinfo import ZoneInfo

from functions.tenant_api.service.call_story import _day_bounds
from functions.tenant_api.service.call_words import (
    FALLBACKS,
    conditions_in_words,
    fallback_in_words,
    rule_in_words,
    variant_in_words,
)
from functions.tenant_config.models import RoutingRule, RuleMatch
from functions.webhook.models import FallbackReason


def test_every_fallback_reason_of_the_router_has_words() -> None:
    assert set(get_args(FallbackReason)) == set(FALLBACKS)
    for reason in FALLBACKS:
        said = fallback_in_words(reason)
        assert "_" not in said and said[0].isupper() and said.endswith("instead.")


def test_every_condition_a_rule_can_hold_is_one_sentence() -> None:
    when = RuleMatch(
        channel="phone",
        widget_ids=["pricing"],
        to_numbers=["+15550100200"],
        caller_numbers=["+14155550100", "+14155550101"],
        caller_prefixes=["+1212"],
        customer="known",
        segments=["vip", "gold"],
        schedule="after_hours",
    )
    said = conditions_in_words(RoutingRule(rule_id="r", priority=1, when=when, profile_id="p"))
    assert len(said) == len(RuleMatch.model_fields)
    assert said == [
        "it was a phone call",
        "it started from the widget 'pricing'",
        "the number called was +15550100200",
        "the caller's number is one of the 2 the rule lists",
        "the caller's number starts with +1212",
        "the caller is a known customer",
        "the customer is in one of the segments 'vip' or 'gold'",
        "it came in outside business hours",
    ]
    assert "+14155550100" not in " ".join(said)  # a listed caller is someone's phone: never shown whole


def test_a_rule_without_conditions_and_the_default_profile_are_said_too() -> None:
    rule = RoutingRule(rule_id="everyone", priority=1, profile_id="p")
    assert rule_in_words("everyone", "rule", rule) == [
        "The rule 'everyone' has no conditions, so it matches every call that no earlier rule took."
    ]
    assert rule_in_words(None, "default_profile", None) == ["No rule matched, so your default profile answered."]
    bucketed = RoutingRule(
        rule_id="ab",
        priority=1,
        bucket_by="caller",
        variants=[{"name": "A", "profile_id": "p", "weight": 1}, {"name": "B", "profile_id": "q", "weight": 1}],
    )
    assert variant_in_words("B", bucketed) == "Variant 'B' of the A/B test: a returning caller keeps the same variant."


def test_a_day_is_the_tenants_midnight_to_midnight_even_when_its_clocks_change() -> None:
    new_york = ZoneInfo("America/New_York")
    start, end = _day_bounds(date(2026, 3, 8), new_york)  # clocks go forward: a 23-hour day
    assert (start, end) == (datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 9, 4, tzinfo=UTC))
