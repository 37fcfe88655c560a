"""ThunderPhone's webhook events: their names and the payloads Switchboard reads (thunderphone-api.md 1.3, 1.7).

Every delivery is `{"type": ..., "data": {...}}`. Payload models ignore unknown keys (ThunderPhone may add
fields) and, for outcome events, make every field but `call_id` optional because the docs disagree
between versions. `call_id` is what ThunderPhone can send: a JSON integer in 1..2^63-1 (`CallId`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from functions.common.types import CallId

# Blocking events: ThunderPhone waits up to 2 s for an agent configuration.
INCOMING_EVENTS = frozenset({"call.incoming", "telephony.incoming", "web.incoming"})
COMPLETION_EVENTS = frozenset({"call.complete", "telephony.complete", "web.complete"})
GRADED_EVENTS = frozenset({"call.graded"})
OUTCOME_EVENTS = COMPLETION_EVENTS | GRADED_EVENTS
# The literal `from_number` of widget and mic sessions.
WEB_CALLER = "web"

# Event types an org-level webhook endpoint may subscribe to (shared/thunderphone-api.md section 1.1).
WebhookEventType = Literal[
    "telephony.incoming",
    "telephony.complete",
    "telephony.tool",
    "web.incoming",
    "web.complete",
    "web.tool",
    "call.graded",
    "issue.reported",
    "test-call.completed",
]
WEBHOOK_EVENT_TYPES: frozenset[str] = frozenset(get_args(WebhookEventType))

Count = Annotated[float, Field(ge=0)]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WebhookEnvelope(_Tolerant):
    """Every delivery is `{"type": ..., "data": {...}}`."""

    type: Annotated[str, Field(min_length=1, max_length=64)]
    data: dict[str, Any]


class IncomingCall(_Tolerant):
    """`data` of call.incoming / telephony.incoming / web.incoming."""

    call_id: CallId
    from_number: Annotated[str, Field(min_length=1, max_length=64)]
    to_number: Annotated[str | None, Field(max_length=64)] = None


class CallSummary(_Tolerant):
    """What a completion event and a GET /v1/calls object both say about a finished call."""

    call_id: CallId
    direction: Annotated[str | None, Field(max_length=32)] = None
    from_number: Annotated[str | None, Field(max_length=64)] = None  # "web" for widget and mic sessions
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


class CallCompleted(CallSummary):
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

    call_id: CallId
    grade: GradeData
    report: GradeReportData | None = None
    # Not documented; used to order two grades when present. UNCONFIRMED.
    graded_at: datetime | None = None
