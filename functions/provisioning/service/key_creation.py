"""Making a publishable key exactly once, whatever fails or repeats.

Nothing lost, nothing doubled when creating a key. We use a conditional-write reservation item in
the tenant's operator-only partition rather than Powertools idempotency, because a crash after
ThunderPhone made the key but before we stored it must be *recovered*, not merely replayed or blocked:
Powertools would keep an INPROGRESS record until the function's timeout and then run the create again,
minting a second key. The reservation carries a marker that we also put in the key's `name` at
ThunderPhone, so a retry (client, Lambda or timeout) can look for the key an earlier attempt made
(`GET /v1/publishable-key`) and adopt it:

1. `reserve`: put `KEYREQ#{id}` if absent (id = hash of tenant + Idempotency-Key, or of the request
   body) as `pending` with a lease, and a webhook token drawn now: the reservation, not the attempt,
   owns the token, so every retry and take-over of the request uses the same URL.
2. If it already exists (same request, else `idempotency_key_reused`):
   - `done`: return the stored key.
   - `unknown` (the last attempt *ended* without knowing whether ThunderPhone made the key): take the
     claim over at once, with a write conditional on that state and lease, so of two concurrent retries
     one wins and the other gets `request_in_progress`; then adopt the marked key if ThunderPhone has it,
     else create it.
   - `pending` (an attempt is running, or crashed): adopt the marked key if ThunderPhone has it; else,
     while the lease runs, `request_in_progress`; once it has expired (a crash), take the claim over
     (conditional on the old lease) and create.
   Every take-over sets a strictly later lease, so the lease also names the attempt that holds the claim.
3. Open the token's route (an attempt that finds it already open goes on), then create at ThunderPhone
   with the marked name. A definite refusal (400/401/402/403/404) drops the claim and retires the
   route. Any other failure of the attempt holding the claim (timeout, 5xx, a failed write) keeps both
   and, before the error is returned, marks the claim `unknown`, conditional on the attempt's own lease
   (so it never touches a claim another attempt holds): the next retry reconciles at once instead of
   waiting for the lease. An attempt that dies without marking leaves its lease to expire.
4. Store the key record and mark the claim done in one transaction.

One residual race is ThunderPhone's, not ours: after a *timeout* ThunderPhone may still be working on
the create when the retry lists the keys. A key that appears that late carries the same marker and URL
(the same route), and an adoption that finds two marked keys keeps the first and deactivates the other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from functions.common.errors import StoreUnavailable
from functions.common.observability import logger
from functions.provisioning.errors import Conflict, RequestInProgress
from functions.provisioning.key_records import (
    KeyRecord,
    Reservation,
    has_marker,
    marked_name,
    request_marker,
)
from functions.provisioning.ports import ConfigWriter, KeyApi, KeyStore, RouteStore
from functions.provisioning.service.webhook_urls import open_route, retire_route
from functions.thunderphone.client import (
    ThunderPhoneAuthError,
    ThunderPhoneBadRequest,
    ThunderPhoneNotFound,
    ThunderPhonePaymentRequired,
)
from functions.thunderphone.objects import KeyMode, RemoteKey
from functions.webhook_routes import model as webhook_routes

# ThunderPhone answered: the key was certainly not made, so the claim can go.
DEFINITE_REFUSALS = (ThunderPhoneBadRequest, ThunderPhoneAuthError, ThunderPhonePaymentRequired, ThunderPhoneNotFound)


@dataclass(frozen=True)
class KeyDeps:
    config: ConfigWriter
    keys: KeyStore
    api: KeyApi
    routes: RouteStore
    clock: Callable[[], datetime]
    lease_seconds: int = 60
    remember_seconds: int = 24 * 3600
    cdn_version: str = "latest"


@dataclass(frozen=True)
class KeySpec:
    """Everything ThunderPhone needs to make a key, plus where its calls are routed. A webhook-mode key's
    URL is `{webhook_base}/webhooks/{token}`, the token drawn once per create request (its reservation);
    the spec itself holds no token, so it can say whether two requests are the same."""

    name: str
    mode: KeyMode
    agent_id: int | None
    webhook_base: str | None  # webhook mode only, without a trailing slash
    widget_id: str | None
    allowed_domains: tuple[str, ...]

    @classmethod
    def of(
        cls,
        *,
        name: str,
        mode: KeyMode,
        agent_id: int | None,
        webhook_base: str,
        widget_id: str | None,
        allowed_domains: tuple[str, ...],
    ) -> KeySpec:
        """Only the fields the mode uses: agent mode has no URL or widget, webhook mode no agent."""
        if mode == "agent":
            return cls(name, mode, agent_id, None, None, allowed_domains)
        return cls(name, mode, None, webhook_base.rstrip("/"), widget_id, allowed_domains)

    def body(self, marker: str, token: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": marked_name(self.name, marker),
            "mode": self.mode,
            "allowed_domains": list(self.allowed_domains),
        }
        if self.mode == "agent":
            body["agent_id"] = self.agent_id
        elif self.webhook_base is None or token is None:
            raise ValueError("a webhook-mode key needs a base URL and a token")
        else:
            body["webhook_url"] = webhook_routes.webhook_url(self.webhook_base, token)
        return body


def ensure_key(
    tenant_id: str,
    spec: KeySpec,
    *,
    request_token: str,
    request_hash: str,
    deps: KeyDeps,
    replaces: int | None = None,
) -> tuple[KeyRecord, bool]:
    """Exactly one ThunderPhone key per (tenant, request token), recorded; see the module docstring."""
    reservation_id = hashlib.sha256(f"{tenant_id}\n{request_token}".encode()).hexdigest()[:32]
    marker = request_marker(tenant_id, request_token)
    now = deps.clock()
    now_s = int(now.timestamp())
    claim = Reservation(
        reservation_id=reservation_id,
        request_hash=request_hash,
        marker=marker,
        state="pending",
        lease_until=now_s + deps.lease_seconds,
        webhook_token=webhook_routes.new_token() if spec.mode == "webhook" else None,
    )
    existing = deps.keys.reserve(tenant_id, claim, expires_at=now_s + deps.remember_seconds)
    if existing is not None:
        if existing.request_hash != request_hash:
            raise Conflict(
                "this Idempotency-Key was already used for a different request; use a new key",
                code="idempotency_key_reused",
            )
        if existing.state == "done" and existing.key_id is not None:
            record = deps.keys.get_key(tenant_id, existing.key_id)
            if record is not None:
                return record, False
    attempt = _Attempt(tenant_id, spec, marker, reservation_id, (existing or claim).webhook_token, replaces, now)
    route = attempt.route()
    if route is not None:  # before ThunderPhone may call the URL; a retry finds its own route open
        open_route(deps.routes, route)
    if existing is None:
        return _settle(attempt, claim.lease_until, deps, adopt_first=False)
    if existing.state == "unknown":  # the last attempt has ended: reconcile now, not after its lease
        lease = _take_over(attempt, existing, "unknown", now_s, deps)
        logger.info(
            "reconciling a key creation whose outcome was unknown", extra={"tenant_id": tenant_id, "marker": marker}
        )
        return _settle(attempt, lease, deps, adopt_first=True)
    adopted = _adopt(attempt, deps)
    if adopted is not None:
        return adopted, True
    if existing.lease_until > now_s:
        raise RequestInProgress(
            "the same request is being processed; retry in a few seconds (it will not create a second key)"
        )
    lease = _take_over(attempt, existing, "pending", now_s, deps)
    logger.warning("resuming an abandoned key creation", extra={"tenant_id": tenant_id, "marker": marker})
    return _settle(attempt, lease, deps, adopt_first=False)


def _take_over(
    attempt: _Attempt, existing: Reservation, state: Literal["pending", "unknown"], now_s: int, deps: KeyDeps
) -> int:
    """Claim `existing` for this attempt (conditional on its state and lease); the new lease, strictly later
    than the old one so it names this attempt. RequestInProgress when another call claimed it first."""
    lease = max(now_s + deps.lease_seconds, existing.lease_until + 1)
    if not deps.keys.take_over(
        attempt.tenant_id, attempt.reservation_id, stale_state=state, stale_lease=existing.lease_until, new_lease=lease
    ):
        raise RequestInProgress("the same request was just resumed by another call; retry in a few seconds")
    return lease


def _settle(attempt: _Attempt, lease: int, deps: KeyDeps, *, adopt_first: bool) -> tuple[KeyRecord, bool]:
    """With the claim held under `lease`: adopt the marked key (`adopt_first`) or create it, and record it. A
    definite refusal of the create releases the claim and retires the route; any other failure marks the claim
    `unknown` before it propagates, so the next retry reconciles at once."""
    released = False
    try:
        if adopt_first and (adopted := _adopt(attempt, deps)) is not None:
            return adopted, True
        try:
            remote = deps.api.create_key(attempt.spec.body(attempt.marker, attempt.token))
        except DEFINITE_REFUSALS:
            deps.keys.release(attempt.tenant_id, attempt.reservation_id)
            released = True
            retire_route(deps.routes, attempt.route_id, at=attempt.now)
            raise
        record = _record(attempt, remote, deps)
    except Exception as failure:
        if not released:
            _mark_unknown(attempt, lease, deps, failure)
        raise
    logger.info(
        "publishable key created", extra={"tenant_id": attempt.tenant_id, "key_id": record.id, "mode": record.mode}
    )
    return record, True


def _mark_unknown(attempt: _Attempt, lease: int, deps: KeyDeps, failure: Exception) -> None:
    """Best effort: the attempt ends without knowing whether the key was made; the original error is what the
    caller sees, whatever happens here (a claim that cannot be marked just keeps its lease)."""
    extra = {"tenant_id": attempt.tenant_id, "marker": attempt.marker, "error": type(failure).__name__}
    try:
        marked = deps.keys.mark_unknown(attempt.tenant_id, attempt.reservation_id, lease=lease)
    except StoreUnavailable:
        logger.warning("key creation failed and its claim was not marked; a retry waits for the lease", extra=extra)
        return
    if marked:
        logger.warning("key creation ended with an unknown outcome; the next retry reconciles it", extra=extra)
    else:
        logger.warning("key creation failed after its claim moved on to another attempt", extra=extra)


@dataclass(frozen=True)
class _Attempt:
    """One attempt at a create request: what to make, and how the key is marked and reserved."""

    tenant_id: str
    spec: KeySpec
    marker: str
    reservation_id: str
    token: str | None  # the reservation's webhook token (webhook mode)
    replaces: int | None
    now: datetime

    @property
    def route_id(self) -> str | None:
        return webhook_routes.route_id(self.token) if self.token is not None else None

    def route(self) -> webhook_routes.Route | None:
        """The route the key's URL opens: its tenant and widget. None in agent mode."""
        if self.spec.mode != "webhook":
            return None
        if self.token is None:
            raise Conflict(
                "the stored reservation of this request has no webhook token; retry with a new Idempotency-Key",
                code="webhook_route_unusable",
            )
        return webhook_routes.Route(
            route_id=webhook_routes.route_id(self.token),
            kind="key",
            tenant_id=self.tenant_id,
            widget_id=self.spec.widget_id,
            created_at=self.now,
        )


