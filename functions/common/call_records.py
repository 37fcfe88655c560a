"""The calls table's record: ThunderPhone outcome events in, one item per call out.

One item per call (pk TENANT#{tenant_id}, sk CALL#{call_id}) holds three independent groups of
attributes, each written by its own UpdateItem so arrival order never matters:

    decision    written once by the webhook when it answers (first decision wins; a redelivered
                incoming event finds it and changes nothing)
    completion  call.complete / telephony.complete / web.complete, or the backfill
    grade       call.graded, or the backfill

Each outcome group carries a precedence key, a string compared in the write's condition:
`completion_key` = "{rank}#{digest}", `grade_key` = "{rank}#{graded_at}#{digest}". A write lands only
when the stored key is absent or smaller, so duplicates (equal key) are no-ops and any delivery order
ends in the same item. Ranks: backfill 1 < event 2 (an event is ThunderPhone's own word at the time;
the backfill only fills gaps); for grades, event without a report 2 < event with a report 3 (the
"full" grading carries `report`; UNCONFIRMED, see docs/observability.md).

This module is pure: it builds models and UpdateItem arguments; callers own the boto3 client.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.common import table

COMPLETION_EVENTS = frozenset({"call.complete", "telephony.complete", "web.complete"})
GRADED_EVENTS = frozenset({"call.graded"})
OUTCOME_EVENTS = COMPLETION_EVENTS | GRADED_EVENTS

Source = Literal["event", "sync"]
COMPLETION_RANK: dict[Source, int] = {"sync": 1, "event": 2}
GRADE_RANK_SYNC, GRADE_RANK_FAST, GRADE_RANK_FULL = 1, 2, 3
# DynamoDB items stop at 400 KB; a compressed transcript above this is not kept (flagged instead).
MAX_TRANSCRIPT_BYTES = 200_000

Count = Annotated[float, Field(ge=0)]


class InvalidCallEvent(ValueError):
    """An outcome event whose `data` does not validate; lists field names, never values."""


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'data'}: {err['msg']}" for err in exc.errors())


# ThunderPhone's payloads (shared/thunderphone-api.md 1.7 and 5.1): unknown keys are ignored,
# every field but call_id is optional because the docs disagree between versions.
class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _CallSummary(_Tolerant):
    """What a completion event and a GET /v1/calls object both say about a finished call."""

    call_id: Annotated[int, Field(ge=0)]
    direction: Annotated[str | None, Field(max_length=32)] = None
    to_number: Annotated[str | None, Field(max_length=64)] = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration_seconds: Count | None = None
    status: Annotated[str | None, Field(max_length=32)] = None
    end_reason: Annotated[str | None, Field(max_length=64)] = None
    product: Annotated[str | None, Field(max_length=64)] = None
    voice: Annotated[str | None, Field(max_length=128)] = None
    billable_minutes: Count | None = None
    billing_total_cents: Count | None = None


class CallCompleted(_CallSummary):
    """`data` of call.complete / telephony.complete / web.complete."""

    recording_url: Annotated[str | None, Field(max_length=4096)] = None
    transcripts: list[dict[str, Any]] | None = None


class GradeData(_Tolerant):
    score: float | None = None
    call_outcome: Annotated[str | None, Field(max_length=128)] = None
    grader_model: Annotated[str | None, Field(max_length=128)] = None


class GradeReportData(_Tolerant):
    outcome_label: Annotated[str | None, Field(max_length=128)] = None


class CallGraded(_Tolerant):
    """`data` of call.graded; a call may be graded twice (fast, then full)."""

    call_id: Annotated[int, Field(ge=0)]
    grade: GradeData
    report: GradeReportData | None = None
    # Not documented; used to order two grades when present. UNCONFIRMED.
    graded_at: datetime | None = None


class ApiCall(_CallSummary):
    """One call object of GET /v1/calls (current docs)."""

    grade_score: float | None = None
    grade_status: Annotated[str | None, Field(max_length=32)] = None
    grade_updated_at: datetime | None = None


FINISHED_STATUSES = frozenset({"completed", "failed"})


@dataclass(frozen=True)
class Completion:
    """A call's completion facts, from an event or from the calls API."""

    call_id: int
    source: Source
    event_type: str  # the event name, or "sync"
    direction: str | None = None
    status: str | None = None
    end_reason: str | None = None
    duration_seconds: float | None = None
    billable_minutes: float | None = None
    billing_total_cents: float | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    product: str | None = None
    voice: str | None = None
    recording_url: str | None = None
    transcripts: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Grade:
    call_id: int
    source: Source
    rank: int
    score_raw: float | None
    call_outcome: str | None = None
    outcome_label: str | None = None
    grader_model: str | None = None
    graded_at: datetime | None = None

    @property
    def score(self) -> float | None:
        return normalise_score(self.score_raw)


