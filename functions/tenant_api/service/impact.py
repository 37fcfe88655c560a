"""What publishing the draft would change for one replayed call: its routing (rule, variant, profile, or a
fallback) and what the caller hears (the parts of the answer the webhook would send), and the sums over
many calls. Both answers come from the router's own decision (routing.decide), so what is compared is what
the webhook would send; this module only tells the differences apart and names them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.webhook.models import Decision

# The answer's fields, grouped into the parts a tenant admin recognises (in the order they are listed).
# A field not named here (ThunderPhone may document more) counts under its own name.
PARTS: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt",),
    "acknowledgement": ("acknowledgement_prompt", "acknowledgement_prompt_mode"),
    "voice": ("voice",),
    "product": ("product", "thinking_level"),
    "tools": ("tools",),
    "background sound": ("background_track",),
}
_PART_OF = {name: part for part, names in PARTS.items() for name in names}


def routing(decision: Decision) -> dict[str, Any]:
    """Which configuration answers: the old impact's whole comparison, kept as is for its readers."""
    return {
        "outcome": decision.outcome,
        "rule_id": decision.rule_id,
        "variant": decision.variant,
        "profile_id": decision.profile_id,
    }


def heard_parts(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The parts of the answer that differ between two answer bodies, in PARTS order (then by name)."""
    return in_order(
        {_PART_OF.get(name, name) for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    )


@dataclass(frozen=True)
class CallImpact:
    call_id: int
    channel: str
    widget_id: str | None
    live: Decision
    draft: Decision

    @property
    def routing_changed(self) -> bool:
        return routing(self.live) != routing(self.draft)

    @property
    def heard(self) -> list[str]:
        return heard_parts(self.live.body, self.draft.body)

    def as_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "channel": self.channel,
            "widget_id": self.widget_id,
            "local_time": self.live.local_time or self.draft.local_time,  # in the tenant's zone, with its offset
            "live": routing(self.live),
            "draft": routing(self.draft),
            "routing_changed": self.routing_changed,
            "heard": self.heard,
        }


@dataclass
class ImpactSummary:
    """The sums over every replayed call; `changed` holds only the calls the draft would answer differently."""

    checked: int = 0
    changed: list[CallImpact] = field(default_factory=list)

    def add(self, call: CallImpact) -> None:
        self.checked += 1
        if call.routing_changed or call.heard:
            self.changed.append(call)

    def as_json(self) -> dict[str, Any]:
        by_part = Counter(part for call in self.changed for part in call.heard)
        return {
            "calls_checked": self.checked,
            "changed": [call.as_json() for call in self.changed],
            "routing_changed": sum(1 for call in self.changed if call.routing_changed),
            "heard_differently": sum(1 for call in self.changed if call.heard),
            "heard_by_part": {part: by_part[part] for part in in_order(by_part)},
            "sample": self._sample(),
        }

    def _sample(self) -> dict[str, Any] | None:
        """One call's rendered prompt before and after: the first whose prompt changes, else the first whose
        answer changes in any other way (its prompt may then be the same on both sides)."""
        heard = [call for call in self.changed if call.heard]
        call = next((call for call in heard if "prompt" in call.heard), heard[0] if heard else None)
        if call is None:
            return None
        return {
            "call_id": call.call_id,
            "channel": call.channel,
            "widget_id": call.widget_id,
            "local_time": call.live.local_time or call.draft.local_time,
            "heard": call.heard,
            "live_prompt": call.live.body.get("prompt"),
            "draft_prompt": call.draft.body.get("prompt"),
        }


def in_order(parts: Collection[str]) -> list[str]:
    """PARTS' order, then any other part by name."""
    return [part for part in PARTS if part in parts] + sorted(set(parts) - set(PARTS))
