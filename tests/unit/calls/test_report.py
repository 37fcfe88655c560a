"""A report over generated records matches figures computed by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.calls.read_model import CallRecord
from functions.calls.report import Period, build_report, render_text

DAY1 = datetime(2026, 5, 1, 9, tzinfo=UTC)
PERIOD = Period(start=date(2026, 5, 1), end=date(2026, 5, 3))


def record(call_id: int, at: datetime, **fields: Any) -> CallRecord:
    decided = fields.pop("decided", True)
    outcome = fields.pop("outcome", None)
    base: dict[str, Any] = {"tenant_id": "acme", "call_id": call_id}
    if decided:
        base |= {"decided_at": at, "decision": "config", "reason": "rule"}
    else:
        base |= {"started_at": at}
    if outcome is not None:
        base |= {"completion_key": "2#x", "status": outcome, "billable_minutes": 1, "billing_total_cents": 9}
    return CallRecord.model_validate(base | fields)


def generated() -> list[CallRecord]:
    records = []
    # Variant A: 20 web sessions on day 1 via widget "home", 15 completed, 60 s each, 5 graded 60..100.
    for i in range(20):
        grade = {"grade_key": "3#", "grade_score": 60 + 10 * i} if i < 5 else {}
        records.append(
            record(
                i,
                DAY1 + timedelta(minutes=i),
                channel="web",
                widget_id="home",
                rule_id="greeting",
                variant="A",
                profile_id="p-a",
                outcome="completed" if i < 15 else "failed",
                duration_seconds=60,
                **grade,
            )
        )
    # Variant B: 10 phone sessions on day 2, 9 completed, 120 s each, 5 graded 50..90.
    for i in range(10):
        grade = {"grade_key": "3#", "grade_score": 50 + 10 * i} if i < 5 else {}
        records.append(
            record(
                100 + i,
                DAY1 + timedelta(days=1, minutes=i),
                channel="phone",
                rule_id="greeting",
                variant="B",
                profile_id="p-b",
                outcome="completed" if i < 9 else "failed",
                duration_seconds=120,
                **grade,
            )
        )
    # Day 3: three fallbacks (two store_unavailable, one no_profile) and one call known only by its outcome.
    for i, reason in enumerate(["store_unavailable", "store_unavailable", "no_profile"]):
        records.append(record(200 + i, DAY1 + timedelta(days=2), channel="phone", decision="fallback", reason=reason))
    records.append(record(300, DAY1 + timedelta(days=2), decided=False, channel="web", outcome="completed"))
    # Outside the period: ignored.
    records.append(record(400, DAY1 + timedelta(days=3), channel="web", outcome="completed"))
    return records


def test_build_report_matches_hand_computed_totals() -> None:
    (tenant,) = build_report(generated(), PERIOD).tenants

    assert tenant.sessions == 34
    assert tenant.by_channel == {"phone": 13, "web": 21}
    assert tenant.by_widget == {"(none)": 1, "home": 20}  # web sessions only: phone calls have no widget
    assert (tenant.decided, tenant.fallbacks) == (33, 3)
    assert tenant.fallback_rate == pytest.approx(3 / 33, abs=1e-4)
    assert [(r.reason, r.count) for r in tenant.fallback_by_reason] == [("store_unavailable", 2), ("no_profile", 1)]
    assert (tenant.with_outcome, tenant.without_outcome) == (31, 3)
    assert (tenant.minutes, tenant.cost_cents) == (31, 279)
    assert [(d.day.day, d.sessions, d.web, d.phone, d.fallbacks) for d in tenant.daily] == [
        (1, 20, 20, 0, 0),
        (2, 10, 0, 10, 0),
        (3, 4, 1, 3, 3),
    ]


def test_build_report_experiment_figures_and_significance() -> None:
    (tenant,) = build_report(generated(), PERIOD).tenants
    (experiment,) = tenant.experiments
    a, b = experiment.variants

    assert (experiment.rule_id, experiment.baseline, experiment.sessions) == ("greeting", "A", 30)
    assert (a.variant, a.sessions, a.completion_rate, a.avg_grade, a.avg_duration_s) == ("A", 20, 0.75, 80, 60)
    assert (b.variant, b.sessions, b.completion_rate, b.avg_grade, b.avg_duration_s) == ("B", 10, 0.9, 70, 120)
    assert a.indication.startswith("A is the baseline")
    assert b.completion_vs_baseline is not None and b.grade_vs_baseline is not None
    z = 0.15 / math.sqrt(0.8 * 0.2 * (1 / 10 + 1 / 20))
    assert b.completion_vs_baseline.statistic == pytest.approx(z, abs=1e-4)
    assert b.completion_vs_baseline.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), abs=1e-4)
    assert (b.grade_vs_baseline.statistic, b.grade_vs_baseline.df) == (-1.0, 8.0)
    assert b.grade_vs_baseline.p_value == pytest.approx(0.3466, abs=1e-3)
    assert b.indication == (
        "B completes more calls than A; not yet significant (p = 0.33). "
        "B is graded lower than A; not yet significant (p = 0.35)"
    )


def test_build_report_says_too_few_data_below_the_minimum_sample() -> None:
    few = [r for r in generated() if r.variant != "B" or r.call_id < 103]
    (tenant,) = build_report(few, PERIOD).tenants
    b = tenant.experiments[0].variants[1]

    assert b.completion_vs_baseline is None
    assert b.indication.startswith("not enough calls yet to compare (3 of 10 needed with an outcome)")


def test_build_report_separates_tenants_and_renders_text() -> None:
    records = [*generated(), record(500, DAY1, tenant_id="globex", channel="phone", outcome="completed")]

    report = build_report(records, PERIOD)
    text = render_text(report)

    assert [t.tenant_id for t in report.tenants] == ["acme", "globex"]
    assert "== Tenant acme ==" in text and "Experiment greeting" in text
    assert "cost $2.79" in text


def test_report_json_round_trips() -> None:
    report = build_report(generated(), PERIOD)

    assert type(report).model_validate_json(report.model_dump_json()) == report


def test_plot_tenant_writes_a_png(tmp_path: Path) -> None:
    from sbctl.reports.plots import plot_tenant

    (tenant,) = build_report(generated(), PERIOD).tenants
    path = plot_tenant(tenant, tmp_path / "acme.png")

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_indication_says_significant_and_when_there_is_nothing_to_test() -> None:
    def arm(variant: str, first_id: int, completed: int, total: int) -> list[CallRecord]:
        return [
            record(
                first_id + i,
                DAY1,
                channel="phone",
                rule_id="r",
                variant=variant,
                outcome="completed" if i < completed else "failed",
            )
            for i in range(total)
        ]

    (tenant,) = build_report([*arm("A", 0, 10, 40), *arm("B", 100, 30, 30)], PERIOD).tenants
    b = tenant.experiments[0].variants[1]
    assert b.indication == "B completes more calls than A; significant (p < 0.001)"

    (tenant,) = build_report([*arm("A", 0, 12, 12), *arm("B", 100, 10, 10)], PERIOD).tenants
    b = tenant.experiments[0].variants[1]
    assert b.completion_vs_baseline is None
    assert b.indication == "B and A complete calls equally often (every call completed); nothing to test"
