"""DynamoDB plumbing every adapter shares: attribute conversion, keys and paginated reads.

Items are plain attributes (readable and editable in the console). Numbers come back from DynamoDB as
Decimal and go in as Decimal (boto3 refuses floats); `plain` and `decimals` convert at the edges.
Reads go through `store_errors`, so callers only ever see our domain errors.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from functions.common import table
from functions.common.aws import store_errors
from functions.common.errors import InvalidItem, StoreUnavailable
from functions.common.validation import problems_of

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_BATCH_ROUNDS = 3  # BatchGetItem rounds for keys left unprocessed (botocore already retries throttled requests)


@cache
def _serializer() -> TypeSerializer:
    from boto3.dynamodb.types import TypeSerializer  # lazily: importing boto3 costs cold-start time

    return TypeSerializer()


@cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def decimals(value: Any) -> Any:
    """Floats (also inside maps and lists) as Decimal; str() keeps 0.1 as 0.1, not its binary expansion."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {key: decimals(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [decimals(item) for item in value]
    return value


def plain(value: Any) -> Any:
    """DynamoDB's Decimals (and sets) as JSON-friendly Python values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [plain(item) for item in value]
    return value


def attribute(value: Any) -> dict[str, Any]:
    """One Python value in the low-level client's attribute-value form ({"S": ...}, {"N": ...}, ...)."""
    return dict(_serializer().serialize(decimals(value)))


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: attribute(value) for name, value in item.items()}


def from_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level item as Python values (numbers stay Decimal; `plain` them where JSON is wanted)."""
    deserialize = _deserializer().deserialize
    return {name: deserialize(value) for name, value in item.items()}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {table.PARTITION_KEY: {"S": pk}, table.SORT_KEY: {"S": sk}}


def prefix_query(table_name: str, pk: str, prefix: str, *, consistent: bool = False) -> dict[str, Any]:
    """Query arguments for the items of partition `pk` whose sort key starts with `prefix`."""
    request: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
        "ExpressionAttributeNames": {"#pk": table.PARTITION_KEY, "#sk": table.SORT_KEY},
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
    }
    if consistent:
        request["ConsistentRead"] = True
    return request


def pages(client: Any, request: Mapping[str, Any], *, operation: str, scan: bool = False) -> Iterator[dict[str, Any]]:
    """Every item a Query (or Scan) returns, page after page, as Python values."""
    call = client.scan if scan else client.query
    request = dict(request)
    while True:
        with store_errors(operation):
            page = call(**request)
        yield from (from_attributes(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def get(
    client: Any, table_name: str, pk: str, sk: str, *, consistent: bool = False, operation: str = "read item"
) -> dict[str, Any] | None:
    """One item as Python values, or None."""
    with store_errors(operation):
        item = client.get_item(TableName=table_name, Key=key(pk, sk), ConsistentRead=consistent).get("Item")
    return from_attributes(item) if item else None


def get_many(
    client: Any, table_name: str, keys: Sequence[tuple[str, str]], *, operation: str = "read items"
) -> list[dict[str, Any] | None]:
    """Items by (pk, sk) in one BatchGetItem, as Python values or None, in the keys' order. Keys DynamoDB leaves
    unprocessed (throttling) are asked for again, at most MAX_BATCH_ROUNDS rounds in all; then StoreUnavailable."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    request: Mapping[str, Any] = {table_name: {"Keys": [key(pk, sk) for pk, sk in keys]}}
    for _ in range(MAX_BATCH_ROUNDS):
        with store_errors(operation):
            page = client.batch_get_item(RequestItems=request)
        for item in page.get("Responses", {}).get(table_name, []):
            found[(item[table.PARTITION_KEY]["S"], item[table.SORT_KEY]["S"])] = from_attributes(item)
        request = page.get("UnprocessedKeys") or {}
        if not request:
            return [found.get(wanted) for wanted in keys]
    raise StoreUnavailable(f"{operation}: DynamoDB left keys unprocessed {MAX_BATCH_ROUNDS} times")


def number_owner(client: Any, table_name: str, number: str, *, consistent: bool = False) -> str | None:
    """The tenant a ThunderPhone number is claimed by (its NUMBER# item), if any."""
    item = get(
        client,
        table_name,
        table.number_pk(number),
        table.NUMBER_SK,
        consistent=consistent,
        operation="read number owner",
    )
    owner = (item or {}).get("tenant_id")
    return owner if isinstance(owner, str) else None


def model_of(item: Mapping[str, Any], model: type[ModelT], *, owner: str, ignore: Collection[str] = ()) -> ModelT:
    """A stored item validated into `model`, its keys (and the `ignore`d bookkeeping) left out; InvalidItem,
    naming `owner` and the sort key (never a value), when it does not validate."""
    skip = {table.PARTITION_KEY, table.SORT_KEY, *ignore}
    data = {name: plain(value) for name, value in item.items() if name not in skip}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidItem(owner, str(item.get(table.SORT_KEY, "")), problems_of(exc)) from None
