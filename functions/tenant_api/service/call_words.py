"""One call's facts in a clinic manager's words: why its rule matched (from the rule's conditions as published),
which variant it got, why it fell back, how it ended. Pure: no AWS, no ids of anything but the tenant's own."""

from __future__ import annotations

from functions.common.masking import mask_number
from functions.tenant_config.models import RoutingRule

# The router's fallback reasons (functions/webhook/models.py FallbackReason), each as what happened.
FALLBACKS: dict[str, str] = {
    "unknown_tenant": "the address the call came in on belongs to no active service",
    "tenant_suspended": "your service was suspended by the operator at the time",
    "unknown_number": "the number called is not one of your numbers",
    "invalid_item": "a part of your published configuration could not be read (it was invalid)",
    "no_profile": "the rule chose a profile that does not exist",
    "tool_secret_unavailable": "a tool's credential could not be read",
    "invalid_answer": "the answer built from the profile was not valid (for example, a prompt that is too long)",
    "malformed_payload": "ThunderPhone's request for this call could not be read",
    "store_unavailable": "your configuration could not be read in time",
    "secrets_unavailable": "the credentials needed to answer could not be read in time",
    "budget_exceeded": "the answer was not ready in time",
    "internal_error": "an unexpected error occurred",
}
STATIC_AGENT = "ThunderPhone answered with the agent set on your key or number instead"


def fallback_in_words(reason: str | None) -> str:
    said = FALLBACKS.get(reason or "", "the reason was not recorded")
    return f"{said[0].upper()}{said[1:]}: {STATIC_AGENT}."


def _listed(values: list[str], one: str, many: str, *, quote: bool = True) -> str:
    quoted = [f"'{value}'" if quote else value for value in values]
    return f"{one} {quoted[0]}" if len(quoted) == 1 else f"{many} {', '.join(quoted[:-1])} or {quoted[-1]}"


def conditions_in_words(rule: RoutingRule) -> list[str]:
    """Each condition of the rule that held, as a sentence (every condition must hold for a rule to match)."""
    when = rule.when
    said: list[str] = []
    if when.channel is not None:
        said.append("it was a phone call" if when.channel == "phone" else "it was a web session")
    if when.widget_ids:
        said.append(_listed(when.widget_ids, "it started from the widget", "it started from one of the widgets"))
    if when.to_numbers:
        said.append(_listed(when.to_numbers, "the number called was", "the number called was one of", quote=False))
    if when.caller_numbers:
        count = len(when.caller_numbers)
        said.append(
            f"the caller's number is the one the rule lists ({mask_number(when.caller_numbers[0])})"
            if count == 1
            else f"the caller's number is one of the {count} the rule lists"
        )
    if when.caller_prefixes:
        starts = "the caller's number starts with"
        said.append(_listed(when.caller_prefixes, starts, starts, quote=False))
    if when.customer is not None:
        said.append("the caller is a known customer" if when.customer == "known" else "the caller is not a customer")
    if when.segments:
        said.append(_listed(when.segments, "the customer is in the segment", "the customer is in one of the segments"))
    if when.schedule is not None:
        during = when.schedule == "business_hours"
        said.append("it came in during business hours" if during else "it came in outside business hours")
    return said


def rule_in_words(rule_id: str | None, reason: str | None, rule: RoutingRule | None) -> list[str]:
    """Why the call got its answer: which rule, and each of its conditions that held."""
    if rule_id is None:
        return ["No rule matched, so your default profile answered."] if reason == "default_profile" else []
    if rule is None:
        return [f"The rule '{rule_id}' matched (that version of your configuration is no longer stored)."]
    conditions = conditions_in_words(rule)
    if not conditions:
        return [f"The rule '{rule_id}' has no conditions, so it matches every call that no earlier rule took."]
    return [
        f"The rule '{rule_id}' was the first rule, in priority order, whose conditions all held:",
        *[f"{condition[0].upper()}{condition[1:]}." for condition in conditions],
    ]


def variant_in_words(variant: str | None, rule: RoutingRule | None) -> str | None:
    if variant is None:
        return None
    if rule is not None and rule.bucket_by == "caller":
        return f"Variant '{variant}' of the A/B test: a returning caller keeps the same variant."
    return f"Variant '{variant}' of the A/B test, chosen for this call by the test's weights."


def end_reason_in_words(end_reason: str | None) -> str | None:
    """ThunderPhone's end reason (its own vocabulary, not all documented) with its underscores as spaces."""
    return end_reason.replace("_", " ") if end_reason else None
