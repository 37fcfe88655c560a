"""The backfill's pure parts: the calls-list envelope, window planning, request validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from functions.call_sync.models import CallSyncSettings, Cursor, SyncRequest
from functions.call_sync.service import Schedule, next_scheduled_cursor
from functions.thunderphone.client import ThunderPhoneBadResponse
from functions.thunderphone.resources import parse_page

NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)
SCHEDULE = Schedule(
    directions=("all",), lookback=timedelta(hours=48), settle=timedelta(hours=1), overlap=timedelta(minutes=5)
)
CALL = {"call_id": 7, "status": "completed", "unknown_field": 1}


@pytest.mark.parametrize("key", ["results", "data", "calls", "items"])
def test_parse_page_accepts_each_candidate_envelope_key(key: str) -> None:
    page = parse_page({key: [CALL], "total": 31})

    assert [call.call_id for call in page.calls] == [7]
    assert (page.total, page.size) == (31, 1)


def test_parse_page_accepts_a_bare_list_without_total() -> None:
    page = parse_page([CALL, CALL])

    assert (page.total, page.size) == (None, 2)


def test_parse_page_skips_and_counts_invalid_entries_but_advances_past_them() -> None:
    page = parse_page({"results": [CALL, {"call_id": "not-a-number"}, "junk"], "count": 3})

    assert (len(page.calls), page.invalid, page.size, page.total) == (1, 2, 3, 3)


def test_parse_page_rejects_an_unknown_envelope_naming_its_keys() -> None:
    with pytest.raises(ThunderPhoneBadResponse, match="next"):
        parse_page({"next": None, "entries": []})


def test_first_scheduled_window_looks_back_from_the_settled_end() -> None:
    cursor = next_scheduled_cursor(None, "all", NOW, SCHEDULE)

    assert cursor is not None
    assert (cursor.window_start, cursor.window_end, cursor.offset) == (
        NOW - timedelta(hours=49),
        NOW - timedelta(hours=1),
        0,
    )


def test_next_scheduled_window_continues_where_the_last_ended_with_overlap() -> None:
    done = Cursor("scheduled#all", "all", NOW - timedelta(hours=5), NOW - timedelta(hours=3), offset=40, done=True)

    cursor = next_scheduled_cursor(done, "all", NOW, SCHEDULE)

    assert cursor is not None
    assert (cursor.window_start, cursor.window_end, cursor.offset, cursor.done) == (
        NOW - timedelta(hours=3, minutes=5),
        NOW - timedelta(hours=1),
        0,
        False,
    )


def test_unfinished_scheduled_window_is_resumed_as_is() -> None:
    running = Cursor("scheduled#all", "all", NOW - timedelta(hours=5), NOW - timedelta(hours=3), offset=40)

    assert next_scheduled_cursor(running, "all", NOW, SCHEDULE) == running


def test_no_scheduled_window_when_nothing_settled_since_the_last() -> None:
    done = Cursor("scheduled#all", "all", NOW - timedelta(hours=3), NOW - timedelta(minutes=59), done=True)

    assert next_scheduled_cursor(done, "all", NOW, SCHEDULE) is None


def test_sync_request_accepts_the_eventbridge_scheduled_event() -> None:
    event = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}

    request = SyncRequest.model_validate(event)

    assert (request.start, request.end, request.directions) == (None, None, None)


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"start": "2026-05-01T00:00:00Z"}, "both start and end"),
        ({"start": "2026-05-02T00:00:00Z", "end": "2026-05-01T00:00:00Z"}, "after start"),
        ({"start": "2026-05-01T00:00:00", "end": "2026-05-02T00:00:00"}, "timezone"),
        ({"directions": "widget,phone"}, "directions"),
    ],
)
def test_sync_request_rejects_bad_windows_clearly(event: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        SyncRequest.model_validate(event)


def test_settings_parse_directions() -> None:
    settings = CallSyncSettings.model_validate(
        {
            "TABLE_NAME": "c",
            "CALLS_TABLE_NAME": "k",
            "THUNDERPHONE_API_KEY_SECRET_NAME": "s",
            "SYNC_DIRECTIONS": "widget, inbound",
        }
    )

    assert settings.directions == ("widget", "inbound")
    with pytest.raises(ValidationError):
        CallSyncSettings.model_validate({**settings.model_dump(), "SYNC_DIRECTIONS": "sideways"})
