"""The call report's period: `days` counts back from today, `from`/`to` are inclusive; mistakes are 400s in words."""

from __future__ import annotations

from datetime import date

import pytest

from functions.calls.report import Period
from functions.tenant_api.errors import BadRequest
from functions.tenant_api.service.reports import period_of

TODAY = date(2026, 5, 10)


def test_default_is_the_last_seven_days_ending_today() -> None:
    assert period_of(None, None, None, TODAY) == Period(start=date(2026, 5, 4), end=TODAY)


def test_days_and_a_range() -> None:
    assert period_of("1", None, None, TODAY) == Period(start=TODAY, end=TODAY)
    assert period_of("90", None, None, TODAY).start == date(2026, 2, 10)
    assert period_of(None, "2026-03-01", "2026-05-31", TODAY).end == date(2026, 5, 31)
    assert period_of(None, "2026-05-02", "2026-05-02", TODAY) == Period(start=date(2026, 5, 2), end=date(2026, 5, 2))


@pytest.mark.parametrize(
    ("days", "start", "end", "field"),
    [
        ("0", None, None, "days"),
        ("-3", None, None, "days"),
        ("7.5", None, None, "days"),
        (None, "2026-05-01", None, "to"),
        (None, None, "2026-05-01", "from"),
        (None, "2026-5-1", "2026-05-02", "from"),
        (None, "2026-05-01", "20260502", "to"),
        (None, "2026-02-30", "2026-03-02", "from"),
        (None, "2026-01-01", "2026-04-03", "to"),  # 93 days
    ],
)
def test_mistakes_name_the_parameter(days: str | None, start: str | None, end: str | None, field: str) -> None:
    with pytest.raises(BadRequest) as refused:
        period_of(days, start, end, TODAY)
    assert refused.value.status == 400 and field in refused.value.fields
