"""The calls table: one item per call (pk TENANT#{tenant_id}, sk CALL#{call_id}), written by conditional
UpdateItems so arrival order never matters (records.py holds the precedence rules), and read back by
call id through the `calls_by_id` index.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from functions.calls.decisions import DecisionRecord
from functions.calls.read_model import CallRecord, decision_times
from functions.calls.records import (
    MAX_TRANSCRIPT_BYTES,
    Completion,
    Grade,
    channel_of,
    completion_key,
    grade_key,
)
from functions.common import dynamo, table
from functions.common.aws import store_errors
from functions.common.clock import iso, utc_now
from functions.common.errors import ConditionFailed


def time_index_sk(at: datetime, call_id: int) -> str:
    return f"{iso(at)}#{call_id}"


def _key(tenant_id: str, call_id: int) -> dict[str, Any]:
    return dynamo.key(table.tenant_pk(tenant_id), table.call_sk(call_id))


def _expires(at: datetime, ttl_days: int) -> int:
    return int((at + timedelta(days=ttl_days)).timestamp())


class _Update:
    """Collects `SET a = :a` / `SET a = if_not_exists(a, :a)` clauses for one UpdateItem."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def set(self, name: str, value: Any, *, if_absent: bool = False) -> None:
        if value is None:
            return
        index = len(self.names)
        alias, placeholder = f"#a{index}", f":v{index}"
        self.names[alias] = name
        self.values[placeholder] = dynamo.attribute(value)
        self.clauses.append(
            f"{alias} = if_not_exists({alias}, {placeholder})" if if_absent else f"{alias} = {placeholder}"
        )

    def request(self, table_name: str, key: dict[str, Any], condition: str, **extra: Any) -> dict[str, Any]:
        names = {**self.names, **extra.pop("names", {})}
        values = {**self.values, **extra.pop("values", {})}
        return {
            "TableName": table_name,
            "Key": key,
            "UpdateExpression": "SET " + ", ".join(self.clauses),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }


def _identity(update: _Update, tenant_id: str, call_id: int) -> None:
    update.set("tenant_id", tenant_id)
    update.set("call_id", call_id)
    update.set(table.CALL_ID_INDEX_PARTITION_KEY, table.call_index_pk(call_id))
    update.set(table.CALL_ID_INDEX_SORT_KEY, tenant_id)
    update.set(table.CALL_TIME_INDEX_PARTITION_KEY, table.tenant_pk(tenant_id))


def decision_update(table_name: str, record: DecisionRecord, *, ttl_days: int) -> dict[str, Any]:
    """First decision wins (`attribute_not_exists(decided_at)`); the outcome groups are left alone.
    The decision's time owns the time index and the TTL, so the item's place never depends on order."""
    update = _Update()
    _identity(update, record.tenant_id, record.call_id)
    update.set(table.CALL_TIME_INDEX_SORT_KEY, time_index_sk(record.decided_at, record.call_id))
    update.set(table.TTL_ATTRIBUTE, _expires(record.decided_at, ttl_days))
    update.set("decided_at", iso(record.decided_at))
    update.set("event_type", record.event_type)
    update.set("channel", record.channel)
    update.set("widget_id", record.widget_id)
    update.set("to_number", record.to_number)
    update.set("decision", record.decision)
    update.set("reason", record.reason)
    update.set("rule_id", record.rule_id)
    update.set("variant", record.variant)
    update.set("profile_id", record.profile_id)
    update.set("profile_version", record.profile_version)
    update.set("config_version", record.config_version)
    update.set("customer_known", record.customer_known)
    update.set("stale", record.stale or None)  # only when true: most decisions are not
    update.set("latency_ms", round(record.latency_ms, 1))
    return update.request(
        table_name,
        _key(record.tenant_id, record.call_id),
        "attribute_not_exists(#decided)",
        names={"#decided": "decided_at"},
    )


def completion_update(
    table_name: str,
    tenant_id: str,
    completion: Completion,
    *,
    ttl_days: int,
    now: datetime,
    keep_transcripts: bool,
) -> dict[str, Any]:
    """Writes when no completion is stored or the stored one has a smaller key (see module doc)."""
    update = _outcome_update(tenant_id, completion.call_id, completion.start_time or now, ttl_days)
    update.set("channel", channel_of(completion.direction), if_absent=True)
    update.set("caller", completion.caller, if_absent=True)
    update.set("completion_source", completion.source)
    update.set("direction", completion.direction)
    update.set("status", completion.status)
    update.set("end_reason", completion.end_reason)
    update.set("duration_seconds", completion.duration_seconds)
    update.set("billable_minutes", completion.billable_minutes)
    update.set("billing_total_cents", completion.billing_total_cents)
    update.set("started_at", iso(completion.start_time) if completion.start_time else None)
    update.set("ended_at", iso(completion.end_time) if completion.end_time else None)
    update.set("product", completion.product)
    update.set("voice", completion.voice)
    if keep_transcripts:
        update.set("recording_url", completion.recording_url)
        if completion.transcripts is not None:
            packed = gzip.compress(json.dumps(completion.transcripts, separators=(",", ":")).encode(), mtime=0)
            if len(packed) <= MAX_TRANSCRIPT_BYTES:
                update.set("transcript_gz", packed)
            else:
                update.set("transcript_dropped", "too_large")
    return _if_newer(update, table_name, tenant_id, completion.call_id, "completion_key", completion_key(completion))


