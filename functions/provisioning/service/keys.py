"""Publishable keys: create, list, update, deactivate and rotate, never minting a key twice.

Nothing lost, nothing doubled when creating a key. We use a conditional-write reservation item in
the tenant's partition rather than Powertools idempotency, because a crash after ThunderPhone made
the key but before we stored it must be *recovered*, not merely replayed or blocked: Powertools would
keep an INPROGRESS record until the function's timeout and then run the create again, minting a
second key. The reservation carries a marker that we also put in the key's `name` at ThunderPhone,
so any retry (client, Lambda or timeout) first looks for the key that attempt made
(`GET /v1/publishable-key`) and adopts it:

1. `reserve`: put `KEYREQ#{id}` if absent (id = hash of tenant + Idempotency-Key, or of the request body).
2. If it already exists: same request? `done` -> return the stored key; `pending` -> look for the
   marker at ThunderPhone and adopt the key if found; else wait for the lease to expire, then take
   the claim over (conditional on the old lease) and create.
3. Create at ThunderPhone with the marked name; a definite refusal (400/401/402/403/404) drops the
   claim, an unknown outcome (timeout, 5xx) keeps it so a retry reconciles.
4. Store the key record and mark the claim done in one transaction.
"""

from __future__ import annotations

import contextlib
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
from functions.provisioning.ports import ConfigWriter, KeyApi, KeyStore
from functions.provisioning.service.tenants import existing_tenant
from functions.thunderphone.client import (
    ThunderPhoneAuthError,
    ThunderPhoneBadRequest,
    ThunderPhoneNotFound,
    ThunderPhonePaymentRequired,
)
from functions.thunderphone.objects import KeyMode, RemoteKey

# ThunderPhone answered: the key was certainly not made, so the claim can go.
DEFINITE_REFUSALS = (ThunderPhoneBadRequest, ThunderPhoneAuthError, ThunderPhonePaymentRequired, ThunderPhoneNotFound)


@dataclass(frozen=True)
class KeyDeps:
    config: ConfigWriter
    keys: KeyStore
    api: KeyApi
    clock: Callable[[], datetime]
    lease_seconds: int = 60
    remember_seconds: int = 24 * 3600
    cdn_version: str = "latest"


@dataclass(frozen=True)
class KeySpec:
    """Everything ThunderPhone needs to make a key, plus where its calls are routed."""

    name: str
    mode: KeyMode
    agent_id: int | None
    webhook_url: str | None
    widget_id: str | None
    allowed_domains: tuple[str, ...]

    def body(self, marker: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": marked_name(self.name, marker),
            "mode": self.mode,
            "allowed_domains": list(self.allowed_domains),
        }
        if self.mode == "agent":
            body["agent_id"] = self.agent_id
        else:
            body["webhook_url"] = self.webhook_url
        return body


def webhook_url(base: str, tenant_id: str, widget_id: str | None) -> str:
    url = f"{base.rstrip('/')}/webhooks/{tenant_id}"
    return f"{url}/{widget_id}" if widget_id else url


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
    spec = KeySpec(
        name=request.name,
        mode=request.mode,
        agent_id=request.agent_id,
        webhook_url=webhook_url(webhook_base, tenant_id, request.widget_id) if request.mode == "webhook" else None,
        widget_id=request.widget_id,
        allowed_domains=domains.domains,
    )
    request_hash = _hash({"op": "create", **spec.__dict__})
    token = f"key:{idempotency_key}" if idempotency_key else f"auto:{request_hash}"
    record, made = ensure_key(tenant_id, spec, token=token, request_hash=request_hash, deps=deps)
    return _view(record, deps, domains.warnings), made


def ensure_key(
    tenant_id: str,
    spec: KeySpec,
    *,
    token: str,
    request_hash: str,
    deps: KeyDeps,
    replaces: int | None = None,
) -> tuple[KeyRecord, bool]:
    """Exactly one ThunderPhone key per (tenant, token), recorded; see the module docstring."""
    reservation_id = hashlib.sha256(f"{tenant_id}\n{token}".encode()).hexdigest()[:32]
    marker = request_marker(tenant_id, token)
    now = deps.clock()
    now_s = int(now.timestamp())
    attempt = _Attempt(tenant_id, spec, marker, reservation_id, replaces, now)
    claim = Reservation(
        reservation_id=reservation_id,
        request_hash=request_hash,
        marker=marker,
        state="pending",
        lease_until=now_s + deps.lease_seconds,
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
        remote = deps.api.create_key(spec.body(marker))
    except DEFINITE_REFUSALS:
        deps.keys.release(tenant_id, reservation_id)
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
    replaces: int | None
    now: datetime


def _record(attempt: _Attempt, remote: RemoteKey, deps: KeyDeps) -> KeyRecord:
    """Record the key ThunderPhone holds and close its reservation, in one write."""
    record = KeyRecord.from_remote(
        remote,
        name=attempt.spec.name,
        marker=attempt.marker,
        widget_id=attempt.spec.widget_id,
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
    deps: KeyDeps,
) -> tuple[KeyView, bool]:
    """A new key with the same settings first; the old one is deactivated only once the new one is stored.
    Repeating the call finishes an interrupted rotation and returns the same new key."""
    old = _key(tenant_id, key_id, deps)
    if old.replaced_by is not None:
        new = _key(tenant_id, old.replaced_by, deps)
        return _view(new, deps), False
    if not old.is_active:
        raise Conflict(f"key {key_id} is deactivated; create a new key instead", code="key_deactivated")
    spec = KeySpec(
        name=request.name or old.name,
        mode=old.mode,
        agent_id=old.agent_id,
        webhook_url=old.webhook_url,
        widget_id=old.widget_id,
        allowed_domains=tuple(old.allowed_domains),
    )
    request_hash = _hash({"op": "rotate", "key_id": old.id, "name": spec.name})
    token = f"key:{idempotency_key}" if idempotency_key else f"rotate:{old.id}"
    new, made = ensure_key(tenant_id, spec, token=token, request_hash=request_hash, deps=deps, replaces=old.id)
    _retire(tenant_id, old, deps, replaced_by=new.id)
    return _view(new, deps), made


def _retire(tenant_id: str, record: KeyRecord, deps: KeyDeps, *, replaced_by: int | None) -> KeyRecord:
    _deactivate_remote(deps.api, record.id)
    retired = record.deactivated(now=deps.clock(), replaced_by=replaced_by)
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
