"""Billing months in the operator's time zone, and the cap arithmetic the webhook and the alerts share."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from functions.billing.months import BadMonth, bounds, month_of, next_month
from functions.billing.plan import Plan
from functions.billing.state import Threshold, plan_text, state_of

NEW_YORK = ZoneInfo("America/New_York")


def test_a_month_starts_at_midnight_in_the_billing_time_zone() -> None:
    assert bounds("2026-12", NEW_YORK) == (
        datetime(2026, 12, 1, 5, tzinfo=UTC),
        datetime(2027, 1, 1, 5, tzinfo=UTC),
    )
    assert bounds("2026-03", NEW_YORK)[1] == datetime(2026, 4, 1, 4, tzinfo=UTC)  # daylight time by then
    assert month_of(datetime(2026, 12, 1, 4, 59, tzinfo=UTC), NEW_YORK) == "2026-11"
    assert month_of(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), NEW_YORK) == "2026-12"
    assert next_month("2026-12") == "2027-01"


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", "2026/01", "", "2026-01-01", "9999-12", "0000-01"])
def test_a_month_is_written_yyyy_mm(text: str) -> None:
    with pytest.raises(BadMonth, match="YYYY-MM"):
        bounds(text, NEW_YORK)


def test_thresholds_are_crossed_at_the_alert_level_and_at_the_cap() -> None:
    plan = Plan(monthly_minutes=100, monthly_spend_cents=1000, alert_percent=75)
    state = state_of({"plan": plan_text(plan), "minutes#2026-12": 75, "cents#2026-12": 999})
    assert state.crossed("2026-12") == [Threshold("minutes", 75), Threshold("spend", 75)]
    assert state.reached("2026-12") is None
    capped = state_of({"plan": plan_text(plan), "minutes#2026-12": 10, "cents#2026-12": 1000})
    assert capped.reached("2026-12") == "spend"
    assert capped.reached("2027-01") is None  # a new month starts uncapped
    assert state_of({"minutes#2026-12": 10**6}).reached("2026-12") is None  # no plan, no cap


def test_a_stored_plan_that_does_not_validate_caps_nothing_and_says_why() -> None:
    state = state_of({"plan": '{"monthly_minutes": -5}', "minutes#2026-12": 10})
    assert state.plan is None and state.reached("2026-12") is None
    assert state.plan_problem == "plan: monthly_minutes"


def test_the_over_limit_answer_needs_its_profile() -> None:
    with pytest.raises(ValueError, match="over_limit_profile"):
        Plan(monthly_minutes=5, at_cap="over_limit_profile")