_SUMMARY_FIELDS = tuple(name for name in _CallSummary.model_fields if name in Completion.__dataclass_fields__)


def normalise_score(raw: float | None) -> float | None:
    """Scores on a 0-100 scale. The docs disagree (n8n: 0-100; call object: 0.92), so a value in
    [0, 1] is read as a fraction (a 0-100 grade of exactly 0 or 1 is read the same). UNCONFIRMED."""
    if raw is None:
        return None
    return round(raw * 100 if 0 <= raw <= 1 else raw, 2)


def _completion(summary: _CallSummary, *, source: Source, event_type: str, **extra: Any) -> Completion:
    """The completion facts both sources share (everything of `_CallSummary` that a Completion keeps)."""
    shared = {name: getattr(summary, name) for name in _SUMMARY_FIELDS}
    return Completion(source=source, event_type=event_type, **shared, **extra)


def completion_from_event(event_type: str, data: Mapping[str, Any]) -> Completion:
    try:
        event = CallCompleted.model_validate(data)
    except ValidationError as exc:
        raise InvalidCallEvent(f"{event_type}: {_problems(exc)}") from None
    return _completion(
        event, source="event", event_type=event_type, recording_url=event.recording_url, transcripts=event.transcripts
    )


def grade_from_event(event_type: str, data: Mapping[str, Any]) -> Grade:
    try:
        event = CallGraded.model_validate(data)
    except ValidationError as exc:
        raise InvalidCallEvent(f"{event_type}: {_problems(exc)}") from None
    return Grade(
        call_id=event.call_id,
        source="event",
        rank=GRADE_RANK_FULL if event.report is not None else GRADE_RANK_FAST,
        score_raw=event.grade.score,
        call_outcome=event.grade.call_outcome,
        outcome_label=event.report.outcome_label if event.report else None,
        grader_model=event.grade.grader_model,
        graded_at=event.graded_at,
    )


def completion_from_api(call: ApiCall) -> Completion | None:
    """None while the call is still running (nothing final to store yet)."""
    if call.status not in FINISHED_STATUSES:
        return None
    return _completion(call, source="sync", event_type="sync")


def grade_from_api(call: ApiCall) -> Grade | None:
    if call.grade_score is None:
        return None
    return Grade(call_id=call.call_id, source="sync", rank=GRADE_RANK_SYNC, score_raw=call.grade_score, graded_at=None)


# ---- item shape -------------------------------------------------------------------------------


def iso(at: datetime) -> str:
    """UTC, milliseconds, 'Z': sorts as text, which the time index relies on."""
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def time_index_sk(at: datetime, call_id: int) -> str:
    return f"{iso(at)}#{call_id}"


def channel_of(direction: str | None) -> str | None:
    if direction in ("widget", "mic"):
        return "web"
    if direction in ("inbound", "outbound"):
        return "phone"
    return None


def _number(value: float | Decimal) -> Decimal:
    # DynamoDB numbers are Decimals; str() keeps 0.1 as 0.1 rather than its binary expansion.
    return Decimal(str(value))


