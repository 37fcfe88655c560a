"""Translation between DynamoDB items and the tenant models, in one place.

Items are stored as plain attributes (readable and editable in the console) beside their keys.
Numbers come back from DynamoDB as Decimal; they are turned into int/float before validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from functions.common import table
from functions.common.tenant_model import AgentProfile, Customer, RoutingRule, StoredItem, Tenant

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


class InvalidItem(Exception):
    """A stored item that does not validate; carries where it is and why, never its values."""

    def __init__(self, tenant_id: str, sort_key: str, problems: list[str]) -> None:
        self.tenant_id = tenant_id
        self.sort_key = sort_key
        self.problems = problems
        super().__init__(f"invalid item {sort_key} of tenant {tenant_id}: {'; '.join(problems)}")


def sort_key(kind: ItemKind, item_id: str) -> str:
    if kind == "tenant":
        return table.TENANT_SK
    builders = {"profile": table.profile_sk, "rule": table.rule_sk, "customer": table.customer_sk}
    return builders[kind](item_id)


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


def plain(value: Any) -> Any:
    """DynamoDB's Decimals (and sets) as JSON-friendly Python values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [plain(item) for item in value]
    return value


def problems_of(error: ValidationError) -> list[str]:
    """Readable one-liners: 'when.caller_numbers.0: String should match pattern ...'."""
    return [f"{'.'.join(str(part) for part in entry['loc']) or '(item)'}: {entry['msg']}" for entry in error.errors()]


def from_item(tenant_id: str, item: Mapping[str, Any], model: type[ModelT] | None = None) -> ModelT:
    """Validate one stored item into its model; raises InvalidItem naming tenant and sort key."""
    sort_key_value = str(item.get(table.SORT_KEY, ""))
    kind = kind_of(sort_key_value)
    chosen = model or (MODELS[kind] if kind else None)
    if chosen is None:
        raise InvalidItem(tenant_id, sort_key_value, ["not a tenant configuration item"])
    data = {key: plain(value) for key, value in item.items() if key not in KEY_ATTRIBUTES}
    try:
        parsed = chosen.model_validate(data)
    except ValidationError as exc:
        raise InvalidItem(tenant_id, sort_key_value, problems_of(exc)) from None
    if kind is not None and sort_key(kind, getattr(parsed, ID_FIELDS[kind])) != sort_key_value:
        raise InvalidItem(tenant_id, sort_key_value, [f"{ID_FIELDS[kind]} does not match the item's key"])
    return parsed  # type: ignore[return-value]


def to_item(tenant_id: str, model: BaseModel) -> dict[str, Any]:
    """The item to store for `model` (Python values; floats become Decimal for boto3)."""
    kind = next(kind for kind, cls in MODELS.items() if isinstance(model, cls))
    body = model.model_dump(mode="json", exclude_none=True)
    item: dict[str, Any] = {
        table.PARTITION_KEY: table.tenant_pk(tenant_id),
        table.SORT_KEY: sort_key(kind, str(body[ID_FIELDS[kind]])),
        "kind": kind,
        **_decimals(body),
    }
    if kind == "tenant":
        item[table.TENANT_INDEX_PARTITION_KEY] = table.TENANT_INDEX_PARTITION_VALUE
        item[table.TENANT_INDEX_SORT_KEY] = tenant_id
    return item


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decimals(item) for item in value]
    return value
