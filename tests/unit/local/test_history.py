"""The demo's week of calls, as planned: deterministic, spread over the report's week, and telling the demo's
stories (business hours and after, phone and web, the VIP, the CRM outage)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from random import Random

import pytest

from local.history import DAYS, SEED, ZONE, Answered, DemoCall, plan_week
from tests.fixtures import tenants as demo

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # a Saturday evening in New York


@pytest.fixture
def week() -> list[DemoCall]:
    return plan_week(NOW, Random(SEED))


def test_the_same_week_every_time(week: list[DemoCall]) -> None:
    assert plan_week(NOW, Random(SEED)) == week
    assert plan_week(NOW, Random(SEED + 1)) != week


def test_the_week_fills_the_console_s_seven_day_report_and_nothing_after_now(week: list[DemoCall]) -> None:
    first_day = NOW.date() - timedelta(days=DAYS - 1)
    assert all(first_day <= call.start.date() and call.start < NOW for call in week)
    assert len({call.start.date() for call in week}) >= DAYS - 1  # today (UTC) may have only begun
    assert [call.start for call in week] == sorted(call.start for call in week)
    assert len({call.call_id for call in week}) == len(week)


def test_phone_and_web_in_and_out_of_business_hours(week: list[DemoCall]) -> None:
    kinds = Counter(call.kind for call in week)
    assert kinds["open"] >= 20 and kinds["closed"] >= 5 and kinds["web"] >= 10 and kinds["pricing"] >= 5
    routes = Counter(call.route for call in week)
    assert set(routes) == {"key", "pricing", "org"}
    closed = [call.start.astimezone(ZONE) for call in week if call.kind == "closed"]
    assert all(at.weekday() == 6 or not 9 <= at.hour < 17 for at in closed)


def test_the_vip_and_a_known_customer_call(week: list[DemoCall]) -> None:
    callers = Counter(call.caller for call in week)
    assert callers[demo.VIP_CALLER] == 3 and callers["+14155550123"] == 2


def test_one_late_morning_the_crm_credential_was_missing(week: list[DemoCall]) -> None:
    outage = [call for call in week if call.outage]
    assert len(outage) == 4 and len({call.start.date() for call in outage}) == 1
    local = [call.start.astimezone(ZONE) for call in outage]
    assert all(at.weekday() < 5 and 11 <= at.hour <= 12 for at in local)
    assert all(call.route in ("key", "org") for call in outage)  # the booking profiles, not the pricing page


def test_variant_b_keeps_more_callers_and_is_graded_higher(week: list[DemoCall]) -> None:
    def outcomes(variant: str) -> tuple[float, float]:
        answered = [Answered(call, "config", "greeting-test", variant, "spark", "v") for call in week]
        graded = [a.score for a in answered if a.score is not None]
        return sum(not a.failed for a in answered) / len(answered), sum(graded) / len(graded)

    (completed_a, grade_a), (completed_b, grade_b) = outcomes("A"), outcomes("B")
    assert completed_b > completed_a and grade_b > grade_a
