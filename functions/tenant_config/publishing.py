"""Drafts and published versions: what differs from live, publish, discard, rollback.

The draft is the tenant's CONFIG# items (settings, profiles, rules), edited one at a time through
`ConfigStore`. Publishing checks the whole draft, compiles it (live.py) and writes version N+1 as one
transaction: the immutable `PUBLISHED#N+1` and the `LIVE` item the router reads, conditional on LIVE still
being version N, so two publishes never both win. Every change of a publish goes live together.

LIVE carries the operator's fields (status, display name) as the publish read them from the tenant item, so the
transaction is also conditional on the tenant item still being the version it read: an operator's change in
between (a suspension, a re-activation) cancels it, and the publish is made again from what is stored now. A
publish can therefore never write back what the operator has just replaced. (Leaving the operator's fields out
of the write instead would not do: a first publish must write them, and an Update beside the operator's own
would still need this condition to be sure they are the current ones.)

A rollback publishes an earlier version's content as a new version (history is never rewritten) and then
resets the draft to it; it is refused while the draft has unpublished changes, so nobody's edits are lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.clock import utc_now
from functions.common.errors import InvalidItem, TransactionCancelled
from functions.tenant_config.integrity import breakages, by_field
from functions.tenant_config.items import content, described
from functions.tenant_config.live import (
    INFO_ATTRIBUTES,
    TENANT_FIELDS,
    PublishedVersion,
    Snapshot,
    TooLarge,
    VersionInfo,
    compile_snapshot,
    published_item,
    version_of,
)
from functions.tenant_config.models import AgentProfile, RoutingRule, StoredItem, Tenant
from functions.tenant_config.store import ConfigStore

DraftKind = Literal["settings", "profile", "rule"]


@dataclass(frozen=True)
class Change:
    kind: DraftKind
    id: str
    change: Literal["added", "changed", "removed"]
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Published:
    version: int
    published_at: datetime
    changes: list[Change]
    restored_from: int | None = None


class PublishRefused(Exception):
    """The draft cannot be published as it is; `fields` says what to fix, in words."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NothingToPublish(Exception):
    pass


class DraftNotEmpty(Exception):
    pass


class PublishConflict(Exception):
    """Someone else published between our read and our write."""


class _SettingsChanged(Exception):
    """The tenant item changed between the publish's read and its write; the publish is made again."""


PUBLISH_ATTEMPTS = 3


class VersionMissing(Exception):
    pass


