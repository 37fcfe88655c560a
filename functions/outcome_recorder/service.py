"""One queued outcome event, recorded: parsed from the body the webhook verified, kept aside if DynamoDB
could never store it, attributed (functions.outcomes.attribution) and written beside the call's decision.

Returns what became of it. Raises StoreUnavailable when the calls table, the configuration or the
quarantine queue fails: the handler then fails only this record, SQS delivers it again, and after the
queue's maxReceiveCount it moves to the dead-letter queue.

Decisions reach the calls table a few seconds after their answer (from the webhook's log lines,
functions/decision_recorder/). An outcome with no decision yet is therefore put back (DecisionPending)
until it is `settle_seconds` old: only then does "nobody decided this call" decide its attribution.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from functions.calls.records import InvalidCallEvent, unstorable_fields
from functions.common import table
from functions.outcome_recorder.models import Recorded
from functions.outcomes.attribution import REFUSED, attribute, claimed_number, parse_outcome, store_outcome
from functions.outcomes.message import QUARANTINE_REASON, QueuedOutcome, call_id_of
from functions.outcomes.ports import OutcomeLog, OutcomeQueue, TenantDirectory
from functions.thunderphone.events import WebhookEnvelope

MAX_REASON_CHARS = 500


class DecisionPending(Exception):
    """No decision is recorded for the call yet, and one may still arrive: deliver the event again later."""


def record(
    message: QueuedOutcome,
    *,
    calls: OutcomeLog,
    directory: TenantDirectory,
    quarantine: OutcomeQueue,
    settle_seconds: float = 0.0,
    now: datetime | None = None,
) -> Recorded:
    try:
        envelope = WebhookEnvelope.model_validate_json(message.body)
    except ValidationError:
        return keep_aside(message, quarantine, message.event_type, None, "body is not a webhook envelope")
    event_type, data = envelope.type, envelope.data
    call_id = call_id_of(data)
    try:
        outcome = parse_outcome(event_type, data)
    except InvalidCallEvent as exc:
        return Recorded("invalid", event_type, call_id, problem=str(exc))
    unstorable = unstorable_fields(outcome)
    if unstorable:
        reason = f"not storable in DynamoDB: {', '.join(unstorable)}"
        return keep_aside(message, quarantine, event_type, call_id, reason)
    number = claimed_number(data) if message.route_kind == "org" else None
    owner = directory.tenant_for_number(number) if number else None
    deciders = calls.deciding_tenants(outcome.call_id)
    if not deciders and ((now or datetime.now(UTC)) - message.received_at).total_seconds() < settle_seconds:
        raise DecisionPending(f"call {outcome.call_id} has no decision recorded yet")
    tenant_id = attribute(message.route_kind, message.tenant_id, owner, deciders)
    if tenant_id == REFUSED:
        return Recorded("refused", event_type, outcome.call_id, message.tenant_id)
    keep = tenant_id != table.UNASSIGNED_TENANT and directory.keeps_transcripts(tenant_id)
    try:
        stored = store_outcome(calls, tenant_id, outcome, keep_transcripts=keep)
    except InvalidCallEvent as exc:
        return Recorded("invalid", event_type, outcome.call_id, problem=str(exc))
    return Recorded("stored" if stored else "duplicate", event_type, outcome.call_id, tenant_id)


def keep_aside(
    message: QueuedOutcome, quarantine: OutcomeQueue, event_type: str, call_id: int | None, reason: str
) -> Recorded:
    """One SendMessage to the quarantine queue (the body and attributes as queued, plus the reason); a
    retry would never help such an event, so it is consumed here."""
    reason = reason[:MAX_REASON_CHARS]
    quarantine.send(message, **{QUARANTINE_REASON: reason})
    return Recorded("quarantined", event_type, call_id, message.tenant_id, problem=reason)
