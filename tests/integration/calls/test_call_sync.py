"""The backfill end to end: the real ThunderPhone client against the fake API, moto tables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.call_sync import handler, service
from functions.call_sync.adapters import DynamoOutcomeStore
from functions.call_sync.models import SyncReport, SyncRequest
from functions.calls.repository import CallRepository, NoUsage
from functions.thunderphone.client import ThunderPhoneApi
from functions.thunderphone.resources import ThunderPhoneCalls
from functions.webhook.models import CallFacts, Decision
from tests.fixtures.admin import API_KEY
from tests.fixtures.apigw import LambdaContext
from tests.fixtures.aws import CALLS_TABLE_NAME, TABLE_NAME, get_call
from tests.fixtures.decisions import record_decision
from tests.fixtures.outcomes import record_outcome
from tests.integration.calls.conftest import NOW

START = datetime(2026, 5, 9, tzinfo=UTC)
END = datetime(2026, 5, 10, tzinfo=UTC)
SCHEDULE = service.Schedule(
    directions=("all",), lookback=timedelta(hours=48), settle=timedelta(hours=1), overlap=timedelta(minutes=5)
)


class RecordingApi:
    """The real client, with the query of every calls-list request noted."""

    def __init__(self, api: ThunderPhoneApi) -> None:
        self.api = api
        self.offsets: list[int] = []

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        self.offsets.append(int((params or {}).get("offset", -1)))
        return self.api.get(path, params)


def seed(fake: Any, log: CallRepository, *, calls: int = 25, decided: int = 20) -> list[int]:
    """`calls` finished widget calls in the window; Switchboard answered the first `decided`."""
    ids = []
    for i in range(calls):
        call_id = 5000 + i
        started = START + timedelta(minutes=30 * i)
        fake.add_call(
            call_id=call_id,
            direction="widget",
            from_number="web",
            start_time=started.isoformat().replace("+00:00", "Z"),
            duration_seconds=60 + i,
            billable_minutes=2,
            billing_total_cents=18,
            grade_score=0.9,
        )
        if i < decided:
            facts = CallFacts(call_id, "web.incoming", "web", "web", None, "home", started)
            record_decision(log, facts, Decision("acme", "config", "rule", rule_id="r", variant="A"), latency_ms=5)
        ids.append(call_id)
    return ids


@pytest.fixture
def parts(aws: dict[str, Any], fake_thunderphone: Any) -> dict[str, Any]:
    client = aws["dynamodb"]
    api = RecordingApi(ThunderPhoneApi(fake_thunderphone.base_url, lambda: API_KEY, timeout_s=2, max_retries=0))
    return {
        "fake": fake_thunderphone,
        "api": api,
        "log": CallRepository(client, CALLS_TABLE_NAME, ttl_days=90, clock=lambda: NOW),
        "store": DynamoOutcomeStore(client, CALLS_TABLE_NAME, usage=NoUsage(), ttl_days=90, clock=lambda: NOW),
        "client": client,
    }


def run(parts: dict[str, Any], request: SyncRequest, *, pages_allowed: int = 1000) -> SyncReport:
    budget = iter(range(pages_allowed, -1, -1))
    return service.sync(
        request,
        source=ThunderPhoneCalls(parts["api"]),
        store=parts["store"],
        schedule=SCHEDULE,
        page_limit=10,
        clock=lambda: NOW,
        time_left_s=lambda: float(next(budget, 0)),
    )


def test_sync_fills_outcomes_only_for_calls_we_answered(parts: dict[str, Any]) -> None:
    ids = seed(parts["fake"], parts["log"])

    report = run(parts, SyncRequest(start=START, end=END))

    (window,) = report.windows
    assert window.finished and (window.pages, window.seen, window.matched, window.unmatched) == (3, 25, 20, 5)
    assert (window.completions_filled, window.grades_filled) == (20, 20)
    item = get_call(parts["client"], "acme", ids[0])
    assert item is not None
    assert (item["status"], item["billable_minutes"], item["grade_score"], item["variant"]) == ("completed", 2, 90, "A")
    assert get_call(parts["client"], "acme", ids[24]) is None  # not ours: nothing invented


def test_sync_resumes_after_an_interruption_without_duplicates(parts: dict[str, Any]) -> None:
    seed(parts["fake"], parts["log"])
    request = SyncRequest(start=START, end=END)

    first = run(parts, request, pages_allowed=1)  # the Lambda runs out of time after one page
    parts["fake"].fail_next(503)
    second = run(parts, request)  # ThunderPhone is down: nothing lost, cursor kept
    third = run(parts, request)

    assert [w.finished for w in (*first.windows, *second.windows, *third.windows)] == [False, False, True]
    assert second.errors and "unavailable" in second.errors[0]
    assert parts["api"].offsets == [0, 10, 10, 20]  # page 0 was never fetched twice
    filled = sum(w.completions_filled for r in (first, second, third) for w in r.windows)
    seen = sum(w.seen for r in (first, second, third) for w in r.windows)
    assert (filled, seen) == (20, 25)


def test_sync_rerun_after_finishing_changes_nothing(parts: dict[str, Any]) -> None:
    ids = seed(parts["fake"], parts["log"])
    request = SyncRequest(start=START, end=END)
    run(parts, request)
    before = [get_call(parts["client"], "acme", call_id) for call_id in ids]

    again = run(parts, request)

    assert again.windows[0].finished and again.windows[0].completions_filled == 0
    assert [get_call(parts["client"], "acme", call_id) for call_id in ids] == before


def test_events_after_the_backfill_win_and_a_later_backfill_keeps_them(parts: dict[str, Any]) -> None:
    ids = seed(parts["fake"], parts["log"], calls=3, decided=3)
    run(parts, SyncRequest(start=START, end=END))
    event = {
        "call_id": ids[0],
        "direction": "widget",
        "status": "completed",
        "end_reason": "agent_end",
        "duration_seconds": 61,
        "billable_minutes": 2,
        "billing_total_cents": 20,
    }

    assert record_outcome(parts["log"], "acme", "web.complete", event, keep_transcripts=False) is True
    run(parts, SyncRequest(start=START, end=END, restart=True))

    item = get_call(parts["client"], "acme", ids[0])
    assert item is not None
    assert (item["billing_total_cents"], item["end_reason"], item["completion_source"]) == (20, "agent_end", "event")


def test_handler_scheduled_run_uses_the_secret_and_saves_its_cursor(
    parts: dict[str, Any], aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    parts["fake"].add_call(call_id=77, direction="widget", start_time=(now - timedelta(hours=3)).isoformat())
    facts = CallFacts(77, "web.incoming", "web", "web", None, None, now - timedelta(hours=3))
    record_decision(parts["log"], facts, Decision("acme", "fallback", "no_profile"), latency_ms=4)
    aws["secretsmanager"].create_secret(Name="switchboard/thunderphone", SecretString=json.dumps({"api_key": API_KEY}))
    for name, value in {
        "TABLE_NAME": TABLE_NAME,
        "CALLS_TABLE_NAME": CALLS_TABLE_NAME,
        "THUNDERPHONE_API_KEY_SECRET_NAME": "switchboard/thunderphone",
        "THUNDERPHONE_API_BASE": parts["fake"].base_url,
        "SYNC_SAFETY_MARGIN_MS": "1000",
        "THUNDERPHONE_MAX_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, value)

    result = handler.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())
    again = handler.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())

    assert result["finished"] and result["windows"][0]["completions_filled"] == 1
    assert again["windows"] == []  # nothing has settled since the window just synced
    from functions.call_sync.dependencies import deps

    cursor = deps.store.load_cursor("scheduled#all")
    assert cursor is not None and cursor.done
    assert API_KEY not in json.dumps(result)


def test_handler_reports_a_bad_request_without_running(parts: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TABLE_NAME": TABLE_NAME,
        "CALLS_TABLE_NAME": CALLS_TABLE_NAME,
        "THUNDERPHONE_API_KEY_SECRET_NAME": "unused",
    }.items():
        monkeypatch.setenv(name, value)

    result = handler.lambda_handler({"start": "2026-05-01T00:00:00Z"}, LambdaContext())

    assert not result["finished"] and "both start and end" in result["errors"][0]
    assert parts["api"].offsets == []
