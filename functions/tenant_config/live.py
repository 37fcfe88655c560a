"""Published configuration: a snapshot of a tenant's settings, profiles and rules, compiled into one item.

Publishing writes the snapshot twice: `PUBLISHED#{version}` (immutable, for history and rollback) and
`LIVE` (what the router reads, with one GetItem). The snapshot is JSON compressed with zlib in a Binary
attribute: prompts compress well, and one item stays far below DynamoDB's 400 KB limit.

`LIVE` also carries the operator-owned `status` and `display_name` as plain attributes. The operator
changes them without a publish (suspending a tenant takes effect at once), so the router takes them from
the item rather than from the snapshot. They always equal the tenant item's: the operator's write changes
both in one transaction, and a publish is conditional on the tenant item being the version it compiled
(publishing.py), so a publish that read them before the operator's change can never write them back.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from functions.billing.state import BillingState
from functions.common import table
from functions.common.dynamo import plain
from functions.common.errors import InvalidItem
from functions.common.validation import problems_of
from functions.tenant_config.models import AgentProfile, RoutingRule, Tenant

# Compressed; DynamoDB's item limit is 400 KB and the item has a few small attributes beside it.
MAX_COMPILED_BYTES = 350_000
TENANT_FIELDS = ("timezone", "variables", "business_hours", "default_profile_id", "keep_transcripts")
# The tenant item's fields only the operator changes: those that are also LIVE's own attributes, and the rest.
LIVE_OPERATOR_FIELDS = ("status", "display_name")
OPERATOR_FIELDS = (*LIVE_OPERATOR_FIELDS, "phone_numbers")


class TooLarge(ValueError):
    """The compiled configuration does not fit in one item."""


@dataclass(frozen=True)
class Snapshot:
    """A whole configuration: the draft as it stands, or one published version."""

    settings: Tenant | None
    profiles: Mapping[str, AgentProfile] = field(default_factory=dict)
    rules: Mapping[str, RoutingRule] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "settings": self.settings.model_dump(mode="json", exclude_none=True) if self.settings else None,
            "profiles": [profile.model_dump(mode="json", exclude_none=True) for profile in self.profiles.values()],
            "rules": [rule.model_dump(mode="json", exclude_none=True) for rule in self.rules.values()],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        settings = data.get("settings")
        profiles = [AgentProfile.model_validate(item) for item in data.get("profiles") or []]
        rules = [RoutingRule.model_validate(item) for item in data.get("rules") or []]
        return cls(
            settings=Tenant.model_validate(settings) if settings else None,
            profiles={profile.profile_id: profile for profile in profiles},
            rules={rule.rule_id: rule for rule in rules},
        )


@dataclass(frozen=True)
class TenantConfig:
    """A tenant's published configuration as the router serves it; what cannot be read is kept aside by
    sort key (and the router falls back for it), never dropped silently."""

    tenant_id: str
    tenant: Tenant | None
    profiles: Mapping[str, AgentProfile] = field(default_factory=dict)
    rules: tuple[RoutingRule, ...] = ()  # enabled rules, in evaluation order
    invalid: Mapping[str, InvalidItem] = field(default_factory=dict)
    version: int | None = None  # the published version; None when nothing is published
    stale: bool = False  # served from the last good read because a refresh failed (webhook caching.py)
    billing: BillingState | None = None  # the operator's plan and the month's usage, read with it (webhook only)

    @classmethod
    def of(cls, tenant_id: str, snapshot: Snapshot, version: int | None) -> TenantConfig:
        enabled = (rule for rule in snapshot.rules.values() if rule.enabled)
        return cls(
            tenant_id=tenant_id,
            tenant=snapshot.settings,
            profiles=dict(snapshot.profiles),
            rules=tuple(sorted(enabled, key=lambda rule: (rule.priority, rule.rule_id))),
            version=version,
        )


@dataclass(frozen=True)
class VersionInfo:
    """Who published a version and when: what a history lists, read without the compiled configuration."""

    version: int
    published_at: datetime | None
    published_by: str | None
    restored_from: int | None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> VersionInfo:
        values = plain(item)
        published_at, published_by, restored_from = (
            values.get(name) for name in ("published_at", "published_by", "restored_from")
        )
        return cls(
            version=int(values.get("version") or 0),
            published_at=datetime.fromisoformat(published_at) if isinstance(published_at, str) else None,
            published_by=published_by if isinstance(published_by, str) else None,
            restored_from=int(restored_from) if isinstance(restored_from, int) else None,
        )


INFO_ATTRIBUTES = ("version", "published_at", "published_by", "restored_from")


@dataclass(frozen=True)
class PublishedVersion(VersionInfo):
    snapshot: Snapshot


def compile_snapshot(snapshot: Snapshot) -> bytes:
    data = json.dumps(snapshot.to_json(), separators=(",", ":"), sort_keys=True).encode()
    compiled = zlib.compress(data, 6)
    if len(compiled) > MAX_COMPILED_BYTES:
        raise TooLarge(
            f"the configuration compiles to {len(compiled) // 1000} KB, over the {MAX_COMPILED_BYTES // 1000} KB "
            "an item can hold; shorten prompts or remove unused profiles"
        )
    return compiled


def published_item(
    tenant_id: str,
    sort_key: str,
    version: int,
    compiled: bytes,
    *,
    published_at: datetime,
    published_by: str,
    restored_from: int | None,
    settings: Tenant,
) -> dict[str, Any]:
    """A LIVE or PUBLISHED# item (Python values for dynamo.to_attributes)."""
    item: dict[str, Any] = {
        table.PARTITION_KEY: table.tenant_pk(tenant_id),
        table.SORT_KEY: sort_key,
        "kind": "live" if sort_key == table.LIVE_SK else "published",
        "version": version,
        "config": compiled,
        "published_at": published_at.isoformat(),
        "published_by": published_by,
        "status": settings.status,
        "display_name": settings.display_name,
    }
    if restored_from is not None:
        item["restored_from"] = restored_from
    return item


