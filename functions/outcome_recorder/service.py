"""One queued outcome event, recorded: parsed from the body the webhook verified, kept aside if DynamoDB
could never store it, attributed by the attribution rule (functions/outcomes/attribution.py) and written
beside the call's decision, refused, or set aside for the operator when the call is contested.

Returns what became of it. Raises StoreUnavailable when the calls table, the configuration or the
quarantine queue fails, and ThunderPhoneError or SecretsUnavailable when ThunderPhone's record of the call
is needed and cannot be read: the handler then fails only this record, SQS delivers it again, and after the
queue's maxReceiveCount it moves to the dead-letter queue.

The call's start comes from the completion event's `start_time`, else (a grade, or a completion without one)
from ThunderPhone's record of the call, read only when some tenant decided the call.

Decisions reach the calls table a few seconds after their answer (from the webhook's log lines,
functions/decision_recorder/). Until `settle_seconds` after the call's start (its arrival, if earlier or
unknown), a decision that would claim the call may still be on its way, so an event is put back
(DecisionPending) unless the route names a tenant whose decision fits, ThunderPhone's record settles the
call, or the call is already contested (more decisions can only keep it so).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from functions.calls.records import Completion, Grade, InvalidCallEvent, precedence_key, unstorable_fields
from functions.common import table
from functions.common.clock import aware
from functions.outcome_recorder.models import Recorded
from functions.outcomes.attribution import (
    CONTESTED,
    REFUSED,
    FitWindow,
    claimed_number,
    named_tenant,
    parse_outcome,
    store_outcome,
    whose_call,
)
from functions.outcomes.message import QUARANTINE_REASON, QueuedOutcome, call_id_of
from functions.outcomes.ports import CallLookup, ContestedLog, OutcomeLog, OutcomeQueue, TenantDirectory
from functions.thunderphone.events import WebhookEnvelope
from functions.thunderphone.objects import ApiCall

MAX_REASON_CHARS = 500


class DecisionPending(Exception):
    """A decision that would claim the call may not be recorded yet: deliver the event again later."""


class ThunderPhoneRecord:
    """ThunderPhone's record of one call, read at most once and only if asked for (None without a lookup)."""

    def __init__(self, lookup: CallLookup | None, call_id: int) -> None:
        self._lookup = lookup
        self._call_id = call_id
        self._read = False
        self._call: ApiCall | None = None

    def get(self) -> ApiCall | None:
        if not self._read and self._lookup is not None:
            self._call = self._lookup.get_call(self._call_id)
        self._read = True
        return self._call


def record(
    message: QueuedOutcome,
    *,
    calls: OutcomeLog,
    directory: TenantDirectory,
    quarantine: OutcomeQueue,
    contested: ContestedLog,
    thunderphone: CallLookup | None = None,
    window: FitWindow | None = None,
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
    named = named_tenant(message.route_kind, message.tenant_id, directory.tenant_for_number(number) if number else None)
    decisions = calls.decisions_of(outcome.call_id)
    thunderphone_record = ThunderPhoneRecord(thunderphone, outcome.call_id)
    start = call_start(outcome, thunderphone_record if decisions else None)  # nobody decided: nothing to weigh
    claimants = (window or FitWindow()).claimants(decisions, start)
    found = whose_call(
        message.route_kind,
        named,
        claimants,
        call=thunderphone_record.get,
        owner_of=directory.tenant_for_number,
        assigned=lambda: contested.assigned_tenant(outcome.call_id),
    )
    verdict, confirmed = found.tenant, found.confirmed
    if verdict == CONTESTED:
        claims = {tenant: decisions[tenant] for tenant in claimants}
        new = contested.set_aside(message, outcome.call_id, named, claims, start, precedence_key(outcome))
        claimed_by = f"claimed by {', '.join(sorted(claimants))}"
        return Recorded("contested" if new else "duplicate", event_type, outcome.call_id, problem=claimed_by)

    since = min(start, message.received_at) if start is not None else message.received_at
    if not confirmed and ((now or datetime.now(UTC)) - since).total_seconds() < settle_seconds:
        raise DecisionPending(f"call {outcome.call_id}: a decision that would claim it may not be recorded yet")
    if verdict == REFUSED:
        return Recorded("refused", event_type, outcome.call_id, message.tenant_id)
    keep = verdict != table.UNASSIGNED_TENANT and directory.keeps_transcripts(verdict)
    try:
        stored = store_outcome(calls, verdict, outcome, keep_transcripts=keep)
    except InvalidCallEvent as exc:
        return Recorded("invalid", event_type, outcome.call_id, problem=str(exc))
    return Recorded("stored" if stored else "duplicate", event_type, outcome.call_id, verdict)


def call_start(outcome: Completion | Grade, thunderphone_record: ThunderPhoneRecord | None) -> datetime | None:
    """When the call started: the completion's own `start_time`, else ThunderPhone's record's (if one is given)."""
    if isinstance(outcome, Completion) and outcome.start_time is not None:
        return aware(outcome.start_time)
    call = thunderphone_record.get() if thunderphone_record is not None else None
    return aware(call.start_time) if call is not None and call.start_time is not None else None


def keep_aside(
    message: QueuedOutcome, quarantine: OutcomeQueue, event_type: str, call_id: int | None, reason: str
) -> Recorded:
    """One SendMessage to the quarantine queue (the body and attributes as queued, plus the reason); a
    retry would never help such an event, so it is consumed here."""
    reason = reason[:MAX_REASON_CHARS]
    quarantine.send(message, **{QUARANTINE_REASON: reason})
    return Recorded("quarantined", event_type, call_id, message.tenant_id, problem=reason)
