"""Publishable keys: create, list, update, deactivate and rotate, never minting a key twice.

Every webhook-mode key gets its own capability URL, `{base}/webhooks/{token}` (192 random bits): the
router finds the key's tenant and widget from the token's route (functions/webhook_routes/), never from
the path. The route is opened before ThunderPhone is given the URL and retired when the key is
deactivated or rotated away; rotation gives the new key a new URL. Agent-mode keys have no route.

Nothing lost, nothing doubled when creating a key. We use a conditional-write reservation item in
the tenant's operator-only partition rather than Powertools idempotency, because a crash after
ThunderPhone made the key but before we stored it must be *recovered*, not merely replayed or blocked:
Powertools would keep an INPROGRESS record until the function's timeout and then run the create again,
minting a second key. The reservation carries a marker that we also put in the key's `name` at
ThunderPhone, so any retry (client, Lambda or timeout) first looks for the key that attempt made
(`GET /v1/publishable-key`) and adopts it:

1. `reserve`: put `KEYREQ#{id}` if absent (id = hash of tenant + Idempotency-Key, or of the request
   body), with a webhook token drawn now: the reservation, not the attempt, owns the token, so every
   retry and take-over of the request uses the same URL.
2. If it already exists: same request? `done` -> return the stored key; `pending` -> look for the
   marker at ThunderPhone and adopt the key if found; else wait for the lease to expire, then take
   the claim over (conditional on the old lease) and create.
3. Open the token's route (an attempt that finds it already open goes on), then create at ThunderPhone
   with the marked name; a definite refusal (400/401/402/403/404) drops the claim and retires the
   route, an unknown outcome (timeout, 5xx) keeps both so a retry reconciles.
4. Store the key record and mark the claim done in one transaction.

Rotation trusts no stored key field it could be tricked with: the new key is made from ThunderPhone's
own view of the old key (which must carry the record's marker), the record's validated widget id and a
fresh token; the record's `webhook_url` and `agent_id` are never copied.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.common.observability import logger
from functions.provisioning.domains import normalise_domains
from functions.provisioning.errors import Conflict, NotFound, RequestInProgress
from functions.provisioning.key_records import (
    KeyRecord,
    Reservation,
    embed_snippets,
    has_marker,
    marked_name,
    request_marker,
)
from functions.provisioning.models import CreateKeyRequest, KeyList, KeyView, RotateKeyRequest, UpdateKeyRequest
from functions.provisioning.ports import ConfigWriter, KeyApi, KeyStore, RouteStore
from functions.provisioning.service.tenants import existing_tenant
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


def create_key(
    tenant_id: str,
    request: CreateKeyRequest,
    *,
    idempotency_key: str | None,
    webhook_base: str,
    deps: KeyDeps,
) -> tuple[KeyView, bool]:
    """(the key, True if this request made it; False when an earlier identical request had)."""
    existing_tenant(tenant_id, deps.config)
    domains = normalise_domains(request.allowed_domains)
    spec = KeySpec.of(
        name=request.name,
        mode=request.mode,
        agent_id=request.agent_id,
        webhook_base=webhook_base,
        widget_id=request.widget_id,
        allowed_domains=domains.domains,
    )
    request_hash = _hash({"op": "create", **dataclasses.asdict(spec)})  # base and widget, never the token
    request_token = f"key:{idempotency_key}" if idempotency_key else f"auto:{request_hash}"
    record, made = ensure_key(tenant_id, spec, request_token=request_token, request_hash=request_hash, deps=deps)
    return _view(record, deps, domains.warnings), made


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
    if existing is not None:
        adopted = _adopt(attempt, deps)
        if adopted is not None:
            return adopted, True
        if existing.lease_until > now_s:
            raise RequestInProgress(
                "the same request is being processed; retry in a few seconds (it will not create a second key)"
            )
        if not deps.keys.take_over(
            tenant_id, reservation_id, stale_lease=existing.lease_until, new_lease=now_s + deps.lease_seconds
        ):
            raise RequestInProgress("the same request was just resumed by another call; retry in a few seconds")
        logger.warning("resuming an abandoned key creation", extra={"tenant_id": tenant_id, "marker": marker})
    try:
        remote = deps.api.create_key(spec.body(marker, attempt.token))
    except DEFINITE_REFUSALS:
        deps.keys.release(tenant_id, reservation_id)
        retire_route(deps.routes, attempt.route_id, at=now)
        raise
    record = _record(attempt, remote, deps)
    logger.info("publishable key created", extra={"tenant_id": tenant_id, "key_id": record.id, "mode": record.mode})
    return record, True


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
            _deactivate_remote(deps.api, extra.id)
    record = _record(attempt, keep, deps)
    logger.warning(
        "adopted a key made by an earlier attempt", extra={"tenant_id": attempt.tenant_id, "key_id": keep.id}
    )
    return record


def list_keys(tenant_id: str, *, deps: KeyDeps) -> KeyList:
    existing_tenant(tenant_id, deps.config)
    records = sorted(deps.keys.list_keys(tenant_id), key=lambda record: record.id)
    return KeyList(keys=[_view(record, deps) for record in records])


def get_key(tenant_id: str, key_id: int, *, deps: KeyDeps) -> KeyView:
    return _view(_key(tenant_id, key_id, deps), deps)


def update_key(tenant_id: str, key_id: int, request: UpdateKeyRequest, *, deps: KeyDeps) -> KeyView:
    """Rename, change allowed domains, or disable/enable (is_enabled) a key."""
    record = _key(tenant_id, key_id, deps)
    if not record.is_active:
        raise Conflict(f"key {key_id} is deactivated; create a new key", code="key_deactivated")
    body: dict[str, Any] = {}
    warnings: tuple[str, ...] = ()
    if request.name is not None and request.name != record.name:
        body["name"] = marked_name(request.name, record.marker)
    if request.allowed_domains is not None:
        domains = normalise_domains(request.allowed_domains)
        warnings = domains.warnings
        if list(domains.domains) != record.allowed_domains:
            body["allowed_domains"] = list(domains.domains)
    if request.is_enabled is not None and request.is_enabled != record.is_enabled:
        body["is_enabled"] = request.is_enabled
    if not body:
        return _view(record, deps, warnings)
    remote = deps.api.update_key(record.id, body)
    updated = record.refreshed(remote, now=deps.clock(), name=request.name or record.name)
    deps.keys.put_key(tenant_id, updated)
    return _view(updated, deps, warnings)


def deactivate_key(tenant_id: str, key_id: int, *, deps: KeyDeps) -> KeyView:
    """ThunderPhone's DELETE: the key stops working for good. The record stays, marked deactivated."""
    record = _key(tenant_id, key_id, deps)
    if record.is_active:
        record = _retire(tenant_id, record, deps, replaced_by=None)
    return _view(record, deps)


