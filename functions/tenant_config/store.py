"""The versioned write side of the configuration table: every admin write goes through here.

Tenant settings, profiles and rules written here are the tenant's draft: the router serves only what
functions/tenant_config/publishing.py compiles into the LIVE item. Customers are live records. The tenant
API, the provisioning API and operator-mode `sbctl` write with `ConfigStore`, so that:

- every write is conditional on the version it was based on (optimistic concurrency): a stale
  write raises `VersionConflict` carrying the stored item and writes nothing;
- the version it replaces is kept as a HISTORY item in the same transaction, so nothing is lost
  and any earlier version can be restored (a delete keeps the deleted version and a tombstone);
- the writer is named: the operator's writes (provisioning, operator-mode `sbctl`) claim a tenant's phone
  numbers as `NUMBER#{e164}` items in the same transaction as its tenant item (the org-level webhook finds the
  tenant through them; a number owned by another tenant is refused) and change LIVE's copy of the operator's
  fields with it; a tenant's writes (the tenant API) never touch `NUMBER#` items or LIVE, and may change only
  the tenant-owned fields of the tenant item, at the version they read (OperatorOwnedChange otherwise).

Versions: 1 for a brand-new item, then +1 per change. After a delete the tombstone takes the next
version and a re-created item continues from there, so an item's history is one line, never reused.

History items (sk `HISTORY#{kind}#{id}#{version:010d}`, in the tenant's partition) hold the
archived model under `item` (absent for a tombstone) beside `version`, `updated_at`, `updated_by`.
"""

from __future__ import annotations

import builtins
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NoReturn

from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.clock import utc_now
from functions.common.dynamo import plain
from functions.common.errors import (
    InvalidItem,
    ItemNotFound,
    NumberTaken,
    OperatorOwnedChange,
    StoreUnavailable,
    TransactionCancelled,
    VersionConflict,
)
from functions.tenant_config.items import (
    KEY_ATTRIBUTES,
    MODELS,
    ItemKind,
    content,
    from_item,
    item_id_of,
    kind_of_model,
    prefix_of,
    sort_key,
    to_item,
)
from functions.tenant_config.live import LIVE_OPERATOR_FIELDS, OPERATOR_FIELDS
from functions.tenant_config.models import StoredItem, Tenant

HISTORY_KIND = "history"
BATCH_SIZE = 25  # BatchWriteItem's limit per request
MAX_BATCH_ATTEMPTS = 8
LIVE_ATTEMPTS = 3  # an operator's tenant write whose LIVE was first published in between is built again

# Who a store writes for: the operator (every field, number claims, LIVE's operator fields) or a tenant.
Writer = Literal["operator", "tenant"]


class _LiveChanged(Exception):
    """LIVE appeared (or went) between reading it and the transaction; the write is built again."""


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    updated_at: datetime | None
    updated_by: str | None
    item: StoredItem | None  # None: the item was deleted at this version


@dataclass(frozen=True)
class Listing:
    """Every item of a kind: the valid ones and, by sort key, the ones that do not validate."""

    items: list[StoredItem]
    invalid: list[InvalidItem]


