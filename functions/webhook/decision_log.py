"""The decision log: what the router answered for each call, one conditional write per call (a
redelivered incoming event finds its decision and changes nothing). No prompt; the caller's number is
stored for replays (phone calls, E.164 only) in the tenant's own call record and never logged."""

from __future__ import annotations

from functions.calls.records import DecisionRecord
from functions.common.errors import StoreUnavailable
from functions.common.metric_names import Metric
from functions.common.observability import logger
from functions.webhook import telemetry
from functions.webhook.models import CallFacts, Decision
from functions.webhook.ports import DecisionLog
from functions.webhook.routing import caller_of


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
        caller=caller_of(facts),
        stale=decision.stale,
    )


def record_decision(log: DecisionLog, facts: CallFacts, decision: Decision, latency_ms: float) -> None:
    """Any failure is logged and counted, never raised: the answer has been decided already."""
    try:
        log.record_decision(decision_record(facts, decision, latency_ms))
    except StoreUnavailable as exc:
        logger.warning(
            "decision log write failed",
            extra={"call_id": facts.call_id, "tenant_id": decision.tenant_id, "error": str(exc)},
        )
        telemetry.count(Metric.DECISION_LOG_FAILED, immediately=True)
