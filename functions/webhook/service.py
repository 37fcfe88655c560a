"""The webhook pipeline: size, signature, route, payload, then an incoming event's tenant, configuration
and decision, or an outcome event made durable (outcomes.py).

Takes its collaborators as arguments (ports.py) and never touches AWS or the environment itself.
Every path ends in a Reply; the handler adds only the time budget around it. The URL's token is the
only thing that names a route, and the route (or, on the org-level route, the operator's number claims)
is the only thing that names the tenant: nothing in a body can choose one.

Incoming (blocking) events never get a 5xx: ThunderPhone only waits 2 s and falls back anyway, so every
failure is `{}`. Outcome events are not waited on and are retried on any non-2xx, so a failure that keeps
one from its queue is a 429/503: ThunderPhone delivers it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from functions.common.errors import InvalidItem, SecretsUnavailable, StoreUnavailable
from functions.common.observability import logger
from functions.common.types import is_e164, is_tenant_id
from functions.outcomes.message import call_id_of
from functions.thunderphone.events import (
    INCOMING_EVENTS,
    OUTCOME_EVENTS,
    WEB_CALLER,
    IncomingCall,
    WebhookEnvelope,
)
from functions.thunderphone.signing import verify
from functions.webhook.capping import capped_decision
from functions.webhook.models import CallFacts, Decision, FallbackReason, Reply
from functions.webhook.origin import FORBIDDEN, came_through_edge
from functions.webhook.outcomes import TOO_LARGE, enqueue_outcome, store_unavailable, unavailable
from functions.webhook.ports import SecretSource, TenantStore
from functions.webhook.routing import ToolSecretUnavailable, decide
from functions.webhook_routes.model import Route, is_token, route_id

if TYPE_CHECKING:
    from functions.outcomes.ports import OutcomeQueue

UTC_ZONE = ZoneInfo("UTC")
UNAUTHORIZED = Reply(401, {"error": "unauthorized"}, "rejected", "bad_signature")
NOT_FOUND = Reply(404, {"error": "not_found"}, "rejected", "unknown_route")


@dataclass(frozen=True)
class WebhookRequest:
    body: bytes
    signature: str | None
    token: str  # the capability in the URL path: /webhooks/{token}
    received_at: datetime
    origin_proof: str | None = None  # the header CloudFront adds with edge protection (origin.py)


def fallback(reason: FallbackReason, call_id: int | None = None, decision: Decision | None = None) -> Reply:
    """`{}`: ThunderPhone then uses the number's or key's static agent."""
    return Reply(200, {}, "fallback", reason, decision, call_id)


def claims_outcome(body: bytes) -> bool:
    """Whether a body names an outcome event. Read only when the signature cannot be checked (or not in
    time), and only to choose how to fail: an outcome event gets a non-2xx so that ThunderPhone delivers it
    again, anything else `{}` (a blocking event falls back; other events are only acknowledged anyway).
    Before the signature is checked this choice is all a body decides."""
    try:
        envelope = WebhookEnvelope.model_validate_json(body)
    except ValidationError:
        return False
    return envelope.type in OUTCOME_EVENTS


def failure(reason: FallbackReason, body: bytes) -> Reply:
    """The answer when a request cannot be handled at all: 503 for an outcome event, else `{}`."""
    return unavailable(reason) if claims_outcome(body) else fallback(reason)


def authenticate(request: WebhookRequest, secrets: SecretSource) -> tuple[Reply | None, bool]:
    """(None, stale) when the signature is good, `stale` when it was checked against last-known-good secrets;
    else the reply to send: 401, or, when the secrets cannot be read, `{}` (503 for an outcome event, so that
    ThunderPhone retries it). A signature that matches none of the last-known-good secrets while Secrets
    Manager cannot be read is the latter too: it may be signed with a secret rotated during the outage."""
    try:
        signing, stale = secrets.signing_secrets()
        if verify(request.body, request.signature, signing):
            return None, stale
        # A secret rotated in the last minutes may not be cached yet: look once more (rate-limited).
        signing, stale = secrets.signing_secrets(refresh=True)
        if verify(request.body, request.signature, signing):
            return None, stale
    except SecretsUnavailable:
        return failure("secrets_unavailable", request.body), False
    return (failure("secrets_unavailable", request.body) if stale else UNAUTHORIZED), False


def through_edge(request: WebhookRequest, origin_values: Callable[[], tuple[str, ...]]) -> Reply | None:
    """None when the request came through CloudFront (edge protection), else the reply to send: 403; or, when the
    origin secret is unreadable, `{}` (503 for an outcome event), as for the signing secrets."""
    try:
        accepted = origin_values()
    except SecretsUnavailable:
        return failure("secrets_unavailable", request.body)
    return None if came_through_edge(request.origin_proof, accepted) else FORBIDDEN


def find_route(token: str, store: TenantStore) -> Route | None:
    """The active route a token opens; None for anything else (never says which)."""
    if not is_token(token):
        return None
    try:
        route = store.route(route_id(token))
    except InvalidItem:
        logger.warning("invalid route item", extra={"route_id": route_id(token)[:12]})
        return None
    return route if route is not None and route.active else None


def answer(
    request: WebhookRequest,
    *,
    store: TenantStore,
    secrets: SecretSource,
    max_body_bytes: int,
    max_prompt_chars: int,
    max_outcome_body_bytes: int | None = None,
    queue: Callable[[], OutcomeQueue | None] | None = None,
    origin_values: Callable[[], tuple[str, ...]] | None = None,
    origin_report_only: bool = False,
    billing_zone: ZoneInfo = UTC_ZONE,
) -> Reply:
    """Bodies over `max_body_bytes` are accepted only as signed outcome events, up to `max_outcome_body_bytes`
    (which are queued by `queue`, never stored here). With `origin_values` (edge protection), a request that did
    not come through CloudFront is refused before anything else; with `origin_report_only` it is only logged, so
    URLs made before edge protection keep working while they are moved (docs/deploy.md, "Edge protection")."""
    if origin_values is not None:
        around_the_edge = through_edge(request, origin_values)
        if around_the_edge is not None:
            if not origin_report_only:
                return around_the_edge
            logger.warning(
                "the origin check would refuse this webhook request (report only)",
                extra={"origin_check": "report_only", "reason": around_the_edge.reason},
            )
    size = len(request.body)
    if size > max(max_body_bytes, max_outcome_body_bytes or 0):
        return TOO_LARGE
    rejected, stale_secrets = authenticate(request, secrets)
    if rejected is not None:
        return rejected
    reply = _answer_signed(
        request,
        store=store,
        secrets=secrets,
        max_body_bytes=max_body_bytes,
        max_prompt_chars=max_prompt_chars,
        queue=queue,
        billing_zone=billing_zone,
    )
    return replace(reply, stale_secrets=True) if stale_secrets else reply


def _answer_signed(
    request: WebhookRequest,
    *,
    store: TenantStore,
    secrets: SecretSource,
    max_body_bytes: int,
    max_prompt_chars: int,
    queue: Callable[[], OutcomeQueue | None] | None,
    billing_zone: ZoneInfo = UTC_ZONE,
) -> Reply:
    """A signed request of at most the outcome limit: its route, then its event."""
    size = len(request.body)
    try:
        envelope: WebhookEnvelope | None = WebhookEnvelope.model_validate_json(request.body)
    except ValidationError:
        envelope = None
    is_outcome = envelope is not None and envelope.type in OUTCOME_EVENTS
    if size > max_body_bytes and not is_outcome:
        return TOO_LARGE
    try:
        route = find_route(request.token, store)
    except StoreUnavailable:
        return store_unavailable() if is_outcome else fallback("store_unavailable")
    if route is None:
        return NOT_FOUND
    if envelope is None:
        return fallback("malformed_payload")
    if is_outcome:
        call_id = call_id_of(envelope.data)
        if call_id is None:
            # Signed bytes never change: ThunderPhone retrying an event whose call id it could never have sent
            # gains nothing (and 24 h of non-2xx marks the endpoint failing). Acknowledged like any malformed
            # payload, never queued.
            return fallback("malformed_payload")
        return enqueue_outcome(route, envelope.type, call_id, request.body, request.received_at, queue=queue)
    if envelope.type not in INCOMING_EVENTS:
        return Reply(200, {"received": True}, "acknowledged", envelope.type, tenant_id=route.tenant_id)
    try:
        call = IncomingCall.model_validate(envelope.data)
    except ValidationError:
        return fallback("malformed_payload")
    return answer_incoming(
        route,
        request.received_at,
        envelope.type,
        call,
        store=store,
        secrets=secrets,
        max_prompt_chars=max_prompt_chars,
        billing_zone=billing_zone,
    )


def answer_incoming(
    route: Route,
    received_at: datetime,
    event_type: str,
    call: IncomingCall,
    *,
    store: TenantStore,
    secrets: SecretSource,
    max_prompt_chars: int,
    billing_zone: ZoneInfo = UTC_ZONE,
) -> Reply:
    web = call.from_number == WEB_CALLER or event_type == "web.incoming"
    facts = CallFacts(
        call_id=call.call_id,
        event_type=event_type,
        channel="web" if web else "phone",
        from_number=call.from_number,
        to_number=call.to_number,
        widget_id=route.widget_id,
        received_at=received_at,
        number_claimed=route.tenant_id is None,
    )
    customer_id = call.from_number if not web and is_e164(call.from_number) else None
    try:
        # A key's route names its tenant; on the org-level route only the operator's number claims do.
        found = route.tenant_id or (store.tenant_for_number(call.to_number) if call.to_number else None)
        if found is None:
            return fallback("unknown_number", call.call_id)
        tenant_id: str = found
        if not is_tenant_id(tenant_id):
            return fallback("unknown_tenant", call.call_id)
        config, customer = store.load(tenant_id, customer_id)
    except StoreUnavailable:
        return fallback("store_unavailable", call.call_id)
    except InvalidItem as exc:
        invalid = Decision(tenant_id, "fallback", "invalid_item", problems=(exc.log_text,))
        return fallback("invalid_item", call.call_id, invalid)

    stale_tools = False

    def tool_secrets() -> Mapping[str, str]:
        nonlocal stale_tools
        try:
            credentials, stale_tools = secrets.tool_secrets(tenant_id)
        except SecretsUnavailable as exc:
            raise ToolSecretUnavailable(str(exc)) from exc
        return credentials

    decision = capped_decision(
        config, customer, facts, zone=billing_zone, tool_secrets=tool_secrets, max_prompt_chars=max_prompt_chars
    ) or decide(config, customer, facts, tool_secrets=tool_secrets, max_prompt_chars=max_prompt_chars)
    return Reply(
        200,
        decision.body,
        decision.outcome,
        decision.reason,
        decision,
        call.call_id,
        facts=facts,
        tenant_id=tenant_id,
        widget_id=route.widget_id,
        stale_secrets=stale_tools,
    )