def version_of(tenant_id: str, item: Mapping[str, Any]) -> PublishedVersion:
    """Parse a LIVE or PUBLISHED# item; raises InvalidItem naming what is wrong (never values)."""
    sort_key = str(item.get(table.SORT_KEY, table.LIVE_SK))
    values = plain(item)
    try:
        raw = getattr(values.get("config"), "value", values.get("config"))  # boto3 wraps bytes in Binary
        data = json.loads(zlib.decompress(bytes(raw))) if isinstance(raw, bytes | bytearray) else None
        if not isinstance(data, dict):
            raise InvalidItem(tenant_id, sort_key, ["config: not a compiled configuration"])
        snapshot = Snapshot.from_json(data)
    except ValidationError as exc:
        raise InvalidItem(tenant_id, sort_key, problems_of(exc)) from None
    except (zlib.error, ValueError, TypeError):
        raise InvalidItem(tenant_id, sort_key, ["config: not a compiled configuration"]) from None
    if snapshot.settings is not None:
        if snapshot.settings.tenant_id != tenant_id:
            raise InvalidItem(tenant_id, sort_key, ["tenant_id: does not match the item's partition"])
        # The operator's fields as they are now (LIVE), not as they were when this version was published.
        live = {name: values[name] for name in LIVE_OPERATOR_FIELDS if isinstance(values.get(name), str)}
        try:
            settings = Tenant.model_validate(snapshot.settings.model_dump() | live)
        except ValidationError as exc:
            raise InvalidItem(tenant_id, sort_key, problems_of(exc)) from None
        snapshot = Snapshot(settings, snapshot.profiles, snapshot.rules)
    return PublishedVersion(**vars(VersionInfo.of(item)), snapshot=snapshot)


def config_of(tenant_id: str, live_item: Mapping[str, Any] | None) -> TenantConfig:
    """What the router serves: the LIVE item parsed, or a config that falls back (nothing published, or an
    item that cannot be read, kept aside under its sort key)."""
    if live_item is None:
        return TenantConfig(tenant_id=tenant_id, tenant=None)
    try:
        published = version_of(tenant_id, live_item)
    except InvalidItem as exc:
        return TenantConfig(tenant_id=tenant_id, tenant=None, invalid={table.LIVE_SK: exc})
    return TenantConfig.of(tenant_id, published.snapshot, published.version)
