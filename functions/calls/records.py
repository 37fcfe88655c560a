"""Call records: the decision, completion and grade facts of a call, and the precedence that merges them.

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

This module is pure: the facts and their precedence keys. `repository.py` writes them; `read_model.py` reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from functions.common.clock import iso
from functions.common.types import is_e164
from functions.common.validation import problems_of
from functions.thunderphone.events import CallCompleted, CallGraded, CallSummary
from functions.thunderphone.objects import ApiCall

Source = Literal["event", "sync"]
COMPLETION_RANK: dict[Source, int] = {"sync": 1, "event": 2}
GRADE_RANK_SYNC, GRADE_RANK_FAST, GRADE_RANK_FULL = 1, 2, 3
# DynamoDB items stop at 400 KB; a compressed transcript above this is not kept (flagged instead).
MAX_TRANSCRIPT_BYTES = 200_000


class InvalidCallEvent(ValueError):
    """An outcome event whose `data` does not validate; lists field names, never values."""


class UnstorableCallEvent(ValueError):
    """An outcome whose facts validate but that DynamoDB can never store (a number it has no form for);
    lists field names, never values. Retrying cannot help: the event is kept aside instead."""


# DynamoDB numbers: up to 38 significant digits, magnitude from 1E-130 to 9.99...E+125 (or zero); no NaN
# or Infinity. boto3 refuses more digits than it can keep exactly, so digits are counted as written.
NUMBER_MAX_DIGITS = 38
NUMBER_MAX_EXPONENT = 125  # adjusted exponent: 9.99E+125 is the largest magnitude
NUMBER_MIN_EXPONENT = -130  # 1E-130 is the smallest non-zero magnitude


EventT = TypeVar("EventT", bound=BaseModel)


def _parse(model: type[EventT], event_type: str, data: Mapping[str, Any]) -> EventT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidCallEvent(f"{event_type}: {'; '.join(problems_of(exc, root='data'))}") from None


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
    caller: str | None = None  # the caller's E.164 number on phone calls (see calls/decisions.py)


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


_SUMMARY_FIELDS = tuple(name for name in CallSummary.model_fields if name in Completion.__dataclass_fields__)


def normalise_score(raw: float | None) -> float | None:
    """Scores on a 0-100 scale. The docs disagree (n8n: 0-100; call object: 0.92), so a value in
    [0, 1] is read as a fraction (a 0-100 grade of exactly 0 or 1 is read the same). UNCONFIRMED."""
    if raw is None:
        return None
    return round(raw * 100 if 0 <= raw <= 1 else raw, 2)


def _completion(summary: CallSummary, *, source: Source, event_type: str, **extra: Any) -> Completion:
    """The completion facts both sources share (everything of `_CallSummary` that a Completion keeps)."""
    shared = {name: getattr(summary, name) for name in _SUMMARY_FIELDS}
    caller = summary.from_number if summary.from_number and is_e164(summary.from_number) else None
    return Completion(source=source, event_type=event_type, caller=caller, **shared, **extra)


def completion_from_event(event_type: str, data: Mapping[str, Any]) -> Completion:
    event = _parse(CallCompleted, event_type, data)
    return _completion(
        event, source="event", event_type=event_type, recording_url=event.recording_url, transcripts=event.transcripts
    )


def grade_from_event(event_type: str, data: Mapping[str, Any]) -> Grade:
    event = _parse(CallGraded, event_type, data)
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


def is_storable_number(value: float | int) -> bool:
    """Whether DynamoDB can store `value` as a number (written the way `common.dynamo` converts it)."""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return False
    if not number.is_finite():
        return False
    if number.is_zero():
        return True
    return (
        len(number.as_tuple().digits) <= NUMBER_MAX_DIGITS
        and NUMBER_MIN_EXPONENT <= number.adjusted() <= NUMBER_MAX_EXPONENT
    )


def unstorable_fields(outcome: Completion | Grade) -> list[str]:
    """The fields of an outcome that DynamoDB cannot store (names only); empty when it can be written."""
    # The call id needs no check: a CallId stops at 2**63 - 1, well inside DynamoDB's 38 digits.
    numbers: dict[str, float | int | None]
    if isinstance(outcome, Completion):
        numbers = {
            "duration_seconds": outcome.duration_seconds,
            "billable_minutes": outcome.billable_minutes,
            "billing_total_cents": outcome.billing_total_cents,
        }
    else:
        numbers = {"grade.score": outcome.score_raw}
    return [name for name, value in numbers.items() if value is not None and not is_storable_number(value)]


def check_storable(outcome: Completion | Grade) -> None:
    """Raises UnstorableCallEvent, naming the fields, for an outcome DynamoDB would refuse."""
    fields = unstorable_fields(outcome)
    if fields:
        raise UnstorableCallEvent(f"not storable in DynamoDB: {', '.join(fields)}")


def completion_from_api(call: ApiCall) -> Completion | None:
    """None while the call is still running (nothing final to store yet)."""
    if not call.finished:
        return None
    return _completion(call, source="sync", event_type="sync")


def grade_from_api(call: ApiCall) -> Grade | None:
    if call.grade_score is None:
        return None
    return Grade(call_id=call.call_id, source="sync", rank=GRADE_RANK_SYNC, score_raw=call.grade_score, graded_at=None)


def channel_of(direction: str | None) -> str | None:
    if direction in ("widget", "mic"):
        return "web"
    if direction in ("inbound", "outbound"):
        return "phone"
    return None


def _digest(values: Mapping[str, Any]) -> str:
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


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


def grade_key(grade: Grade) -> str:
    facts = {
        "score": grade.score_raw,
        "call_outcome": grade.call_outcome,
        "outcome_label": grade.outcome_label,
        "grader_model": grade.grader_model,
    }
    graded = iso(grade.graded_at) if grade.graded_at else ""
    return f"{grade.rank}#{graded}#{_digest(facts)}"


def precedence_key(outcome: Completion | Grade) -> str:
    """The key a stored outcome must be outranked by to be replaced (completion_key or grade_key)."""
    return completion_key(outcome) if isinstance(outcome, Completion) else grade_key(outcome)
