"""Outcome event models and the precedence keys that make any delivery order converge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.calls.records import (
    InvalidCallEvent,
    completion_from_api,
    completion_from_event,
    completion_key,
    grade_from_api,
    grade_from_event,
    grade_key,
    normalise_score,
)
from functions.calls.repository import completion_update, time_index_sk
from functions.thunderphone.objects import ApiCall

COMPLETE = {
    "call_id": 42,
    "direction": "widget",
    "from_number": "web",
    "to_number": "+15551234567",
    "start_time": "2026-05-01T10:00:00Z",
    "end_time": "2026-05-01T10:03:00Z",
    "duration_seconds": 180,
    "status": "completed",
    "end_reason": "caller_hangup",
    "billable_minutes": 3,
    "billing_total_cents": 27,
    "recording_url": "https://storage.googleapis.com/x/rec.wav?sig=abc",
    "transcripts": [{"role": "user", "content_type": "text/plain", "content": "hello", "start_ms": 0, "end_ms": 900}],
    "latency_metrics": {"p50_ms": 700},  # undocumented field: must be ignored, not rejected
}


def test_completion_from_event_ignores_unknown_fields() -> None:
    completion = completion_from_event("web.complete", COMPLETE)

    assert completion.call_id == 42
    assert completion.billing_total_cents == 27
    assert completion.source == "event"


def test_completion_from_event_names_the_bad_field_not_its_value() -> None:
    with pytest.raises(InvalidCallEvent) as caught:
        completion_from_event("call.complete", {**COMPLETE, "duration_seconds": "sixty-secret"})

    assert "duration_seconds" in str(caught.value)
    assert "sixty-secret" not in str(caught.value)


def test_completion_from_event_requires_call_id() -> None:
    with pytest.raises(InvalidCallEvent, match="call_id"):
        completion_from_event("call.complete", {"status": "completed"})


def test_grade_from_event_ranks_a_report_above_a_fast_grade() -> None:
    fast = grade_from_event("call.graded", {"call_id": 1, "grade": {"score": 60, "grader_model": "fast-1"}})
    full = grade_from_event(
        "call.graded",
        {"call_id": 1, "grade": {"score": 80, "grader_model": "full-1"}, "report": {"outcome_label": "booked"}},
    )

    assert grade_key(fast) < grade_key(full)


def test_completion_key_ranks_event_above_backfill_and_is_equal_for_duplicates() -> None:
    event = completion_from_event("call.complete", COMPLETE)
    again = completion_from_event("telephony.complete", COMPLETE)
    synced = completion_from_api(ApiCall.model_validate(COMPLETE))

    assert synced is not None
    assert completion_key(synced) < completion_key(event)
    assert completion_key(event) == completion_key(again)


@pytest.mark.parametrize(("raw", "expected"), [(0.92, 92.0), (87, 87.0), (87.5, 87.5), (None, None), (0, 0)])
def test_normalise_score_puts_both_documented_scales_on_0_100(raw: float | None, expected: float | None) -> None:
    assert normalise_score(raw) == expected


def test_completion_from_api_skips_calls_still_running() -> None:
    assert completion_from_api(ApiCall(call_id=5, status="in_progress")) is None
    assert grade_from_api(ApiCall(call_id=5, status="in_progress")) is None


def test_completion_update_leaves_transcripts_and_recording_out_by_default() -> None:
    completion = completion_from_event("web.complete", COMPLETE)
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)

    plain = completion_update("calls", "acme", completion, ttl_days=90, now=now, keep_transcripts=False)
    kept = completion_update("calls", "acme", completion, ttl_days=90, now=now, keep_transcripts=True)

    assert "transcript_gz" not in plain["ExpressionAttributeNames"].values()
    assert "recording_url" not in plain["ExpressionAttributeNames"].values()
    assert "hello" not in str(plain) and "sig=abc" not in str(plain)
    assert {"transcript_gz", "recording_url"} <= set(kept["ExpressionAttributeNames"].values())


def test_time_index_sk_sorts_as_time() -> None:
    early = time_index_sk(datetime(2026, 5, 1, 9, 59, 59, 999000, tzinfo=UTC), 999)
    late = time_index_sk(datetime(2026, 5, 1, 10, 0, tzinfo=UTC), 1)

    assert early < late
    assert late == "2026-05-01T10:00:00.000Z#1"