@dataclass
class BulkResult:
    """What `put_many` did; `unchanged` items were identical to what is stored and not rewritten."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


# (done, total) after each batch; the CLI prints it on stderr.
Progress = Callable[[int, int], None]


class ConfigStore:
    """Reads and versioned writes of one tenant's configuration items (boto3 low-level client)."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        actor: str,
        writer: Writer,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._actor = actor
        self._writer = writer
        self._clock = clock
        self._sleep = sleep

    # ----------------------------------------------------------------- reads

    def get(self, tenant_id: str, kind: ItemKind, item_id: str) -> StoredItem | None:
        raw = self._get_raw(tenant_id, sort_key(kind, item_id))
        return None if raw is None else self._parse(tenant_id, kind, raw)

    def get_raw(self, tenant_id: str, kind: ItemKind, item_id: str) -> dict[str, Any] | None:
        """The stored attributes as plain Python values (for showing an item that does not validate)."""
        raw = self._get_raw(tenant_id, sort_key(kind, item_id))
        return None if raw is None else plain(raw)

    def list(self, tenant_id: str, kind: ItemKind) -> builtins.list[StoredItem]:
        """Every item of a kind; raises InvalidItem for the first one that does not validate, so a
        caller never acts on a silently partial view (use `list_checked` to get both)."""
        listing = self.list_checked(tenant_id, kind)
        if listing.invalid:
            raise listing.invalid[0]
        return listing.items

    def list_checked(self, tenant_id: str, kind: ItemKind) -> Listing:
        if kind == "tenant":
            raw = self._get_raw(tenant_id, table.TENANT_SK)
            raws = [raw] if raw is not None else []
        else:
            raws = list(self._query_prefix(tenant_id, prefix_of(kind)))
        items: builtins.list[StoredItem] = []
        invalid: builtins.list[InvalidItem] = []
        for raw in raws:
            try:
                items.append(self._parse(tenant_id, kind, raw))
            except InvalidItem as exc:
                invalid.append(exc)
        return Listing(items, invalid)

    def page(
        self, tenant_id: str, kind: ItemKind, *, limit: int, after: str | None = None
    ) -> tuple[builtins.list[StoredItem], str | None]:
        """Up to `limit` items of a kind in id order, from after the id `after`; also the id to go on from."""
        request = self._prefix_query(tenant_id, prefix_of(kind)) | {"Limit": limit}
        if after is not None:
            request["ExclusiveStartKey"] = dynamo.key(table.tenant_pk(tenant_id), sort_key(kind, after))
        with store_errors("list items"):
            page = self._client.query(**request)
        items = [self._parse(tenant_id, kind, dynamo.from_attributes(raw)) for raw in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return items, (self._item_id_from_raw(kind, dynamo.from_attributes(last)) if last else None)

    def list_tenants(self) -> Listing:
        """Every tenant, through the sparse `tenants` index (operators only: it spans partitions). A tenant
        item that does not validate is listed apart, so one tenant's broken item never hides the others."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": table.TENANT_INDEX,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": table.TENANT_INDEX_PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": table.TENANT_INDEX_PARTITION_VALUE}},
        }
        tenants: builtins.list[StoredItem] = []
        invalid: builtins.list[InvalidItem] = []
        for raw in self._pages(request, "list tenants"):
            # The partition names the tenant, never an attribute an edit could change.
            tenant_id = str(raw.get(table.PARTITION_KEY, ""))[len(table.TENANT_PREFIX) :]
            try:
                tenants.append(from_item(tenant_id, raw, Tenant))
            except InvalidItem as exc:
                invalid.append(exc)
        return Listing(tenants, invalid)

    def history(self, tenant_id: str, kind: ItemKind, item_id: str) -> builtins.list[HistoryEntry]:
        """Every version of an item, oldest first; the current version (if any) comes last."""
        prefix = table.history_sk(kind, item_id, 0)[: -len("0000000000")]
        entries = [self._history_entry(tenant_id, kind, raw) for raw in self._query_prefix(tenant_id, prefix)]
        current = self._get_raw(tenant_id, sort_key(kind, item_id))
        if current is not None:
            model = self._parse(tenant_id, kind, current)
            entries = [entry for entry in entries if entry.version < model.version]
            entries.append(HistoryEntry(model.version, model.updated_at, model.updated_by, model))
        return entries

    # ---------------------------------------------------------------- writes

    def put(self, tenant_id: str, model: StoredItem, *, expected_version: int | None) -> StoredItem:
        """Store `model` if the stored version is `expected_version` (None: the item must not exist)."""
        if isinstance(model, Tenant) and model.tenant_id != tenant_id:
            raise ValueError(f"tenant item names tenant '{model.tenant_id}', not '{tenant_id}'")
        current = self._get_raw(tenant_id, sort_key(kind_of_model(model), item_id_of(model)))
        return self._write(tenant_id, model, current, expected_version)

    def overwrite(self, tenant_id: str, model: StoredItem) -> Literal["created", "updated", "unchanged"]:
        """Store `model` over whatever is stored now (read once), unless it says the same; raises VersionConflict
        when the item changes between that read and the write. Not for tenant items."""
        if isinstance(model, Tenant):
            raise ValueError("tenant items are written with put(), which claims their phone numbers")
        kind = kind_of_model(model)
        current = self._get_raw(tenant_id, sort_key(kind, item_id_of(model)))
        if current is not None and self._content_of(tenant_id, kind, current) == content(model):
            return "unchanged"
        self._write(tenant_id, model, current, self._version_of(current))
        return "created" if current is None else "updated"

    def _write(
        self, tenant_id: str, model: StoredItem, current: dict[str, Any] | None, expected_version: int | None
    ) -> StoredItem:
        """`put`, given the stored item as just read (`current`)."""
        kind = kind_of_model(model)
        item_id = item_id_of(model)
        current_version = self._version_of(current)
        if current_version != expected_version:
            self._conflict(tenant_id, kind, item_id, expected_version, current)
        if expected_version is None:
            version = self._last_history_version(tenant_id, kind, item_id) + 1
        else:
            version = expected_version + 1
        stored = model.model_copy(update={"version": version, "updated_at": self._clock(), "updated_by": self._actor})
        actions: builtins.list[dict[str, Any]] = [
            {"Put": self._conditional(to_item(tenant_id, stored), expected_version)}
        ]
        if current is not None:
            actions.append(
                {"Put": {"TableName": self._table, "Item": self._archive(tenant_id, kind, item_id, current)}}
            )
        if isinstance(stored, Tenant) and self._writer == "tenant":
            self._refuse_operator_changes(tenant_id, stored, current)
        elif isinstance(stored, Tenant):
            # Every listed number is claimed again, not only the new ones: a list that already names
            # another tenant's number (an edit made around this store) is refused, never kept.
            before: set[str] = set(self._numbers_of(current))
            actions += [self._claim(number, tenant_id) for number in stored.phone_numbers]
            actions += self._releases(sorted(before - set(stored.phone_numbers)), tenant_id)
            self._transact_with_live(actions, stored, expected_version)
            return stored
        self._transact(actions, tenant_id, kind, item_id, expected_version)
        return stored

    def _transact_with_live(self, actions: builtins.list[dict[str, Any]], tenant: Tenant, expected: int | None) -> None:
        """The operator's tenant write, with LIVE's copy of its fields in the same transaction; built again when
        the tenant's first publish lands between reading LIVE and writing."""
        for _ in range(LIVE_ATTEMPTS):
            try:
                live = self._live_operator_fields(tenant.tenant_id, tenant)
                self._transact(actions + live, tenant.tenant_id, "tenant", tenant.tenant_id, expected)
                return
            except _LiveChanged:
                continue
        raise StoreUnavailable("the tenant's published configuration kept changing during the write; retry")

    def still_at(self, tenant_id: str, kind: ItemKind, item_id: str, version: int) -> dict[str, Any]:
        """A transaction action that holds only while the item is still at `version`: for a write elsewhere
        that carries what this item said (a publish carries the tenant item's operator fields)."""
        key = dynamo.key(table.tenant_pk(tenant_id), sort_key(kind, item_id))
        return {"ConditionCheck": {"TableName": self._table, "Key": key, **self._version_condition(version)}}

    def _refuse_operator_changes(self, tenant_id: str, tenant: Tenant, current: Mapping[str, Any] | None) -> None:
        """A tenant's write of its tenant item keeps the operator's fields as stored at the version it replaces
        (the write is conditional on that version), so it never needs LIVE or the number claims."""
        if current is None:
            raise OperatorOwnedChange(tenant_id, ["tenant_id"])
        stored = self._content_of(tenant_id, "tenant", current) or {}
        wanted = content(tenant)
        changed = [name for name in OPERATOR_FIELDS if stored.get(name) != wanted.get(name)]
        if changed:
            raise OperatorOwnedChange(tenant_id, changed)

    def delete(self, tenant_id: str, kind: ItemKind, item_id: str, *, expected_version: int) -> None:
        """Delete if the stored version is `expected_version`; keeps the deleted version and a tombstone."""
        key_sk = sort_key(kind, item_id)
        current = self._get_raw(tenant_id, key_sk)
        if current is None:
            raise ItemNotFound(tenant_id, kind, item_id)
        if self._version_of(current) != expected_version:
            self._conflict(tenant_id, kind, item_id, expected_version, current)
        key = dynamo.key(table.tenant_pk(tenant_id), key_sk)
        tombstone = {
            table.PARTITION_KEY: table.tenant_pk(tenant_id),
            table.SORT_KEY: table.history_sk(kind, item_id, expected_version + 1),
            "kind": HISTORY_KIND,
            "version": expected_version + 1,
            "updated_at": self._clock().isoformat(),
            "updated_by": self._actor,
            "deleted": True,
        }
        actions: builtins.list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": key,
                    **self._version_condition(expected_version),
                }
            },
            {"Put": {"TableName": self._table, "Item": self._archive(tenant_id, kind, item_id, current)}},
            {"Put": {"TableName": self._table, "Item": dynamo.to_attributes(tombstone)}},
        ]
        if kind == "tenant":
            if self._writer != "operator":
                raise OperatorOwnedChange(tenant_id, ["tenant_id"])
            actions += self._releases(self._numbers_of(current), tenant_id)
        self._transact(actions, tenant_id, kind, item_id, expected_version)

    def restore(
        self, tenant_id: str, kind: ItemKind, item_id: str, version: int, *, expected_version: int | None
    ) -> StoredItem:
        """Store an earlier version's content again, as a new version (history is never rewritten)."""
        entry = next((entry for entry in self.history(tenant_id, kind, item_id) if entry.version == version), None)
        if entry is None:
            raise ItemNotFound(tenant_id, kind, item_id, f"{kind} '{item_id}' has no version {version}")
        if entry.item is None:
            raise ItemNotFound(
                tenant_id,
                kind,
                item_id,
                f"version {version} of {kind} '{item_id}' is a deletion; restore an earlier one",
            )
        return self.put(tenant_id, entry.item, expected_version=expected_version)

    def put_many(
        self,
        tenant_id: str,
        models: Sequence[StoredItem],
        *,
        progress: Progress | None = None,
        dry_run: bool = False,
    ) -> BulkResult:
        """Bulk load (customer imports) with BatchWriteItem, 25 requests a call, retrying unprocessed items.

        Batches cannot be conditional, so this is last-writer-wins against a concurrent single edit;
        what it replaces is still archived as history first, so a replaced version can be restored.
        Items identical to what is stored are skipped (an import run twice writes nothing).
        Not for tenant items (their numbers need the transactional claim in `put`). `dry_run` only
        reports what would be created, updated or left unchanged.
        """
        kinds = {kind_of_model(model) for model in models}
        if "tenant" in kinds:
            raise ValueError("tenant items are written with put(), which claims their phone numbers")
        ids = [(kind_of_model(model), item_id_of(model)) for model in models]
        if len(set(ids)) != len(ids):
            raise ValueError("the same item appears more than once")
        existing = {
            (kind, self._item_id_from_raw(kind, raw)): raw
            for kind in kinds
            for raw in self._query_prefix(tenant_id, prefix_of(kind))
        }
        last_versions: dict[tuple[ItemKind, str], int] = {}
        if any(key not in existing for key in ids):
            for kind in kinds:
                last_versions |= {(kind, item): v for item, v in self._history_versions(tenant_id, kind).items()}
        result = BulkResult()
        requests: builtins.list[dict[str, Any]] = []
        now = self._clock()
        for (kind, item_id), model in zip(ids, models, strict=True):
            current = existing.get((kind, item_id))
            if current is not None:
                stored_content = self._content_of(tenant_id, kind, current)
                if stored_content == content(model):
                    result.unchanged.append(item_id)
                    continue
                version = self._version_of(current) or 0
                requests.append({"PutRequest": {"Item": self._archive(tenant_id, kind, item_id, current)}})
                result.updated.append(item_id)
            else:
                version = last_versions.get((kind, item_id), 0)
                result.created.append(item_id)
            stored = model.model_copy(update={"version": version + 1, "updated_at": now, "updated_by": self._actor})
            requests.append({"PutRequest": {"Item": dynamo.to_attributes(to_item(tenant_id, stored))}})
        if not dry_run:
            self._batch_write(requests, progress)
        return result

    # --------------------------------------------------------------- helpers

    def _parse(self, tenant_id: str, kind: ItemKind, raw: Mapping[str, Any]) -> StoredItem:
        return from_item(tenant_id, raw, MODELS[kind])

    def _content_of(self, tenant_id: str, kind: ItemKind, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        try:
            return content(self._parse(tenant_id, kind, raw))
        except InvalidItem:
            return None  # an invalid stored item always differs from a valid import row

    def _item_id_from_raw(self, kind: ItemKind, raw: Mapping[str, Any]) -> str:
        return str(raw[table.SORT_KEY])[len(prefix_of(kind)) :]

    def _version_of(self, raw: Mapping[str, Any] | None) -> int | None:
        if raw is None:
            return None
        value = plain(raw.get(table.VERSION_ATTRIBUTE, 0))
        return value if isinstance(value, int) else 0

    def _numbers_of(self, raw: Mapping[str, Any] | None) -> builtins.list[str]:
        numbers = plain((raw or {}).get("phone_numbers", []))
        return [number for number in numbers if isinstance(number, str)] if isinstance(numbers, list) else []

    def _conflict(
        self, tenant_id: str, kind: ItemKind, item_id: str, expected: int | None, raw: Mapping[str, Any] | None
    ) -> NoReturn:
        current: StoredItem | None = None
        if raw is not None:
            try:
                current = self._parse(tenant_id, kind, raw)
            except InvalidItem:
                current = None
        raise VersionConflict(tenant_id, kind, item_id, expected, current, current_version=self._version_of(raw))

    def _archive(self, tenant_id: str, kind: ItemKind, item_id: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The HISTORY item keeping `raw` (a stored item, possibly invalid: it is kept as it was)."""
        version = self._version_of(raw) or 0
        body = {key: value for key, value in plain(raw).items() if key not in KEY_ATTRIBUTES}
        entry: dict[str, Any] = {
            table.PARTITION_KEY: table.tenant_pk(tenant_id),
            table.SORT_KEY: table.history_sk(kind, item_id, version),
            "kind": HISTORY_KIND,
            "version": version,
            "item": body,
        }
        for name in ("updated_at", "updated_by"):
            if body.get(name) is not None:
                entry[name] = body[name]
        return dynamo.to_attributes(entry)

    def _history_entry(self, tenant_id: str, kind: ItemKind, raw: Mapping[str, Any]) -> HistoryEntry:
        body = raw.get("item")
        model = from_item(tenant_id, body, MODELS[kind]) if isinstance(body, Mapping) else None
        updated_at = raw.get("updated_at")
        return HistoryEntry(
            version=int(plain(raw.get("version", 0))),
            updated_at=datetime.fromisoformat(updated_at) if isinstance(updated_at, str) else None,
            updated_by=str(raw["updated_by"]) if raw.get("updated_by") is not None else None,
            item=model,
        )

    def _last_history_version(self, tenant_id: str, kind: ItemKind, item_id: str) -> int:
        prefix = table.history_sk(kind, item_id, 0)[: -len("0000000000")]
        request = self._prefix_query(tenant_id, prefix) | {"ScanIndexForward": False, "Limit": 1}
        with store_errors("read history"):
            items = self._client.query(**request).get("Items", [])
        return int(items[0]["version"]["N"]) if items else 0

    def _history_versions(self, tenant_id: str, kind: ItemKind) -> dict[str, int]:
        """The last archived version of every item of a kind (sort keys only)."""
        request = self._prefix_query(tenant_id, f"{table.HISTORY_PREFIX}{kind}#") | {
            "ProjectionExpression": "#sk",
        }
        versions: dict[str, int] = {}
        for raw in self._pages(request, "read history"):
            item_id, _, version = str(raw[table.SORT_KEY]).rpartition("#")
            item_id = item_id[len(f"{table.HISTORY_PREFIX}{kind}#") :]
            versions[item_id] = max(versions.get(item_id, 0), int(version))
        return versions

    def _conditional(self, item: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": dynamo.to_attributes(item)}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(#pk)"
            put["ExpressionAttributeNames"] = {"#pk": table.PARTITION_KEY}
        else:
            put |= self._version_condition(expected_version)
        return put

    def _version_condition(self, expected_version: int) -> dict[str, Any]:
        condition = "#version = :expected"
        if expected_version == 0:  # an item written by hand without a version counts as version 0
            condition += " OR (attribute_exists(#pk) AND attribute_not_exists(#version))"
        return {
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#version": table.VERSION_ATTRIBUTE}
            | ({"#pk": table.PARTITION_KEY} if expected_version == 0 else {}),
            "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
        }

    def _live_operator_fields(self, tenant_id: str, tenant: Tenant) -> builtins.list[dict[str, Any]]:
        """The operator's fields take effect without a publish: the published item gets them in the same
        transaction (a suspension stops answers at once). Before the first publish there is nothing to change,
        but the transaction checks that LIVE is still absent: a first publish that read the tenant item before
        this write, and commits before it (while its own condition on the tenant item's version still holds),
        would otherwise stay live with the fields this write replaces."""
        live_key = dynamo.key(table.tenant_pk(tenant_id), table.LIVE_SK)
        with store_errors("read published configuration"):
            live = self._client.get_item(
                TableName=self._table, Key=live_key, ConsistentRead=True, ProjectionExpression=table.PARTITION_KEY
            ).get("Item")
        names = {"#pk": table.PARTITION_KEY}
        if not live:
            return [
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": live_key,
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": names,
                    }
                }
            ]
        fields = {f"#{name}": name for name in LIVE_OPERATOR_FIELDS}
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": live_key,
                    "UpdateExpression": "SET " + ", ".join(f"#{name} = :{name}" for name in LIVE_OPERATOR_FIELDS),
                    "ConditionExpression": "attribute_exists(#pk)",
                    "ExpressionAttributeNames": names | fields,
                    "ExpressionAttributeValues": {
                        f":{name}": {"S": str(getattr(tenant, name))} for name in LIVE_OPERATOR_FIELDS
                    },
                }
            }
        ]

    def _claim(self, number: str, tenant_id: str) -> dict[str, Any]:
        item = {table.PARTITION_KEY: table.number_pk(number), table.SORT_KEY: table.NUMBER_SK, "tenant_id": tenant_id}
        return {
            "Put": {
                "TableName": self._table,
                "Item": dynamo.to_attributes(item),
                "ConditionExpression": "attribute_not_exists(#pk) OR #tenant = :tenant",
                "ExpressionAttributeNames": {"#pk": table.PARTITION_KEY, "#tenant": "tenant_id"},
                "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            }
        }

    def _releases(self, numbers: Iterable[str], tenant_id: str) -> builtins.list[dict[str, Any]]:
        """Deletes of this tenant's own claims; a number claimed by another tenant is left alone."""
        return [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": dynamo.key(table.number_pk(number), table.NUMBER_SK),
                    "ConditionExpression": "#tenant = :tenant",
                    "ExpressionAttributeNames": {"#tenant": "tenant_id"},
                    "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
                }
            }
            for number in numbers
            if self.number_owner(number) == tenant_id
        ]

    def _transact(
        self,
        actions: builtins.list[dict[str, Any]],
        tenant_id: str,
        kind: ItemKind,
        item_id: str,
        expected_version: int | None,
    ) -> None:
        try:
            with store_errors(f"write {kind} '{item_id}'"):
                self._client.transact_write_items(TransactItems=actions)
        except TransactionCancelled as exc:
            self._explain_cancellation(exc, actions, tenant_id, kind, item_id, expected_version)

    def _explain_cancellation(
        self,
        exc: TransactionCancelled,
        actions: builtins.list[dict[str, Any]],
        tenant_id: str,
        kind: ItemKind,
        item_id: str,
        expected_version: int | None,
    ) -> NoReturn:
        codes = exc.codes
        failed = [index for index, code in enumerate(codes) if code == "ConditionalCheckFailed"]
        if (failed and failed[0] == 0) or not codes:
            # The item changed between our read and the write.
            self._conflict(
                tenant_id, kind, item_id, expected_version, self._get_raw(tenant_id, sort_key(kind, item_id))
            )
        for index in failed:
            number = self._number_in(actions[index])
            if number is not None:
                raise NumberTaken(number) from None
            if self._is_live(actions[index]):
                raise _LiveChanged from None
        raise StoreUnavailable(f"write {kind} '{item_id}' was cancelled: {', '.join(codes)}") from exc

    def _number_in(self, action: Mapping[str, Any]) -> str | None:
        body = action.get("Put", {}).get("Item") or action.get("Delete", {}).get("Key") or {}
        pk = body.get(table.PARTITION_KEY, {}).get("S", "")
        return pk[len(table.NUMBER_PREFIX) :] if isinstance(pk, str) and pk.startswith(table.NUMBER_PREFIX) else None

    def _is_live(self, action: Mapping[str, Any]) -> bool:
        body: Mapping[str, Any] = next(iter(action.values()), {})
        return bool(body.get("Key", {}).get(table.SORT_KEY, {}).get("S") == table.LIVE_SK)

    def number_owner(self, number: str) -> str | None:
        """The tenant a phone number is claimed by, if any."""
        return dynamo.number_owner(self._client, self._table, number, consistent=True)

    def _batch_write(self, requests: builtins.list[dict[str, Any]], progress: Progress | None) -> None:
        total = len(requests)
        done = 0
        for start in range(0, total, BATCH_SIZE):
            pending = requests[start : start + BATCH_SIZE]
            for attempt in range(MAX_BATCH_ATTEMPTS):
                with store_errors("batch write"):
                    response = self._client.batch_write_item(RequestItems={self._table: pending})
                pending = response.get("UnprocessedItems", {}).get(self._table, [])
                if not pending:
                    break
                # Exponential backoff with full jitter, as AWS recommends for unprocessed items.
                self._sleep(random.uniform(0, min(5.0, 0.05 * 2**attempt)))
            else:
                raise StoreUnavailable(
                    f"batch write: {len(pending)} items still unprocessed after {MAX_BATCH_ATTEMPTS} attempts; "
                    f"{done} of {total} writes were done, run the import again to finish (it skips unchanged rows)"
                )
            done += min(BATCH_SIZE, total - start)
            if progress is not None:
                progress(done, total)

    def _get_raw(self, tenant_id: str, key_sk: str) -> dict[str, Any] | None:
        return dynamo.get(self._client, self._table, table.tenant_pk(tenant_id), key_sk, consistent=True)

    def _prefix_query(self, tenant_id: str, prefix: str) -> dict[str, Any]:
        return dynamo.prefix_query(self._table, table.tenant_pk(tenant_id), prefix, consistent=True)

    def _query_prefix(self, tenant_id: str, prefix: str) -> Iterable[dict[str, Any]]:
        return self._pages(self._prefix_query(tenant_id, prefix), "query items")

    def _pages(self, request: dict[str, Any], operation: str) -> Iterator[dict[str, Any]]:
        return dynamo.pages(self._client, request, operation=operation)
