"""Publishable keys: create, list, update, deactivate and rotate, never minting a key twice.

Every webhook-mode key gets its own capability URL, `{base}/webhooks/{token}` (192 random bits): the
router finds the key's tenant and widget from the token's route (functions/webhook_routes/), never from
the path. The route is opened before ThunderPhone is given the URL and retired when the key is
deactivated or rotated away; rotation gives the new key a new URL. Agent-mode keys have no route.

The exactly-once create machinery is in key_creation.py.

Rotation trusts no stored key field it could be tricked with: the new key is made from ThunderPhone's
own view of the old key (which must carry the record's marker), the record's validated widget id and a
fresh token; the record's `webhook_url` and `agent_id` are never copied.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from functions.common.observability import logger
from functions.provisioning.domains import normalise_domains
from functions.provisioning.errors import Conflict, NotFound
from functions.provisioning.key_records import (
    KeyRecord,
    embed_snippets,
    has_marker,
    marked_name,
)
from functions.provisioning.models import CreateKeyRequest, KeyList, KeyView, RotateKeyRequest, UpdateKeyRequest
from functions.provisioning.service.key_creation import KeyDeps, KeySpec, deactivate_remote, ensure_key, hash_of
from functions.provisioning.service.tenants import existing_tenant
from functions.provisioning.service.webhook_urls import retire_route


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
    request_hash = hash_of({"op": "create", **dataclasses.asdict(spec)})  # base and widget, never the token
    request_token = f"key:{idempotency_key}" if idempotency_key else f"auto:{request_hash}"
    record, made = ensure_key(tenant_id, spec, request_token=request_token, request_hash=request_hash, deps=deps)
    return _view(record, deps, domains.warnings), made


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
    request_hash = hash_of({"op": "rotate", "key_id": old.id, "name": spec.name})
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
    deactivate_remote(deps.api, record.id)
    now = deps.clock()
    retire_route(deps.routes, record.route_id, at=now)
    retired = record.deactivated(now=now, replaced_by=replaced_by)
    deps.keys.put_key(tenant_id, retired)
    if record.reservation_id:
        # A later identical create should make a new key, not return this dead one.
        deps.keys.release(tenant_id, record.reservation_id)
    logger.info("publishable key deactivated", extra={"tenant_id": tenant_id, "key_id": record.id})
    return retired


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
