"""Counting usage into a tenant's billing month (functions/billing/meter.py) and the statement built from the
stored calls: duplicates, retries, the backfill and late arrivals never count twice, a month is the billing time
zone's, and the operator hears once per tenant, month and threshold."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.billing.alerts import UsageAlert
from functions.billing.meter import UsageMeter
from functions.billing.plan import Plan
from functions.billing.statements import statement
from functions.billing.store import BillingStore
from functions.calls.read_model import CallsReader
from functions.calls.records import Completion
from functions.calls.repository import CallRepository
from functions.common.errors import StoreUnavailable
from tests.fixtures.aws import CALLS_TABLE_NAME, TABLE_NAME, emulated_aws

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


class Alerts:
    def __init__(self) -> None:
        self.sent: list[UsageAlert] = []
        self.down = False

    def send(self, alert: UsageAlert) -> None:
        if self.down:
            raise StoreUnavailable("publish usage alert failed: EndpointConnectionError")
        self.sent.append(alert)


@pytest.fixture
def tables() -> Iterator[dict[str, Any]]:
    with emulated_aws() as clients:
        yield clients


@pytest.fixture
def alerts() -> Alerts:
    return Alerts()


@pytest.fixture
def calls(tables: dict[str, Any], alerts: Alerts) -> CallRepository:
    meter = UsageMeter(
        tables["dynamodb"],
        config_table=TABLE_NAME,
        calls_table=CALLS_TABLE_NAME,
        zone=NEW_YORK,
        alerts=alerts,
        clock=lambda: NOW,
    )
    return CallRepository(tables["dynamodb"], CALLS_TABLE_NAME, clock=lambda: NOW, usage=meter)


def completion(
    call_id: int, minutes: float, cents: float, *, source: str = "event", start: datetime = NOW
) -> Completion:
    return Completion(
        call_id=call_id,
        source=source,  # type: ignore[arg-type]
        event_type="sync" if source == "sync" else "web.complete",
        direction="widget",
        status="completed",
        billable_minutes=minutes,
        billing_total_cents=cents,
        start_time=start,
        end_time=start + timedelta(minutes=minutes),
    )


def billing(tables: dict[str, Any]) -> BillingStore:
    return BillingStore(tables["dynamodb"], TABLE_NAME)


def month_statement(tables: dict[str, Any], tenant: str, month: str, now: datetime = NOW) -> Any:
    return statement(
        tenant,
        month,
        calls=CallsReader(tables["dynamodb"], CALLS_TABLE_NAME),
        billing=billing(tables),
        zone=NEW_YORK,
        final_days=3,
        now=now,
    )


def test_statement_and_counters_equal_the_stored_completions_whatever_arrives_twice_late_or_out_of_order(
    tables: dict[str, Any], calls: CallRepository
) -> None:
    # Given a duplicate delivery, the backfill then ThunderPhone's own event with other figures, an event then a
    # backfill that ranks lower, and a retry after the store failed once
    calls.record_completion("acme", completion(1, 2.5, 30), keep_transcripts=False)
    calls.record_completion("acme", completion(1, 2.5, 30), keep_transcripts=False)
    calls.record_completion("acme", completion(2, 1.0, 12, source="sync"), keep_transcripts=False)
    calls.record_completion("acme", completion(2, 1.5, 18), keep_transcripts=False)
    calls.record_completion("acme", completion(3, 4.0, 48), keep_transcripts=False)
    calls.record_completion("acme", completion(3, 9.0, 99, source="sync"), keep_transcripts=False)
    calls.record_completion("acme", completion(4, 0.5, 6), keep_transcripts=False)
    calls.record_completion("acme", completion(4, 0.5, 6), keep_transcripts=False)  # SQS delivered it again
    # and another tenant's call
    calls.record_completion("globex", completion(5, 7.0, 70), keep_transcripts=False)

    # Then the month's counters and its statement both equal what is stored for each call, once
    stored = tables["dynamodb"].scan(TableName=CALLS_TABLE_NAME)["Items"]
    acme_minutes = sum(float(i["billable_minutes"]["N"]) for i in stored if i["pk"]["S"] == "TENANT#acme")
    assert acme_minutes == 2.5 + 1.5 + 4.0 + 0.5
    used = billing(tables).read("acme").used("2026-12")
    assert (used.minutes, used.cents, used.calls) == (acme_minutes, 30 + 18 + 48 + 6, 4)
    acme = month_statement(tables, "acme", "2026-12")
    assert (acme.totals.sessions, acme.totals.billable_minutes, acme.totals.cost_cents) == (4, acme_minutes, 102)
    assert [line.call_id for line in acme.lines] == [1, 2, 3, 4]
    assert billing(tables).read("globex").used("2026-12").minutes == 7.0


def test_a_call_without_its_completion_is_listed_as_having_no_cost_yet(
    tables: dict[str, Any], calls: CallRepository
) -> None:
    from functions.calls.decisions import DecisionRecord

    calls.record_decision(
        DecisionRecord(
            tenant_id="acme",
            call_id=77,
            event_type="web.incoming",
            channel="web",
            widget_id="pricing",
            to_number=None,
            decision="config",
            reason="rule",
            rule_id="r",
            variant=None,
            profile_id="p",
            profile_version=1,
            customer_known=False,
            latency_ms=3.0,
            decided_at=NOW,
        )
    )
    calls.record_completion("acme", completion(78, 2.0, 20), keep_transcripts=False)
    acme = month_statement(tables, "acme", "2026-12")
    assert acme.totals.sessions == 2 and acme.totals.without_cost == 1
    assert {line.call_id: line.status for line in acme.lines} == {77: "no cost yet", 78: "costed"}
    assert acme.by_widget["pricing"].without_cost == 1


def test_a_month_is_the_billing_time_zones(tables: dict[str, Any], calls: CallRepository) -> None:
    # Given a call that started at 03:00 UTC on 1 December: 22:00 on 30 November in New York
    late_november = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    calls.record_completion("acme", completion(9, 3.0, 36, start=late_november), keep_transcripts=False)
    # and one an hour after midnight in New York
    calls.record_completion(
        "acme", completion(10, 1.0, 12, start=datetime(2026, 12, 1, 6, 0, tzinfo=UTC)), keep_transcripts=False
    )
    # Then the first is November's, in the counters and in the statements
    state = billing(tables).read("acme")
    assert state.used("2026-11").minutes == 3.0 and state.used("2026-12").minutes == 1.0
    assert [line.call_id for line in month_statement(tables, "acme", "2026-11").lines] == [9]
    assert [line.call_id for line in month_statement(tables, "acme", "2026-12").lines] == [10]


def test_a_completion_without_its_start_counts_in_the_month_the_call_was_answered(
    tables: dict[str, Any], calls: CallRepository
) -> None:
    from functions.calls.decisions import DecisionRecord

    # Given a call answered at 22:00 on 30 November in New York, counted on 10 December (retries, an assignment)
    answered = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    calls.record_decision(
        DecisionRecord(
            tenant_id="acme",
            call_id=13,
            event_type="web.incoming",
            channel="web",
            widget_id="pricing",
            to_number=None,
            decision="config",
            reason="rule",
            rule_id="r",
            variant=None,
            profile_id="p",
            profile_version=1,
            customer_known=False,
            latency_ms=3.0,
            decided_at=answered,
        )
    )
    late = replace(completion(13, 4.0, 48), start_time=None, end_time=None)
    calls.record_completion("acme", late, keep_transcripts=False)
    # Then it is November's, as its cap was checked, in the counters and in November's statement
    state = billing(tables).read("acme")
    assert state.used("2026-11").minutes == 4.0 and state.used("2026-12").minutes == 0
    assert [line.call_id for line in month_statement(tables, "acme", "2026-11").lines] == [13]


def test_a_closed_month_once_final_never_changes(tables: dict[str, Any], calls: CallRepository) -> None:
    calls.record_completion(
        "acme", completion(11, 2.0, 24, start=datetime(2026, 11, 20, tzinfo=UTC)), keep_transcripts=False
    )
    after = datetime(2026, 12, 4, 6, tzinfo=UTC)  # three days after November ended in New York
    first = month_statement(tables, "acme", "2026-11", now=after)
    assert first.final and first.totals.billable_minutes == 2.0
    # When a late completion for November arrives after that
    calls.record_completion(
        "acme", completion(12, 5.0, 60, start=datetime(2026, 11, 21, tzinfo=UTC)), keep_transcripts=False
    )
    # Then November's statement is the one kept, unchanged (the counter still moves: it is no statement)
    again = month_statement(tables, "acme", "2026-11", now=after + timedelta(days=30))
    assert again == first
    assert billing(tables).read("acme").used("2026-11").minutes == 7.0


def test_the_operator_hears_once_per_tenant_month_and_threshold(
    tables: dict[str, Any], calls: CallRepository, alerts: Alerts
) -> None:
    billing(tables).set_plan("acme", Plan(monthly_minutes=10), actor="ops", now=NOW)
    calls.record_completion("acme", completion(21, 5.0, 50), keep_transcripts=False)
    assert alerts.sent == []
    # When the month passes 80%, a delivery fails to reach the topic, and SQS delivers it again
    alerts.down = True
    with pytest.raises(StoreUnavailable):
        calls.record_completion("acme", completion(22, 3.5, 35), keep_transcripts=False)
    alerts.down = False
    calls.record_completion("acme", completion(22, 3.5, 35), keep_transcripts=False)
    calls.record_completion("acme", completion(23, 0.5, 5), keep_transcripts=False)
    # Then the 80% alert was sent once, with the month's usage
    assert [(a.tenant_id, a.month, a.kind, a.percent, a.used) for a in alerts.sent] == [
        ("acme", "2026-12", "minutes", 80, 8.5)
    ]
    # And reaching the cap is the second and last alert
    calls.record_completion("acme", completion(24, 2.0, 20), keep_transcripts=False)
    calls.record_completion("acme", completion(25, 2.0, 20), keep_transcripts=False)
    assert [(a.percent, a.used) for a in alerts.sent] == [(80, 8.5), (100, 11.0)]
    assert billing(tables).read("acme").reached("2026-12") == "minutes"
    assert billing(tables).read("globex").reached("2026-12") is None
