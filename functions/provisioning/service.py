"""Provisioning logic: tenants (through ConfigStore), publishable keys and the org-level webhook endpoint.

Pure: collaborators come in as ports (ports.py); no AWS, no environment, no HTTP here.

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

from functions.common.config_store import VersionConflict
from functions.common.observability import logger
from functions.common.tenant_model import AgentProfile, Tenant
from functions.common.thunderphone_api import (
    ThunderPhoneAuthError,
    ThunderPhoneBadRequest,
    ThunderPhoneError,
    ThunderPhoneNotFound,
    ThunderPhonePaymentRequired,
)
from functions.provisioning.domains import normalise_domains
from functions.provisioning.errors import AlreadyExists, Conflict, NotFound, RequestInProgress
from functions.provisioning.keys import (
    KeyMode,
    KeyRecord,
    RemoteEndpoint,
    RemoteKey,
    Reservation,
    embed_snippets,
    has_marker,
    marked_name,
    request_marker,
)
from functions.provisioning.models import (
    CreateKeyRequest,
    CreateTenantRequest,
    KeyList,
    KeyView,
    RotateKeyRequest,
    TenantList,
    TenantView,
    UpdateKeyRequest,
    UpdateTenantRequest,
    WebhookEndpointRequest,
    WebhookEndpointView,
)
from functions.provisioning.ports import ConfigWriter, KeyApi, KeyStore, SigningSecrets

# ThunderPhone answered: the key was certainly not made, so the claim can go.
DEFINITE_REFUSALS = (ThunderPhoneBadRequest, ThunderPhoneAuthError, ThunderPhonePaymentRequired, ThunderPhoneNotFound)


# ---------------------------------------------------------------- tenants


def create_tenant(request: CreateTenantRequest, *, config: ConfigWriter) -> TenantView:
    """The tenant and its default agent profile, so its very first call already gets a real answer."""
    tenant_id = request.tenant_id
    if config.get(tenant_id, "tenant", tenant_id) is not None:
        raise AlreadyExists(f"tenant '{tenant_id}' already exists; PATCH it to change it")
    profile_input = request.default_profile.model_dump(exclude_none=True)
    profile = AgentProfile.model_validate(profile_input)
    tenant = Tenant.model_validate(
        request.model_dump(exclude={"default_profile"}, exclude_none=True) | {"default_profile_id": profile.profile_id}
    )
    # Profile first: the tenant must never point at a missing profile. A profile left by a create
    # that failed before its tenant was written is replaced (its version is kept in history).
    existing = config.get(tenant_id, "profile", profile.profile_id)
    stored_profile = config.put(tenant_id, profile, expected_version=existing.version if existing is not None else None)
    try:
        stored_tenant = config.put(tenant_id, tenant, expected_version=None)
    except VersionConflict:
        raise AlreadyExists(f"tenant '{tenant_id}' already exists; PATCH it to change it") from None
    return TenantView(tenant=stored_tenant, default_profile=stored_profile)


def get_tenant(tenant_id: str, *, config: ConfigWriter) -> TenantView:
    tenant = _tenant(tenant_id, config)
    profile = config.get(tenant_id, "profile", tenant.default_profile_id)
    return TenantView(tenant=tenant, default_profile=profile if isinstance(profile, AgentProfile) else None)


def list_tenants(*, config: ConfigWriter) -> TenantList:
    return TenantList(tenants=sorted(config.list_tenants(), key=lambda tenant: tenant.tenant_id))


def update_tenant(tenant_id: str, request: UpdateTenantRequest, *, config: ConfigWriter) -> TenantView:
    """Apply the given fields to the version the caller read; VersionConflict if it changed since."""
    current = _tenant(tenant_id, config)
    updated = Tenant.model_validate(current.model_dump() | request.changes())
    stored = config.put(tenant_id, updated, expected_version=request.version)
    profile = config.get(tenant_id, "profile", updated.default_profile_id)
    return TenantView(tenant=stored, default_profile=profile if isinstance(profile, AgentProfile) else None)


def _tenant(tenant_id: str, config: ConfigWriter) -> Tenant:
    tenant = config.get(tenant_id, "tenant", tenant_id)
    if not isinstance(tenant, Tenant):
        raise NotFound(f"tenant '{tenant_id}' does not exist")
    return tenant


# ---------------------------------------------------------------- publishable keys


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
    _tenant(tenant_id, deps.config)
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
        adopted = _adopt(tenant_id, spec, marker, reservation_id, deps, replaces, now)
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
    record = _record(tenant_id, remote, spec, marker, reservation_id, deps, replaces, now)
    logger.info("publishable key created", extra={"tenant_id": tenant_id, "key_id": record.id, "mode": record.mode})
    return record, True


def _record(
    tenant_id: str,
    remote: RemoteKey,
    spec: KeySpec,
    marker: str,
    reservation_id: str,
    deps: KeyDeps,
    replaces: int | None,
    now: datetime,
) -> KeyRecord:
    """Record the key ThunderPhone holds and close its reservation, in one write."""
    record = KeyRecord.from_remote(
        remote,
        name=spec.name,
        marker=marker,
        widget_id=spec.widget_id,
        now=now,
        replaces=replaces,
        reservation_id=reservation_id,
    )
    deps.keys.complete(tenant_id, record, reservation_id)
    return record


def _adopt(
    tenant_id: str,
    spec: KeySpec,
    marker: str,
    reservation_id: str,
    deps: KeyDeps,
    replaces: int | None,
    now: datetime,
) -> KeyRecord | None:
    """The key an earlier attempt of this request made at ThunderPhone, recorded now; None if there is none."""
    matches: list[RemoteKey] = sorted(
        (key for key in deps.api.list_keys() if has_marker(key.name, marker)), key=lambda key: key.id
    )
    if not matches:
        return None
    keep, extras = matches[0], matches[1:]
    for extra in extras:  # cannot happen with the lease; if it ever does, never leave a second live key
        if extra.is_active:
            logger.warning("deactivating a duplicate key", extra={"tenant_id": tenant_id, "key_id": extra.id})
            _deactivate_remote(deps.api, extra.id)
    record = _record(tenant_id, keep, spec, marker, reservation_id, deps, replaces, now)
    logger.warning("adopted a key made by an earlier attempt", extra={"tenant_id": tenant_id, "key_id": keep.id})
    return record


def list_keys(tenant_id: str, *, deps: KeyDeps) -> KeyList:
    _tenant(tenant_id, deps.config)
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
    _tenant(tenant_id, deps.config)
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


# ---------------------------------------------------------------- org-level webhook endpoint


def register_webhook_endpoint(
    request: WebhookEndpointRequest,
    *,
    webhook_base: str,
    api: KeyApi,
    signing: SigningSecrets,
    signing_secret_name: str,
) -> WebhookEndpointView:
    """Register ThunderPhone's org-level endpoint for this deployment and keep its one-time secret.

    Idempotent: an endpoint for the URL whose secret we hold (ThunderPhone's `secret_hint` shows the
    last 6 characters) is kept, only its events/label are brought up to date. Otherwise a new endpoint
    is made, its secret is put first in the signing-secrets secret beside every current one, and only
    then are the old endpoints for the URL removed (their secrets stay valid).
    """
    url = request.url or f"{webhook_base.rstrip('/')}/webhooks"
    current = [endpoint for endpoint in api.list_endpoints() if endpoint.url == url]
    stored = tuple(signing.read())
    known = [endpoint for endpoint in current if _secret_known(endpoint, stored)]
    if known and not request.rotate_secret:
        endpoint = known[0]
        if sorted(endpoint.events) != sorted(request.events) or endpoint.label != request.label:
            endpoint = api.update_endpoint(endpoint.id, {"label": request.label, "events": list(request.events)})
        return WebhookEndpointView(
            endpoint=endpoint, created=False, signing_secret_name=signing_secret_name, valid_signing_secrets=len(stored)
        )
    created = api.create_endpoint({"label": request.label, "url": url, "events": list(request.events)})
    secrets = (created.secret, *(secret for secret in stored if secret != created.secret))
    try:
        signing.write(secrets)
    except Exception:
        # Without its secret the new endpoint is useless: remove it so a retry starts clean.
        try:
            api.delete_endpoint(created.id)
        except ThunderPhoneError:
            logger.exception("could not remove the endpoint whose secret was not stored", extra={"id": created.id})
        raise
    removed: list[str] = []
    for old in current:
        with contextlib.suppress(ThunderPhoneNotFound):
            api.delete_endpoint(old.id)
        removed.append(old.id)
    public = RemoteEndpoint.model_validate(created.model_dump(exclude={"secret"}))
    logger.info("webhook endpoint registered", extra={"endpoint_id": created.id, "removed": removed})
    return WebhookEndpointView(
        endpoint=public,
        created=True,
        removed_endpoint_ids=removed,
        signing_secret_name=signing_secret_name,
        valid_signing_secrets=len(secrets),
    )


def _secret_known(endpoint: RemoteEndpoint, stored: tuple[str, ...]) -> bool:
    hint = (endpoint.secret_hint or "").rstrip()
    tail = hint[-6:]
    if len(tail) < 6 or "…" in tail or "." in tail:
        return False
    return any(secret.endswith(tail) for secret in stored)