def grade_update(table_name: str, tenant_id: str, grade: Grade, *, ttl_days: int, now: datetime) -> dict[str, Any]:
    update = _outcome_update(tenant_id, grade.call_id, now, ttl_days)
    update.set("grade_source", grade.source)
    update.set("grade_score", grade.score)
    update.set("grade_score_raw", grade.score_raw)
    update.set("grade_outcome", grade.call_outcome)
    update.set("grade_outcome_label", grade.outcome_label)
    update.set("grader_model", grade.grader_model)
    return _if_newer(update, table_name, tenant_id, grade.call_id, "grade_key", grade_key(grade))


def _outcome_update(tenant_id: str, call_id: int, placed_at: datetime, ttl_days: int) -> _Update:
    """An outcome group's update: the call's identity, and its place in time only if nothing placed it
    yet (a decision's time wins, so the item's place never depends on arrival order)."""
    update = _Update()
    _identity(update, tenant_id, call_id)
    update.set(table.CALL_TIME_INDEX_SORT_KEY, time_index_sk(placed_at, call_id), if_absent=True)
    update.set(table.TTL_ATTRIBUTE, _expires(placed_at, ttl_days), if_absent=True)
    return update


def _if_newer(
    update: _Update, table_name: str, tenant_id: str, call_id: int, key_name: str, key_value: str
) -> dict[str, Any]:
    """Lands only when no precedence key is stored or the stored one is smaller (records.py)."""
    update.set(key_name, key_value)
    return update.request(
        table_name,
        _key(tenant_id, call_id),
        "attribute_not_exists(#key) OR #key < :key",
        names={"#key": key_name},
        values={":key": {"S": key_value}},
    )


class UsageCounter(Protocol):
    """Counts a completion into its tenant's month before it is stored (functions/billing/meter.py)."""

    def count(self, tenant_id: str, outcome: Completion | Grade) -> None: ...


class NoUsage:
    """Counts nothing: repositories that only read or record decisions."""

    def count(self, tenant_id: str, outcome: Completion | Grade) -> None:
        return None


class CallRepository:
    """Writes and reads of call items through the low-level client. A write returns False when the
    stored facts take precedence (a duplicate, or an older or lower-ranked delivery) and raises
    StoreUnavailable when DynamoDB fails."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        ttl_days: int = 90,
        clock: Callable[[], datetime] = utc_now,
        usage: UsageCounter | None = None,
    ) -> None:
        self._usage = usage or NoUsage()
        self._client = client
        self._table = table_name
        self._ttl_days = ttl_days
        self._clock = clock

    @property
    def client(self) -> Any:
        return self._client

    @property
    def table_name(self) -> str:
        return self._table

    @property
    def ttl_days(self) -> int:
        return self._ttl_days

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._clock

    def record_decision(self, record: DecisionRecord) -> bool:
        """False for a redelivered incoming event: the first decision stays."""
        return self._apply(decision_update(self._table, record, ttl_days=self._ttl_days), "record decision")

    def record_completion(self, tenant_id: str, completion: Completion, *, keep_transcripts: bool) -> bool:
        self._usage.count(tenant_id, completion)  # first: a retry after a failed write still finds it counted
        request = completion_update(
            self._table,
            tenant_id,
            completion,
            ttl_days=self._ttl_days,
            now=self._clock(),
            keep_transcripts=keep_transcripts,
        )
        return self._apply(request, "record completion")

    def record_grade(self, tenant_id: str, grade: Grade) -> bool:
        request = grade_update(self._table, tenant_id, grade, ttl_days=self._ttl_days, now=self._clock())
        return self._apply(request, "record grade")

    def calls_of(self, call_id: int) -> list[CallRecord]:
        """Every item stored for a call id, through the call-id index (eventually consistent)."""
        request = {
            "TableName": self._table,
            "IndexName": table.CALL_ID_INDEX,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": table.CALL_ID_INDEX_PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": table.call_index_pk(call_id)}},
        }
        return [CallRecord.from_item(item) for item in dynamo.pages(self._client, request, operation="find call")]

    def decisions_of(self, call_id: int) -> dict[str, datetime]:
        """When a decision was recorded for this call id, per tenant (several when a tenant sent another's call
        id, or a predicted one: which is ThunderPhone's call is for the attribution rule, outcomes/attribution.py)."""
        return decision_times(self.calls_of(call_id))

    def _apply(self, request: dict[str, Any], operation: str) -> bool:
        try:
            with store_errors(operation):
                self._client.update_item(**request)
        except ConditionFailed:
            return False
        return True
