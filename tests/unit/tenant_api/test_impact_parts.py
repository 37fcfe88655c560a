"""How the draft's impact tells routing from what callers hear, on the router's own decisions."""

from __future__ import annotations

from functions.tenant_api.service.impact import CallImpact, ImpactSummary, heard_parts
from functions.webhook.models import Decision

ANSWER = {"prompt": "Hello from Acme.", "voice": "en-US-Ava1", "product": "spark", "tools": []}


def served(profile_id: str = "main", **answer: object) -> Decision:
    return Decision("acme", "config", "rule", rule_id="r", profile_id=profile_id, config=ANSWER | answer)


def test_parts_are_named_as_an_admin_knows_them_and_unknown_fields_by_their_own_name() -> None:
    changed = ANSWER | {"acknowledgement_prompt_mode": "auto", "thinking_level": "base", "new_field": 1}
    assert heard_parts(ANSWER, changed) == ["acknowledgement", "product", "new_field"]
    assert heard_parts(ANSWER, ANSWER) == []


def test_a_fallback_is_routing_and_the_whole_answer() -> None:
    call = CallImpact(7, "phone", None, served(), Decision("acme", "fallback", "no_profile", profile_id="main"))
    assert call.routing_changed and call.heard == ["prompt", "voice", "product", "tools"]


def test_the_summary_counts_calls_by_part_and_samples_a_prompt_change_first() -> None:
    summary = ImpactSummary()
    summary.add(CallImpact(1, "web", "pricing", served(), served()))
    summary.add(CallImpact(2, "web", None, served(), served(voice="en-US-Emma1")))
    summary.add(CallImpact(3, "phone", None, served(), served(prompt="Hi from Acme.", voice="en-US-Emma1")))
    summary.add(CallImpact(4, "phone", None, served(), served("other")))
    body = summary.as_json()
    assert (body["calls_checked"], body["heard_differently"], body["routing_changed"]) == (4, 2, 1)
    assert body["heard_by_part"] == {"prompt": 1, "voice": 2}
    assert [call["call_id"] for call in body["changed"]] == [2, 3, 4]
    assert body["sample"] | {"local_time": None} == {
        "call_id": 3,
        "channel": "phone",
        "widget_id": None,
        "local_time": None,
        "heard": ["prompt", "voice"],
        "live_prompt": "Hello from Acme.",
        "draft_prompt": "Hi from Acme.",
    }