def _value(value: Any) -> dict[str, Any]:
    """The attribute-value form of a plain value (low-level client); None is never passed."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(_number(value))}
    if isinstance(value, bytes):
        return {"B": value}
    return {"S": str(value)}


def _digest(values: Mapping[str, Any]) -> str:
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _key(tenant_id: str, call_id: int) -> dict[str, Any]:
    return {table.PARTITION_KEY: {"S": table.tenant_pk(tenant_id)}, table.SORT_KEY: {"S": table.call_sk(call_id)}}


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
        self.values[placeholder] = _value(value)
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


@dataclass(frozen=True)
class DecisionRecord:
    """What the decision log keeps about one answer: no phone number of the caller, no prompt."""

    tenant_id: str
    call_id: int
    event_type: str
    channel: str
    widget_id: str | None
    to_number: str | None
    decision: str  # config / fallback
    reason: str
    rule_id: str | None
    variant: str | None
    profile_id: str | None
    profile_version: int | None
    customer_known: bool
    latency_ms: float
    decided_at: datetime


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
    update.set("customer_known", record.customer_known)
    update.set("latency_ms", round(record.latency_ms, 1))
    return update.request(
        table_name,
        _key(record.tenant_id, record.call_id),
        "attribute_not_exists(#decided)",
        names={"#decided": "decided_at"},
    )


def completion_key(completion: Completion) -> str:
    facts = {
        "status": completion.status,
        "end_reason": completion.end_reason,
        "duration_seconds": completion.duration_seconds,
        "billable_minutes": completion.billable_minutes,
        "billing_total_cents": completion.billing_total_cents,
        "end_time": iso(completion.end_time) if completion.end_time else None,
    }
    return f"{COMPLETION_RANK[completion.source]}#{_digest(facts)}"


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
    started = completion.start_time or now
    update = _Update()
    _identity(update, tenant_id, completion.call_id)
    update.set(table.CALL_TIME_INDEX_SORT_KEY, time_index_sk(started, completion.call_id), if_absent=True)
    update.set(table.TTL_ATTRIBUTE, _expires(started, ttl_days), if_absent=True)
    update.set("channel", channel_of(completion.direction), if_absent=True)
    update.set("completion_key", completion_key(completion))
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
    return update.request(
        table_name,
        _key(tenant_id, completion.call_id),
        "attribute_not_exists(#ck) OR #ck < :ck",
        names={"#ck": "completion_key"},
        values={":ck": {"S": completion_key(completion)}},
    )


def grade_key(grade: Grade) -> str:
    facts = {
        "score": grade.score_raw,
        "call_outcome": grade.call_outcome,
        "outcome_label": grade.outcome_label,
        "grader_model": grade.grader_model,
    }
    graded = iso(grade.graded_at) if grade.graded_at else ""
    return f"{grade.rank}#{graded}#{_digest(facts)}"


def grade_update(table_name: str, tenant_id: str, grade: Grade, *, ttl_days: int, now: datetime) -> dict[str, Any]:
    update = _Update()
    _identity(update, tenant_id, grade.call_id)
    update.set(table.CALL_TIME_INDEX_SORT_KEY, time_index_sk(now, grade.call_id), if_absent=True)
    update.set(table.TTL_ATTRIBUTE, _expires(now, ttl_days), if_absent=True)
    update.set("grade_key", grade_key(grade))
    update.set("grade_source", grade.source)
    update.set("grade_score", grade.score)
    update.set("grade_score_raw", grade.score_raw)
    update.set("grade_outcome", grade.call_outcome)
    update.set("grade_outcome_label", grade.outcome_label)
    update.set("grader_model", grade.grader_model)
    return update.request(
        table_name,
        _key(tenant_id, grade.call_id),
        "attribute_not_exists(#gk) OR #gk < :gk",
        names={"#gk": "grade_key"},
        values={":gk": {"S": grade_key(grade)}},
    )


# ---- reading items back (reports, backfill) --------------------------------------------------


class CallRecord(BaseModel):
    """A call item as reports read it; every group may be missing."""

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
    customer_known: bool | None = None
    latency_ms: float | None = None
    completion_key: str | None = None
    direction: str | None = None
    status: str | None = None
    end_reason: str | None = None
    duration_seconds: float | None = None
    billable_minutes: float | None = None
    billing_total_cents: float | None = None
    started_at: datetime | None = None
    grade_key: str | None = None
    grade_score: float | None = None
    grade_outcome: str | None = None

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
        if plain.get("profile_version") is not None:
            plain["profile_version"] = int(plain["profile_version"])
        return cls.model_validate(plain)
