"""Reading call records for a period from the calls table (the reports' only AWS access)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from functions.common import table
from functions.common.call_records import CallRecord, iso


class CallsReader:
    def __init__(self, client: Any, table_name: str) -> None:
        from boto3.dynamodb.types import TypeDeserializer

        self._client = client
        self._table = table_name
        self._deserialize = TypeDeserializer().deserialize

    def tenant_calls(self, tenant_id: str, start: datetime, end: datetime) -> Iterator[CallRecord]:
        """A tenant's calls in [start, end) through the time index: reads only that range."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": table.CALL_TIME_INDEX,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :start AND :end",
            "ExpressionAttributeNames": {
                "#pk": table.CALL_TIME_INDEX_PARTITION_KEY,
                "#sk": table.CALL_TIME_INDEX_SORT_KEY,
            },
            "ExpressionAttributeValues": {
                ":pk": {"S": table.tenant_pk(tenant_id)},
                ":start": {"S": iso(start)},
                ":end": {"S": iso(end)},  # "{end}#id" sorts after "{end}": the end stays exclusive
            },
        }
        yield from self._pages("query", request)

    def all_calls(self, start: datetime, end: datetime) -> Iterator[CallRecord]:
        """Every tenant's calls in [start, end): a filtered Scan of the whole table (operator use)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(#sk, :call) AND #tsk BETWEEN :start AND :end",
            "ExpressionAttributeNames": {"#sk": table.SORT_KEY, "#tsk": table.CALL_TIME_INDEX_SORT_KEY},
            "ExpressionAttributeValues": {
                ":call": {"S": table.CALL_PREFIX},
                ":start": {"S": iso(start)},
                ":end": {"S": iso(end)},
            },
        }
        yield from self._pages("scan", request)

    def _pages(self, operation: str, request: dict[str, Any]) -> Iterator[CallRecord]:
        call = getattr(self._client, operation)
        while True:
            page = call(**request)
            for item in page.get("Items", []):
                yield CallRecord.from_item(self._plain(item))
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _plain(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {key: self._deserialize(value) for key, value in item.items()}