def _record(attempt: _Attempt, remote: RemoteKey, deps: KeyDeps) -> KeyRecord:
    """Record the key ThunderPhone holds and close its reservation, in one write."""
    record = KeyRecord.from_remote(
        remote,
        name=attempt.spec.name,
        marker=attempt.marker,
        widget_id=attempt.spec.widget_id,
        route_id=attempt.route_id,
        now=attempt.now,
        replaces=attempt.replaces,
        reservation_id=attempt.reservation_id,
    )
    deps.keys.complete(attempt.tenant_id, record, attempt.reservation_id)
    return record


def _adopt(attempt: _Attempt, deps: KeyDeps) -> KeyRecord | None:
    """The key an earlier attempt of this request made at ThunderPhone, recorded now; None if there is none."""
    matches: list[RemoteKey] = sorted(
        (key for key in deps.api.list_keys() if has_marker(key.name, attempt.marker)), key=lambda key: key.id
    )
    if not matches:
        return None
    keep, extras = matches[0], matches[1:]
    for extra in extras:  # cannot happen with the lease; if it ever does, never leave a second live key
        if extra.is_active:
            logger.warning("deactivating a duplicate key", extra={"tenant_id": attempt.tenant_id, "key_id": extra.id})
            deactivate_remote(deps.api, extra.id)
    record = _record(attempt, keep, deps)
    logger.warning(
        "adopted a key made by an earlier attempt", extra={"tenant_id": attempt.tenant_id, "key_id": keep.id}
    )
    return record


def deactivate_remote(api: KeyApi, key_id: int) -> None:
    with contextlib.suppress(ThunderPhoneNotFound):  # already gone at ThunderPhone: the goal is reached
        api.deactivate_key(key_id)


def hash_of(value: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
