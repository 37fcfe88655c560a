"""Translation between configuration items in the table and the tenant models, in one place.

Items are stored as plain attributes (readable and editable in the console) beside their keys.
Numbers come back from DynamoDB as Decimal; they are turned into int/float before validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from functions.common import dynamo, table
from functions.common.dynamo import decimals
from functions.common.errors import InvalidItem
from functions.tenant_config.models import BOOKKEEPING, AgentProfile, Customer, RoutingRule, StoredItem, Tenant

ItemKind = Literal["tenant", "profile", "rule", "customer"]
ModelT = TypeVar("ModelT", bound=StoredItem)

MODELS: dict[ItemKind, type[StoredItem]] = {
    "tenant": Tenant,
    "profile": AgentProfile,
    "rule": RoutingRule,
    "customer": Customer,
}
ID_FIELDS: dict[ItemKind, str] = {
    "tenant": "tenant_id",
    "profile": "profile_id",
    "rule": "rule_id",
    "customer": "customer_id",
}
# Attributes an item carries beside its model's fields.
KEY_ATTRIBUTES = frozenset(
    {table.PARTITION_KEY, table.SORT_KEY, "kind", table.TENANT_INDEX_PARTITION_KEY, table.TENANT_INDEX_SORT_KEY}
)


def sort_key(kind: ItemKind, item_id: str) -> str:
    if kind == "tenant":
        return table.TENANT_SK
    builders = {"profile": table.profile_sk, "rule": table.rule_sk, "customer": table.customer_sk}
    return builders[kind](item_id)


def prefix_of(kind: ItemKind) -> str:
    """The sort-key prefix shared by every item of a kind (the tenant item is a single key)."""
    return {"tenant": table.TENANT_SK, "profile": table.PROFILE_SK_PREFIX, "rule": table.RULE_SK_PREFIX}.get(
        kind, table.CUSTOMER_PREFIX
    )


def kind_of(sort_key_value: str) -> ItemKind | None:
    if sort_key_value == table.TENANT_SK:
        return "tenant"
    for kind, prefix in (
        ("profile", table.PROFILE_SK_PREFIX),
        ("rule", table.RULE_SK_PREFIX),
        ("customer", table.CUSTOMER_PREFIX),
    ):
        if sort_key_value.startswith(prefix):
            return kind  # type: ignore[return-value]
    return None


def described(sort_key_value: str) -> str:
    """An item's sort key as a tenant admin names the item: "profile 'front-desk'", "the settings"."""
    kind = kind_of(sort_key_value)
    if kind is None:
        return "an item"
    if kind == "tenant":
        return "the settings"
    return f"{kind} '{sort_key_value.removeprefix(prefix_of(kind))}'"


def from_item(tenant_id: str, item: Mapping[str, Any], model: type[ModelT] | None = None) -> ModelT:
    """Validate one stored item into its model; raises InvalidItem naming tenant and sort key."""
    sort_key_value = str(item.get(table.SORT_KEY, ""))
    kind = kind_of(sort_key_value)
    chosen = model or (MODELS[kind] if kind else None)
    if chosen is None:
        raise InvalidItem(tenant_id, sort_key_value, ["not a tenant configuration item"])
    parsed = dynamo.model_of(item, chosen, owner=tenant_id, ignore=KEY_ATTRIBUTES)
    # Bound to where it is stored: an item can never speak for another tenant or another key.
    if kind is not None and sort_key(kind, getattr(parsed, ID_FIELDS[kind])) != sort_key_value:
        raise InvalidItem(tenant_id, sort_key_value, [f"{ID_FIELDS[kind]}: does not match the item's key"])
    if isinstance(parsed, Tenant) and parsed.tenant_id != tenant_id:
        raise InvalidItem(tenant_id, sort_key_value, ["tenant_id: does not match the item's partition"])
    return parsed  # type: ignore[return-value]


def to_item(tenant_id: str, model: BaseModel) -> dict[str, Any]:
    """The item to store for `model` (Python values; floats become Decimal for boto3)."""
    kind = kind_of_model(model)  # type: ignore[arg-type]
    body = model.model_dump(mode="json", exclude_none=True)
    item: dict[str, Any] = {
        table.PARTITION_KEY: table.tenant_pk(tenant_id),
        table.SORT_KEY: sort_key(kind, str(body[ID_FIELDS[kind]])),
        "kind": kind,
        **decimals(body),
    }
    if kind == "tenant":
        item[table.TENANT_INDEX_PARTITION_KEY] = table.TENANT_INDEX_PARTITION_VALUE
        item[table.TENANT_INDEX_SORT_KEY] = tenant_id
    return item


def kind_of_model(model: StoredItem) -> ItemKind:
    for kind, cls in MODELS.items():
        if isinstance(model, cls):
            return kind
    raise TypeError(f"{type(model).__name__} is not a stored configuration model")


def item_id_of(model: StoredItem) -> str:
    return str(getattr(model, ID_FIELDS[kind_of_model(model)]))


def content(model: StoredItem) -> dict[str, Any]:
    """A model's data without the bookkeeping (version, updated_at, updated_by): what a diff compares."""
    return model.model_dump(mode="json", exclude_none=True, exclude=set(BOOKKEEPING))
