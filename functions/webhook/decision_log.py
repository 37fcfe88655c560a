"""The decision log's entry for an answer: what the router decided for a call, carried in the answer's log
line as `decision` and recorded in the calls table from there (functions/decision_recorder/, fed by a
CloudWatch Logs subscription), so that no answer waits for a write. No prompt and no caller number."""

from __future__ import annotations

from typing import Any

from functions.calls.decisions import DecisionRecord, decision_to_log
from functions.webhook.models import CallFacts, Decision


def decision_record(facts: CallFacts, decision: Decision, latency_ms: float) -> DecisionRecord:
    return DecisionRecord(
        tenant_id=decision.tenant_id,
        call_id=facts.call_id,
        event_type=facts.event_type,
        channel=facts.channel,
        widget_id=facts.widget_id,
        to_number=facts.to_number or None,
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
