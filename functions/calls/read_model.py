"""What reports and the backfill read back from the calls table: a call item as a model, and the
queries over a period (a tenant's calls through the time index, or every tenant's by a Scan)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from functions.common import dynamo, table
from functions.common.clock import iso


class CallRecord(BaseModel):
    """A call item as reports and replays read it; every group may be missing. A replay needs the decision's
    facts: channel, widget_id, to_number, caller (phone, E.164), decided_at, and what was chosen (rule_id,
    variant, profile_id) under which published configuration (config_version)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    tenant_id: str
    call_id: int
    channel: str | None = None
    widget_id: str | None = None
    to_number: str | None = None
    decided_at: datetime | None = None
    decision: str | None = None
    reason: str | None = None
    rule_id: str | None = None
    variant: str | None = None
    profile_id: str | None = None
    profile_version: int | None = None
    config_version: int | None = None
    caller: str | None = None
    customer_known: bool | None = None
    stale: bool = False  # the decision was made on a last-known-good configuration
    latency_ms: float | None = None
    completion_key: str | None = None
    direction: str | None = None
    status: str | None = None
    end_reason: str | None = None
    duration_seconds: float | None = None
    billable_minutes: float | None = None
    billing_total_cents: float | None = None
    started_at: datetime | None = None
    usage_month: str | None = None  # the billing month its completion was counted in (functions/billing/meter.py)
    grade_key: str | None = None
    grade_score: float | None = None
    grade_outcome: str | None = None
    grade_outcome_label: str | None = None
    time_index_sk: str | None = None  # "{UTC ISO time}#{call_id}": the call's place in the time index

    @property
    def has_decision(self) -> bool:
        return self.decided_at is not None

    @property
    def has_completion(self) -> bool:
        return self.completion_key is not None

    @property
    def at(self) -> datetime | None:
        """When the call happened: the decision time, else the call's start."""
        return self.decided_at or self.started_at

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> CallRecord:
        """From a deserialized item (Decimals become numbers)."""
        plain = {key: float(value) if isinstance(value, Decimal) else value for key, value in item.items()}
        plain["call_id"] = int(plain["call_id"])
        for name in ("profile_version", "config_version"):
            if plain.get(name) is not None:
                plain[name] = int(plain[name])
        return cls.model_validate(plain)


def decision_times(records: Iterator[CallRecord] | list[CallRecord]) -> dict[str, datetime]:
    """When each tenant decided the call these records are of (the attribution rule's input)."""
    return {record.tenant_id: record.decided_at for record in records if record.decided_at is not None}


class CallsReader:
    """Call records for a period (the reports' only access to the calls table)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

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
        for item in dynamo.pages(self._client, request, operation="read calls"):
            yield CallRecord.from_item(item)

    def newest_first(self, tenant_id: str, start: datetime | None, before: str) -> Iterator[CallRecord]:
        """A tenant's calls from newest to oldest, whose time-index key is below `before` (a key, or a time) and
        that happened at or after `start`: a Query on its partition of the time index, read a page at a time as
        the caller consumes them."""
        condition = "#pk = :pk AND #sk < :before"
        values: dict[str, Any] = {":pk": {"S": table.tenant_pk(tenant_id)}, ":before": {"S": before}}
        if start is not None:
            condition = "#pk = :pk AND #sk BETWEEN :start AND :before"
            values[":start"] = {"S": iso(start)}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": table.CALL_TIME_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {
                "#pk": table.CALL_TIME_INDEX_PARTITION_KEY,
                "#sk": table.CALL_TIME_INDEX_SORT_KEY,
            },
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": 100,
        }
        for item in dynamo.pages(self._client, request, operation="read calls"):
            yield CallRecord.from_item(item)

    def tenant_call(self, tenant_id: str, call_id: int) -> CallRecord | None:
        """One call of the tenant's own partition, or None (another tenant's call is simply not there)."""
        item = dynamo.get(
            self._client, self._table, table.tenant_pk(tenant_id), table.call_sk(call_id), operation="read call"
        )
        return None if item is None else CallRecord.from_item(item)

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
        for item in dynamo.pages(self._client, request, operation="read calls", scan=True):
            yield CallRecord.from_item(item)
