"""The webhook pipeline: size, signature, payload, tenant, configuration, decision.

Takes its collaborators as arguments (ports.py) and never touches AWS or the environment itself.
Every path ends in a Reply; the handler adds only the time budget around it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from functions.common.call_records import OUTCOME_EVENTS
from functions.common.errors import SecretsUnavailable, StoreUnavailable
from functions.common.items import InvalidItem
from functions.common.thunderphone import INCOMING_EVENTS, WEB_CALLER, IncomingCall, WebhookEnvelope
from functions.webhook.call_log import OutcomeLog, answer_outcome
from functions.webhook.models import CallFacts, Decision, FallbackReason, Reply
from functions.webhook.ports import SecretSource, TenantStore
from functions.webhook.routing import ToolSecretUnavailable, decide
from functions.webhook.signature import verify

_TENANT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

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
    customer_id = call.from_number if not web and _E164.match(call.from_number) else None
    try:
        found = request.tenant_id or (store.tenant_for_number(call.to_number) if call.to_number else None)
        if found is None:
            return fallback("unknown_number", call.call_id)
        tenant_id: str = found
        if not _TENANT_ID.match(tenant_id):
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
