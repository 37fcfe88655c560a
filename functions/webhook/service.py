"""The webhook pipeline: size, signature, payload, tenant, configuration, decision; outcome events
stored beside the call's decision; the decision log.

Takes its collaborators as arguments (ports.py) and never touches AWS or the environment itself.
Every path ends in a Reply; the handler adds only the time budget around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from functions.calls.records import (
    DecisionRecord,
    InvalidCallEvent,
    completion_from_event,
    grade_from_event,
)
from functions.common import table
from functions.common.errors import InvalidItem, SecretsUnavailable, StoreUnavailable
from functions.common.metric_names import Metric
from functions.common.observability import logger
from functions.common.types import is_e164, is_tenant_id
from functions.thunderphone.events import (
    COMPLETION_EVENTS,
    GRADED_EVENTS,
    INCOMING_EVENTS,
    OUTCOME_EVENTS,
    WEB_CALLER,
    IncomingCall,
    WebhookEnvelope,
)
from functions.thunderphone.signing import verify
from functions.webhook import telemetry
from functions.webhook.models import CallFacts, Decision, FallbackReason, Reply
from functions.webhook.ports import DecisionLog, OutcomeLog, SecretSource, TenantStore
from functions.webhook.routing import ToolSecretUnavailable, decide

UNAUTHORIZED = Reply(401, {"error": "unauthorized"}, "rejected", "bad_signature")


@dataclass(frozen=True)
class WebhookRequest:
    body: bytes
    signature: str | None
    tenant_id: str | None  # from the path; None on the org-level POST /webhooks
    widget_id: str | None
    received_at: datetime


def fallback(reason: FallbackReason, call_id: int | None = None, decision: Decision | None = None) -> Reply:
    """`{}`: ThunderPhone then uses the number's or key's static agent."""
    return Reply(200, {}, "fallback", reason, decision, call_id)


def authenticate(request: WebhookRequest, secrets: SecretSource) -> Reply | None:
    """None when the signature is good, else the reply to send (401, or {} if secrets are unreadable)."""
    try:
        if verify(request.body, request.signature, secrets.signing_secrets()):
            return None
        # A secret rotated in the last minutes may not be cached yet: look once more (rate-limited).
        if verify(request.body, request.signature, secrets.signing_secrets(refresh=True)):
            return None
    except SecretsUnavailable:
        return fallback("secrets_unavailable")
    return UNAUTHORIZED


def answer(
    request: WebhookRequest,
    *,
    store: TenantStore,
    secrets: SecretSource,
    max_body_bytes: int,
    max_prompt_chars: int,
    outcomes: Callable[[], OutcomeLog | None] | None = None,
) -> Reply:
    if len(request.body) > max_body_bytes:
        return Reply(413, {"error": "payload_too_large"}, "rejected", "too_large")
    rejected = authenticate(request, secrets)
    if rejected is not None:
        return rejected
    try:
        envelope = WebhookEnvelope.model_validate_json(request.body)
    except ValidationError:
        return fallback("malformed_payload")
    if envelope.type in OUTCOME_EVENTS and outcomes is not None and (log := outcomes()) is not None:
        return answer_outcome(request.tenant_id, envelope.type, envelope.data, store=store, log=log)
    if envelope.type not in INCOMING_EVENTS:
        return Reply(200, {"received": True}, "acknowledged", envelope.type)
    try:
        call = IncomingCall.model_validate(envelope.data)
    except ValidationError:
        return fallback("malformed_payload")
    return answer_incoming(
        request, envelope.type, call, store=store, secrets=secrets, max_prompt_chars=max_prompt_chars
    )


def answer_incoming(
    request: WebhookRequest,
    event_type: str,
    call: IncomingCall,
    *,
    store: TenantStore,
    secrets: SecretSource,
    max_prompt_chars: int,
) -> Reply:
    web = call.from_number == WEB_CALLER or event_type == "web.incoming"
    facts = CallFacts(
        call_id=call.call_id,
        event_type=event_type,
        channel="web" if web else "phone",
        from_number=call.from_number,
        to_number=call.to_number,
        widget_id=request.widget_id,
        received_at=request.received_at,
    )
    customer_id = call.from_number if not web and is_e164(call.from_number) else None
    try:
        found = request.tenant_id or (store.tenant_for_number(call.to_number) if call.to_number else None)
        if found is None:
            return fallback("unknown_number", call.call_id)
        tenant_id: str = found
        if not is_tenant_id(tenant_id):
            return fallback("unknown_tenant", call.call_id)
        config, customer = store.load(tenant_id, customer_id)
    except StoreUnavailable:
        return fallback("store_unavailable", call.call_id)
    except InvalidItem as exc:
        invalid = Decision(tenant_id, "fallback", "invalid_item", problems=(str(exc),))
        return fallback("invalid_item", call.call_id, invalid)

    def tool_secrets() -> Mapping[str, str]:
        try:
            return secrets.tool_secrets(tenant_id)
        except SecretsUnavailable as exc:
            raise ToolSecretUnavailable(str(exc)) from exc

    decision = decide(config, customer, facts, tool_secrets=tool_secrets, max_prompt_chars=max_prompt_chars)
    return Reply(200, decision.body, decision.outcome, decision.reason, decision, call.call_id, facts=facts)


def answer_outcome(
    tenant_id: str | None, event_type: str, data: Mapping[str, Any], *, store: TenantStore, log: OutcomeLog
) -> Reply:
    """The webhook's answer to a verified outcome event (call.complete / *.complete / call.graded).

    The tenant comes from the path, else from `to_number` (org-level endpoint), else from the call-id
    index. 200 when stored or a duplicate; 200 for a payload that can never be stored (a retry would
    not fix it; logged); 429 when a store fails, so ThunderPhone retries later (any non-2xx is retried
    for 24 h; the webhook never answers 5xx, and "try again later" is a 429).
    """
    try:
        if tenant_id is None:
            to_number = data.get("to_number")
            if isinstance(to_number, str) and to_number.startswith("+"):
                tenant_id = store.tenant_for_number(to_number)
        keep_transcripts = False
        if tenant_id is not None and is_tenant_id(tenant_id):
            try:
                config, _ = store.load(tenant_id, None)
                keep_transcripts = bool(config.tenant and config.tenant.keep_transcripts)
            except InvalidItem:
                pass  # the tenant item is broken: keep nothing personal, still store the outcome
        stored = record_outcome(log, tenant_id, event_type, data, keep_transcripts=keep_transcripts)
    except InvalidCallEvent as exc:
        logger.warning("outcome event not stored", extra={"event_type": event_type, "problem": str(exc)})
        return Reply(200, {"received": True}, "acknowledged", "invalid_outcome", call_id=_call_id(data))
    except StoreUnavailable:
        return Reply(429, {"error": "store_unavailable"}, "rejected", "store_unavailable", call_id=_call_id(data))
    return Reply(200, {"received": True}, "acknowledged", "stored" if stored else "duplicate", call_id=_call_id(data))


def record_outcome(
    log: OutcomeLog, tenant_id: str | None, event_type: str, data: Mapping[str, Any], *, keep_transcripts: bool
) -> bool:
    """Store a completion or grade beside the call's decision. True when the item changed, False for a
    duplicate or an older/lower-ranked delivery. Raises InvalidCallEvent for a payload that does not
    validate (or an event type that is not an outcome) and StoreUnavailable when DynamoDB fails."""
    if tenant_id is not None and not is_tenant_id(tenant_id):
        raise InvalidCallEvent(f"{event_type}: tenant id is not valid")
    if event_type in COMPLETION_EVENTS:
        completion = completion_from_event(event_type, data)
        call_id = completion.call_id
    elif event_type in GRADED_EVENTS:
        grade = grade_from_event(event_type, data)
        call_id = grade.call_id
    else:
        raise InvalidCallEvent(f"{event_type}: not an outcome event")
    if tenant_id is None:
        tenant_id = log.tenant_of_call(call_id) or table.UNASSIGNED_TENANT
        keep_transcripts = False  # the tenant's setting is unknown here: keep nothing personal
    if event_type in COMPLETION_EVENTS:
        return log.record_completion(tenant_id, completion, keep_transcripts=keep_transcripts)
    return log.record_grade(tenant_id, grade)


def _call_id(data: Mapping[str, Any]) -> int | None:
    value = data.get("call_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def decision_record(facts: CallFacts, decision: Decision, latency_ms: float) -> DecisionRecord:
    """What the decision log keeps about one answer: no caller number, no prompt."""
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
    )


def record_decision(log: DecisionLog, facts: CallFacts, decision: Decision, latency_ms: float) -> None:
    """One conditional write; a redelivery is silent, and any failure is logged and counted, never
    raised: the answer has been decided already."""
    try:
        log.record_decision(decision_record(facts, decision, latency_ms))
    except StoreUnavailable as exc:
        logger.warning(
            "decision log write failed",
            extra={"call_id": facts.call_id, "tenant_id": decision.tenant_id, "error": str(exc)},
        )
        telemetry.count(Metric.DECISION_LOG_FAILED, immediately=True)