@dataclass
class Drafts:
    """One tenant's draft and published versions (boto3 low-level client, the configuration table)."""

    store: ConfigStore
    client: Any
    table_name: str
    actor: str
    clock: Callable[[], datetime] = field(default=utc_now)

    # ----------------------------------------------------------------- reads

    def draft(self, tenant_id: str, *, strict: bool = True) -> Snapshot:
        """The draft as it stands; raises InvalidItem for an item that does not validate (unless not
        `strict`: then such items are left out, as when checking an edit that may be fixing them)."""
        listings = [self.store.list_checked(tenant_id, kind) for kind in ("tenant", "profile", "rule")]
        if strict:
            for listing in listings:
                if listing.invalid:
                    raise listing.invalid[0]
        settings = next(iter(listings[0].items), None)
        profiles, rules = listings[1].items, listings[2].items
        return Snapshot(
            settings=settings if isinstance(settings, Tenant) else None,
            profiles={item.profile_id: item for item in profiles if isinstance(item, AgentProfile)},
            rules={item.rule_id: item for item in rules if isinstance(item, RoutingRule)},
        )

    def live(self, tenant_id: str) -> PublishedVersion | None:
        item = dynamo.get(self.client, self.table_name, table.tenant_pk(tenant_id), table.LIVE_SK, consistent=True)
        return None if item is None else version_of(tenant_id, item)

    def changes(self, tenant_id: str) -> tuple[int | None, list[Change]]:
        """The live version and how the draft differs from it."""
        live = self.live(tenant_id)
        return (live.version if live else None), diff(live.snapshot if live else None, self.draft(tenant_id))

    def versions(self, tenant_id: str) -> list[VersionInfo]:
        """Every published version, newest first (the first is live): who and when, never the configurations."""
        names = {f"#{name}": name for name in INFO_ATTRIBUTES}
        request = dynamo.prefix_query(self.table_name, table.tenant_pk(tenant_id), table.PUBLISHED_PREFIX) | {
            "ScanIndexForward": False,
            "ProjectionExpression": ", ".join(names),
        }
        request["ExpressionAttributeNames"] = request["ExpressionAttributeNames"] | names
        return [VersionInfo.of(item) for item in dynamo.pages(self.client, request, operation="read versions")]

    def version(self, tenant_id: str, number: int) -> PublishedVersion:
        item = dynamo.get(
            self.client, self.table_name, table.tenant_pk(tenant_id), table.published_sk(number), consistent=True
        )
        if item is None:
            raise VersionMissing(f"version {number} was never published")
        return version_of(tenant_id, item)

    def version_changes(self, tenant_id: str, number: int) -> tuple[PublishedVersion, list[Change]]:
        """Version `number` and what it changed compared with version `number` - 1 (version 1: everything added),
        in the draft's terms (`diff`)."""
        published = self.version(tenant_id, number)
        before = self.version(tenant_id, number - 1).snapshot if number > 1 else None
        return published, diff(before, published.snapshot)

    # ---------------------------------------------------------------- writes

    def publish(self, tenant_id: str) -> Published:
        """The whole draft goes live as the next version, or nothing does."""
        return self._again_if_settings_change(tenant_id, lambda: self._publish_draft(tenant_id))

    def rollback(self, tenant_id: str, number: int) -> Published:
        """Publish version `number`'s content as a new version, then make the draft match it."""
        return self._again_if_settings_change(tenant_id, lambda: self._rollback(tenant_id, number))

    def _again_if_settings_change(self, tenant_id: str, attempt: Callable[[], Published]) -> Published:
        for _ in range(PUBLISH_ATTEMPTS):
            try:
                return attempt()
            except _SettingsChanged:
                continue
        if self.store.get_raw(tenant_id, "tenant", tenant_id) is None:  # one read, on this rare path only
            raise PublishConflict(
                "this tenant's settings have been removed, so nothing can be published; ask the operator"
            )
        raise PublishConflict("the settings kept changing while publishing; look at them again and publish")

    def _publish_draft(self, tenant_id: str) -> Published:
        try:
            draft = self.draft(tenant_id)
        except InvalidItem as exc:
            label = described(exc.sort_key)
            remedy = "fix them" if label == "the settings" else "fix or delete it"
            raise PublishRefused(
                f"there is a problem with {label} in the draft; {remedy}, then publish", {label: list(exc.problems)}
            ) from None
        live = self.live(tenant_id)
        changes = diff(live.snapshot if live else None, draft)
        if live is not None and not changes:
            raise NothingToPublish(f"the draft is the same as live version {live.version}")
        return self._publish(tenant_id, draft, live, changes, restored_from=None)

    def _rollback(self, tenant_id: str, number: int) -> Published:
        live = self.live(tenant_id)
        draft = self.draft(tenant_id)
        pending = diff(live.snapshot if live else None, draft)
        if pending:
            raise DraftNotEmpty(
                f"the draft has {len(pending)} unpublished change{'' if len(pending) == 1 else 's'}; "
                "publish or discard them before rolling back"
            )
        earlier = self.version(tenant_id, number).snapshot
        target = Snapshot(_with_tenant_fields(draft.settings, earlier.settings), earlier.profiles, earlier.rules)
        changes = diff(live.snapshot if live else None, target)
        if live is not None and not changes:
            raise NothingToPublish(f"version {number} is the same as live version {live.version}")
        published = self._publish(tenant_id, target, live, changes, restored_from=number)
        self.reset_draft(tenant_id, target)
        return published

    def discard(self, tenant_id: str) -> int:
        """Make the draft equal to live again; returns how many changes were discarded."""
        live = self.live(tenant_id)
        if live is None:
            raise NothingToPublish("nothing is published yet, so there is nothing to go back to")
        return self.reset_draft(tenant_id, live.snapshot)

    def reset_draft(self, tenant_id: str, target: Snapshot) -> int:
        """Versioned writes (history kept) that make the draft's items equal to `target`'s."""
        draft = self.draft(tenant_id)
        changes = diff(target, draft)
        for change in changes:
            if change.kind == "settings":
                current = draft.settings
                wanted = _with_tenant_fields(current, target.settings)
                if current is not None and wanted is not None:
                    self.store.put(tenant_id, wanted, expected_version=current.version)
                continue
            drafted: dict[str, Any] = dict(draft.profiles if change.kind == "profile" else draft.rules)
            targeted: dict[str, Any] = dict(target.profiles if change.kind == "profile" else target.rules)
            before: StoredItem | None = drafted.get(change.id)
            if change.change == "added":  # in the draft only
                assert before is not None
                self.store.delete(tenant_id, change.kind, change.id, expected_version=before.version)
            else:
                self.store.put(
                    tenant_id, targeted[change.id], expected_version=before.version if before is not None else None
                )
        return len(changes)

    def _publish(
        self,
        tenant_id: str,
        snapshot: Snapshot,
        live: PublishedVersion | None,
        changes: list[Change],
        *,
        restored_from: int | None,
    ) -> Published:
        broken = breakages(snapshot)
        if broken:
            raise PublishRefused(
                "the draft would make calls fall back: " + "; ".join(b.message for b in broken), by_field(broken)
            )
        assert snapshot.settings is not None  # breakages() reports missing settings
        try:
            compiled = compile_snapshot(snapshot)
        except TooLarge as exc:
            raise PublishRefused(str(exc), {"draft": [str(exc)]}) from None
        version = (live.version if live else 0) + 1
        now = self.clock()

        def item(sort_key: str) -> dict[str, Any]:
            assert snapshot.settings is not None
            values = published_item(
                tenant_id,
                sort_key,
                version,
                compiled,
                published_at=now,
                published_by=self.actor,
                restored_from=restored_from,
                settings=snapshot.settings,
            )
            return dynamo.to_attributes(values)

        names = {"#pk": table.PARTITION_KEY}
        live_put: dict[str, Any] = {"TableName": self.table_name, "Item": item(table.LIVE_SK)}
        if live is None:
            live_put |= {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": names}
        else:
            live_put |= {
                "ConditionExpression": "#version = :live",
                "ExpressionAttributeNames": {"#version": table.VERSION_ATTRIBUTE},
                "ExpressionAttributeValues": {":live": {"N": str(live.version)}},
            }
        archive = {
            "TableName": self.table_name,
            "Item": item(table.published_sk(version)),
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": names,
        }
        settings = snapshot.settings
        actions = {
            "live": {"Put": live_put},
            "archive": {"Put": archive},
            "settings": self.store.still_at(tenant_id, "tenant", settings.tenant_id, settings.version),
        }
        try:
            with store_errors(f"publish version {version}"):
                self.client.transact_write_items(TransactItems=list(actions.values()))
        except TransactionCancelled as exc:
            failed = {
                action for action, code in zip(actions, exc.codes, strict=False) if code == "ConditionalCheckFailed"
            }
            if "settings" in failed:
                raise _SettingsChanged from None
            if failed:
                raise PublishConflict(
                    f"someone else published version {version} a moment ago; look at the draft again and publish"
                ) from None
            raise PublishConflict(  # TransactionConflict: another write to these items at the same moment
                "another change to this configuration was being saved at the same moment; publish again"
            ) from None
        return Published(version=version, published_at=now, changes=changes, restored_from=restored_from)


def diff(live: Snapshot | None, draft: Snapshot) -> list[Change]:
    """How `draft` differs from `live` (None: nothing published), item by item, with the fields that changed."""
    changes: list[Change] = []
    live_settings = _tenant_fields(live.settings) if live else None
    draft_settings = _tenant_fields(draft.settings)
    if draft_settings != live_settings and draft_settings is not None:
        before = live_settings or {}
        changed = sorted(name for name in TENANT_FIELDS if before.get(name) != draft_settings.get(name))
        changes.append(Change("settings", "settings", "changed" if live_settings else "added", tuple(changed)))
    for kind, before_items, after_items in (
        ("profile", live.profiles if live else {}, draft.profiles),
        ("rule", live.rules if live else {}, draft.rules),
    ):
        for item_id in sorted(set(before_items) | set(after_items)):
            old = before_items.get(item_id)
            new = after_items.get(item_id)
            if old is None:
                changes.append(Change(kind, item_id, "added"))  # type: ignore[arg-type]
            elif new is None:
                changes.append(Change(kind, item_id, "removed"))  # type: ignore[arg-type]
            else:
                a, b = content(old), content(new)
                fields = tuple(sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name)))
                if fields:
                    changes.append(Change(kind, item_id, "changed", fields))  # type: ignore[arg-type]
    return changes


def _tenant_fields(settings: Tenant | None) -> dict[str, Any] | None:
    if settings is None:
        return None
    return settings.model_dump(mode="json", include=set(TENANT_FIELDS))


def _with_tenant_fields(current: Tenant | None, source: Tenant | None) -> Tenant | None:
    """`current` (with the operator's fields as they are now) carrying `source`'s tenant-owned settings."""
    if current is None or source is None:
        return current or source
    return Tenant.model_validate(current.model_dump() | source.model_dump(include=set(TENANT_FIELDS)))
