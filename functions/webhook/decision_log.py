"""The decision log's entry for an answer: what the router decided for a call, carried in the answer's log
line as `decision` and recorded in the calls table from there (functions/decision_recorder/, fed by a
CloudWatch Logs subscription), so that no answer waits for a write. No prompt and no caller number.

`to_number` is whatever the body says, so it is kept only as a number: whole when it is the operator's claim
that named the tenant (the tenant's own ThunderPhone number, which impact replays match `to_numbers` rules
against), masked when it is any other E.164 number (someone's phone, for all we know), and not at all when it
is not an E.164 number (an e-mail address, a number written with spaces: `number_kept`)."""

from __future__ import annotations

from typing import Any

from functions.calls.decisions import DecisionRecord, decision_to_log
from functions.common.masking import mask_number
from functions.common.types import is_e164
from functions.webhook.models import CallFacts, Decision


def number_kept(facts: CallFacts) -> str | None:
    """What the decision log keeps of the number called (module doc)."""
    number = facts.to_number
    if number is None or not is_e164(number):
        return None
    return number if facts.number_claimed else mask_number(number)


def decision_record(facts: CallFacts, decision: Decision, latency_ms: float) -> DecisionRecord:
    return DecisionRecord(
        tenant_id=decision.tenant_id,
        call_id=facts.call_id,
        event_type=facts.event_type,
        channel=facts.channel,
        widget_id=facts.widget_id,
        to_number=number_kept(facts),
        decision=decision.outcome,
        reason=decision.reason,
        rule_id=decision.rule_id,
        variant=decision.variant,
        profile_id=decision.profile_id,
        profile_version=decision.profile_version,
        customer_known=decision.customer_known,
        latency_ms=latency_ms,
        decided_at=facts.received_at,
        config_version=decision.config_version,
        stale=decision.stale,
    )


def decision_entry(facts: CallFacts, decision: Decision, latency_ms: float) -> dict[str, Any]:
    return decision_to_log(decision_record(facts, decision, latency_ms))