def rotate_key(
    tenant_id: str,
    key_id: int,
    request: RotateKeyRequest,
    *,
    idempotency_key: str | None,
    webhook_base: str,
    deps: KeyDeps,
) -> tuple[KeyView, bool]:
    """A new key with the same settings and a new webhook URL first; the old key is deactivated and its
    URL retired only once the new one is stored. Repeating the call finishes an interrupted rotation and
    returns the same new key."""
    old = _key(tenant_id, key_id, deps)
    if old.replaced_by is not None:
        new = _key(tenant_id, old.replaced_by, deps)
        return _view(new, deps), False
    if not old.is_active:
        raise Conflict(f"key {key_id} is deactivated; create a new key instead", code="key_deactivated")
    spec = _successor(old, request.name or old.name, webhook_base, deps)
    request_hash = _hash({"op": "rotate", "key_id": old.id, "name": spec.name})
    request_token = f"key:{idempotency_key}" if idempotency_key else f"rotate:{old.id}"
    new, made = ensure_key(
        tenant_id, spec, request_token=request_token, request_hash=request_hash, deps=deps, replaces=old.id
    )
    _retire(tenant_id, old, deps, replaced_by=new.id)
    return _view(new, deps), made


def _successor(old: KeyRecord, name: str, webhook_base: str, deps: KeyDeps) -> KeySpec:
    """What the new key of a rotation is made of: ThunderPhone's own view of the old key (mode, agent,
    domains re-checked), which must carry the record's marker, the record's validated widget id, and a new
    URL under `webhook_base`. The record's `webhook_url` and `agent_id` are never used."""
    remote = deps.api.get_key(old.id)
    if not has_marker(remote.name, old.marker):
        raise Conflict(
            f"key {old.id} at ThunderPhone is not the key this record was made for (its name lacks the record's "
            "marker); refusing to rotate it",
            code="key_record_mismatch",
        )
    if remote.mode == "agent" and remote.agent_id is None:
        raise Conflict(f"key {old.id} at ThunderPhone is in agent mode without an agent; refusing to rotate it")
    return KeySpec.of(
        name=name,
        mode=remote.mode,
        agent_id=remote.agent_id,
        webhook_base=webhook_base,
        widget_id=old.widget_id,
        allowed_domains=normalise_domains(remote.allowed_domains).domains,
    )


def _retire(tenant_id: str, record: KeyRecord, deps: KeyDeps, *, replaced_by: int | None) -> KeyRecord:
    """Deactivate at ThunderPhone and retire the URL, then record it: an interrupted retirement is still
    `active` in the record, so repeating the call finishes it."""
    _deactivate_remote(deps.api, record.id)
    now = deps.clock()
    retire_route(deps.routes, record.route_id, at=now)
    retired = record.deactivated(now=now, replaced_by=replaced_by)
    deps.keys.put_key(tenant_id, retired)
    if record.reservation_id:
        # A later identical create should make a new key, not return this dead one.
        deps.keys.release(tenant_id, record.reservation_id)
    logger.info("publishable key deactivated", extra={"tenant_id": tenant_id, "key_id": record.id})
    return retired


def _deactivate_remote(api: KeyApi, key_id: int) -> None:
    with contextlib.suppress(ThunderPhoneNotFound):  # already gone at ThunderPhone: the goal is reached
        api.deactivate_key(key_id)


def _key(tenant_id: str, key_id: int, deps: KeyDeps) -> KeyRecord:
    existing_tenant(tenant_id, deps.config)
    record = deps.keys.get_key(tenant_id, key_id)
    if record is None:
        raise NotFound(f"tenant '{tenant_id}' has no key {key_id}")
    return record


def _view(record: KeyRecord, deps: KeyDeps, warnings: tuple[str, ...] = ()) -> KeyView:
    return KeyView(
        **record.model_dump(),
        embed=embed_snippets(record.key, cdn_version=deps.cdn_version),
        warnings=list(warnings),
    )


def _hash(value: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
