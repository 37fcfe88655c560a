"""ThunderPhone's calls API and the calls table behind the backfill's ports (the only I/O here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from functions.call_sync.models import CallPage, Cursor
from functions.call_sync.ports import SourceUnavailable
from functions.common import table
from functions.common.aws import store_errors
from functions.common.call_records import (
    ApiCall,
    CallRecord,
    Completion,
    Grade,
    completion_update,
    grade_update,
    iso,
)
from functions.common.errors import StoreUnavailable
from functions.common.observability import logger

# The calls list envelope is UNCONFIRMED (shared/thunderphone-api.md 5.1): these keys are tried in order.
LIST_KEYS = ("results", "data", "calls", "items")
TOTAL_KEYS = ("total", "count", "total_count")


class JsonGetter(Protocol):
    """The part of functions.common.thunderphone_api.ThunderPhoneApi the backfill uses."""

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any: ...


def parse_page(payload: Any) -> CallPage:
    """A bare list, or an object holding the list under one of LIST_KEYS and maybe a total."""
    total: int | None = None
    if isinstance(payload, list):
        entries: list[Any] = payload
    elif isinstance(payload, dict):
        found = next((payload[key] for key in LIST_KEYS if isinstance(payload.get(key), list)), None)
        if found is None:
            raise SourceUnavailable(f"calls list has none of {list(LIST_KEYS)}: keys {sorted(payload)[:10]}")
        entries = found
        total = next(
            (payload[key] for key in TOTAL_KEYS if isinstance(payload.get(key), int) and payload[key] >= 0), None
        )
    else:
        raise SourceUnavailable("calls list is neither a list nor an object")
    calls: list[ApiCall] = []
    invalid = 0
    for entry in entries:
        try:
            calls.append(ApiCall.model_validate(entry))
        except ValidationError as exc:
            invalid += 1
            call_id = entry.get("call_id") if isinstance(entry, dict) else None
            logger.warning(
                "calls list entry skipped",
                extra={"call_id": call_id, "problems": [".".join(map(str, e["loc"])) for e in exc.errors()]},
            )
    return CallPage(calls=calls, total=total, invalid=invalid, size=len(entries))


class ThunderPhoneCallSource:
    def __init__(self, api: JsonGetter) -> None:
        self._api = api

    def list_calls(self, *, direction: str | None, start: datetime, end: datetime, limit: int, offset: int) -> CallPage:
        from functions.common.thunderphone_api import ThunderPhoneError

        params: dict[str, str | int] = {
            "start_date": iso(start),
            "end_date": iso(end),
            "limit": limit,
            "offset": offset,
        }
        if direction is not None:
            params["direction"] = direction
        try:
            payload = self._api.get("calls", params)
        except ThunderPhoneError as exc:
            raise SourceUnavailable(f"{exc.code}: {exc.message}") from None
        return parse_page(payload)


class DynamoOutcomeStore:
    def __init__(self, client: Any, table_name: str, *, ttl_days: int, clock: Callable[[], datetime]) -> None:
        from boto3.dynamodb.types import TypeDeserializer

        self._client = client
        self._table = table_name
        self._ttl_days = ttl_days
        self._clock = clock
        self._deserialize = TypeDeserializer().deserialize

    def find_call(self, call_id: int) -> CallRecord | None:
        with store_errors():
            page = self._client.query(
                TableName=self._table,
                IndexName=table.CALL_ID_INDEX,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": table.CALL_ID_INDEX_PARTITION_KEY},
                ExpressionAttributeValues={":pk": {"S": table.call_index_pk(call_id)}},
            )
        records = [CallRecord.from_item(self._plain(item)) for item in page.get("Items", [])]
        records.sort(key=lambda record: not record.has_decision)
        return records[0] if records else None

    def apply_completion(self, tenant_id: str, completion: Completion) -> bool:
        request = completion_update(
            self._table, tenant_id, completion, ttl_days=self._ttl_days, now=self._clock(), keep_transcripts=False
        )
        return self._apply(request)

    def apply_grade(self, tenant_id: str, grade: Grade) -> bool:
        return self._apply(grade_update(self._table, tenant_id, grade, ttl_days=self._ttl_days, now=self._clock()))

    def load_cursor(self, name: str) -> Cursor | None:
        with store_errors():
            item = self._client.get_item(TableName=self._table, Key=self._cursor_key(name), ConsistentRead=True).get(
                "Item"
            )
        if not item:
            return None
        plain = self._plain(item)
        return Cursor(
            name=name,
            direction=str(plain["direction"]),
            window_start=datetime.fromisoformat(str(plain["window_start"])),
            window_end=datetime.fromisoformat(str(plain["window_end"])),
            offset=int(plain["offset"]),
            done=bool(plain["done"]),
            updated_at=datetime.fromisoformat(str(plain["updated_at"])) if plain.get("updated_at") else None,
        )

    def save_cursor(self, cursor: Cursor) -> None:
        item = {
            **self._cursor_key(cursor.name),
            "direction": {"S": cursor.direction},
            "window_start": {"S": iso(cursor.window_start)},
            "window_end": {"S": iso(cursor.window_end)},
            "offset": {"N": str(cursor.offset)},
            "done": {"BOOL": cursor.done},
        }
        if cursor.updated_at is not None:
            item["updated_at"] = {"S": iso(cursor.updated_at)}
        with store_errors():
            self._client.put_item(TableName=self._table, Item=item)

    def _apply(self, request: dict[str, Any]) -> bool:
        from botocore.exceptions import ClientError

        try:
            with store_errors():
                self._client.update_item(**request)
        except StoreUnavailable as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == (
                "ConditionalCheckFailedException"
            ):
                return False
            raise
        return True

    def _cursor_key(self, name: str) -> dict[str, Any]:
        return {table.PARTITION_KEY: {"S": table.SYNC_PK}, table.SORT_KEY: {"S": table.sync_cursor_sk(name)}}

    def _plain(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {key: self._deserialize(value) for key, value in item.items()}
