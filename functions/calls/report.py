"""Per-tenant session reports from call records: pure functions, no AWS (read_model.py reads the table).
Shared by `sbctl calls report` (operator, any tenant) and the tenant API's `GET /tenant/v1/calls/report`
(the token's tenant only).

Definitions (docs/observability.md repeats them for the operator):
- by widget: web sessions only (a phone call has no widget), "(none)" for a key without a widget;
- session: a call item in the period (by decision time, else the call's start time; UTC days for the operator,
  the tenant's own days for the tenant API);
- fallback rate: fallback decisions / decisions; by reason, over the same denominator;
- minutes and cost: sums of ThunderPhone's billable_minutes and billing_total_cents;
- completion rate: calls whose status is "completed" / calls with a completion outcome;
- average grade: over graded calls, on a 0-100 scale; average duration: over calls with an outcome.
An experiment is a rule that served variants; each variant is compared with the variant that has
most sessions (the baseline): two-proportion z-test on completion rate, Welch's t-test on grade.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from functions.calls.read_model import CallRecord
from functions.calls.stats import ALPHA, Significance, two_proportion_z, welch_t

MIN_RATE_SAMPLE = 10  # outcomes per variant before a completion-rate test is reported
MIN_GRADE_SAMPLE = 5  # grades per variant before a grade test is reported
NO_WIDGET = "(none)"
CHANNELS = {"phone": 0, "web": 0}  # always listed, with 0 when there were none


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Period(_Out):
    start: date  # inclusive
    end: date  # inclusive
    # The zone whose days these are: UTC for the operator; the tenant's own for the tenant API, so its days are the
    # days its calls list shows. Not part of the report's body (the tenant knows its zone).
    timezone: str = Field(default="UTC", exclude=True)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=self.zone).astimezone(UTC)

    @property
    def end_at(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=self.zone).astimezone(UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


class Comparison(_Out):
    test: str  # "two-proportion z" / "Welch t"
    statistic: float
    p_value: float
    df: float | None = None
    significant: bool


class ReasonCount(_Out):
    reason: str
    count: int
    rate: float


class VariantResult(_Out):
    variant: str
    profile_ids: list[str]
    sessions: int
    with_outcome: int
    completed: int
    completion_rate: float | None
    graded: int
    avg_grade: float | None
    avg_duration_s: float | None
    minutes: float
    cost_cents: float
    completion_vs_baseline: Comparison | None = None
    grade_vs_baseline: Comparison | None = None
    indication: str = ""


class Experiment(_Out):
    rule_id: str
    baseline: str
    sessions: int
    variants: list[VariantResult]


class DailyCount(_Out):
    day: date
    sessions: int
    web: int
    phone: int
    fallbacks: int


class TenantReport(_Out):
    tenant_id: str
    period: Period
    sessions: int
    by_channel: dict[str, int]
    by_widget: dict[str, int]
    decided: int
    fallbacks: int
    fallback_rate: float | None
    fallback_by_reason: list[ReasonCount]
    with_outcome: int
    without_outcome: int
    minutes: float
    cost_cents: float
    duration_seconds: float
    daily: list[DailyCount]
    experiments: list[Experiment]
    capped: int = 0  # decisions answered by the operator's plan at a cap (functions/billing), not a fallback


class Report(_Out):
    period: Period
    tenants: list[TenantReport]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _day(record: CallRecord, zone: ZoneInfo) -> date | None:
    at = record.at
    return at.astimezone(zone).date() if at is not None else None


def in_period(records: Iterable[CallRecord], period: Period) -> list[CallRecord]:
    zone = period.zone
    return [r for r in records if (day := _day(r, zone)) is not None and period.start <= day <= period.end]


def build_report(records: Iterable[CallRecord], period: Period) -> Report:
    """One TenantReport per tenant present in `records` (outside the period is ignored)."""
    by_tenant: dict[str, list[CallRecord]] = defaultdict(list)
    for record in in_period(records, period):
        by_tenant[record.tenant_id].append(record)
    return Report(period=period, tenants=[tenant_report(t, by_tenant[t], period) for t in sorted(by_tenant)])


def tenant_report(tenant_id: str, records: list[CallRecord], period: Period) -> TenantReport:
    decided = [r for r in records if r.has_decision]
    fallbacks = [r for r in decided if r.decision == "fallback"]
    outcomes = [r for r in records if r.has_completion]
    reasons = Counter(str(r.reason) for r in fallbacks)
    daily = []
    for day in period.days():
        todays = [r for r in records if _day(r, period.zone) == day]
        daily.append(
            DailyCount(
                day=day,
                sessions=len(todays),
                web=sum(r.channel == "web" for r in todays),
                phone=sum(r.channel == "phone" for r in todays),
                fallbacks=sum(r.decision == "fallback" for r in todays),
            )
        )
    return TenantReport(
        tenant_id=tenant_id,
        period=period,
        sessions=len(records),
        by_channel=dict(sorted((CHANNELS | Counter(r.channel or "unknown" for r in records)).items())),
        by_widget=dict(sorted(Counter(r.widget_id or NO_WIDGET for r in records if r.channel == "web").items())),
        decided=len(decided),
        fallbacks=len(fallbacks),
        fallback_rate=_ratio(len(fallbacks), len(decided)),
        fallback_by_reason=[
            ReasonCount(reason=reason, count=count, rate=_ratio(count, len(decided)) or 0.0)
            for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
        with_outcome=len(outcomes),
        without_outcome=len(records) - len(outcomes),
        minutes=sum(r.billable_minutes or 0 for r in outcomes),
        cost_cents=sum(r.billing_total_cents or 0 for r in outcomes),
        duration_seconds=sum(r.duration_seconds or 0 for r in outcomes),
        daily=daily,
        experiments=experiments(decided),
        capped=sum(r.decision == "capped" for r in decided),
    )


def _variant_figures(name: str, records: list[CallRecord]) -> VariantResult:
    outcomes = [r for r in records if r.has_completion]
    completed = sum(r.status == "completed" for r in outcomes)
    grades = _grades(records)
    durations = [r.duration_seconds for r in outcomes if r.duration_seconds is not None]
    return VariantResult(
        variant=name,
        profile_ids=sorted({r.profile_id for r in records if r.profile_id}),
        sessions=len(records),
        with_outcome=len(outcomes),
        completed=completed,
        completion_rate=_ratio(completed, len(outcomes)),
        graded=len(grades),
        avg_grade=_mean(grades),
        avg_duration_s=_mean(durations),
        minutes=sum(r.billable_minutes or 0 for r in outcomes),
        cost_cents=sum(r.billing_total_cents or 0 for r in outcomes),
    )


def _grades(records: list[CallRecord]) -> list[float]:
    return [r.grade_score for r in records if r.grade_score is not None]


def _outcome(test: str, result: Significance | None) -> Comparison | None:
    if result is None:
        return None
    return Comparison(
        test=test,
        statistic=round(result.statistic, 4),
        p_value=round(result.p_value, 4),
        df=round(result.df, 2) if result.df is not None else None,
        significant=result.significant,
    )


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.2g}"


def _verdict(test: Comparison) -> str:
    return f"significant ({_p(test.p_value)})" if test.significant else f"not yet significant ({_p(test.p_value)})"


def _more_or_fewer(difference: float, more: str, fewer: str, same: str) -> str:
    return more if difference > 0 else fewer if difference < 0 else same


def _indication(
    name: str,
    baseline: str,
    figures: VariantResult,
    base: VariantResult,
    rate: Comparison | None,
    grade: Comparison | None,
) -> str:
    """How a variant compares with the baseline, in plain English: one sentence for completion, and one for
    grades once both arms have enough of them."""
    rates = (figures.completion_rate, base.completion_rate)
    least = min(figures.with_outcome, base.with_outcome)
    if rate is not None and rates[0] is not None and rates[1] is not None:
        how = _more_or_fewer(rates[0] - rates[1], "more", "fewer", "as many")
        said = [f"{name} completes {how} calls than {baseline}; {_verdict(rate)}"]
    elif least < MIN_RATE_SAMPLE:
        said = [f"not enough calls yet to compare ({least} of {MIN_RATE_SAMPLE} needed with an outcome)"]
    else:  # every call, or none, completed on both sides: no variance to test
        done = "every call completed" if rates[0] == 1 else "no call completed"
        said = [f"{name} and {baseline} complete calls equally often ({done}); nothing to test"]
    if grade is not None and figures.avg_grade is not None and base.avg_grade is not None:
        how = _more_or_fewer(figures.avg_grade - base.avg_grade, "higher", "lower", "the same")
        said.append(f"{name} is graded {how} than {baseline}; {_verdict(grade)}")
    elif min(figures.graded, base.graded) >= MIN_GRADE_SAMPLE:
        said.append(f"{name} and {baseline} are graded alike; nothing to test")
    return ". ".join(said)


def experiments(decided: list[CallRecord]) -> list[Experiment]:
    by_rule: dict[str, dict[str, list[CallRecord]]] = defaultdict(lambda: defaultdict(list))
    for record in decided:
        if record.rule_id and record.variant:
            by_rule[record.rule_id][record.variant].append(record)
    results = []
    for rule_id in sorted(by_rule):
        groups = by_rule[rule_id]
        baseline = min(groups, key=lambda name: (-len(groups[name]), name))
        base = _variant_figures(baseline, groups[baseline])
        base_grades = _grades(groups[baseline])
        variants = [
            base.model_copy(
                update={
                    "indication": f"{baseline} is the baseline (most sessions); the other variants are compared with it"
                }
            )
        ]
        for name in sorted(name for name in groups if name != baseline):
            figures = _variant_figures(name, groups[name])
            rate_test = None
            if min(figures.with_outcome, base.with_outcome) >= MIN_RATE_SAMPLE:
                rate_test = _outcome(
                    "two-proportion z",
                    two_proportion_z(figures.completed, figures.with_outcome, base.completed, base.with_outcome),
                )
            grades = _grades(groups[name])
            grade_test = None
            if min(len(grades), len(base_grades)) >= MIN_GRADE_SAMPLE:
                grade_test = _outcome("Welch t", welch_t(grades, base_grades))
            figures = figures.model_copy(
                update={
                    "completion_vs_baseline": rate_test,
                    "grade_vs_baseline": grade_test,
                    "indication": _indication(name, baseline, figures, base, rate_test, grade_test),
                }
            )
            variants.append(figures)
        results.append(
            Experiment(rule_id=rule_id, baseline=baseline, sessions=sum(map(len, groups.values())), variants=variants)
        )
    return results


# ---- text ---------------------------------------------------------------------------------------


def _fmt(value: float | None, pattern: str = "{:.2f}") -> str:
    return "-" if value is None else pattern.format(value)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    return [line, *("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)]


def render_text(report: Report) -> str:
    lines = [f"Period {report.period.start} .. {report.period.end} (UTC, inclusive)"]
    if not report.tenants:
        lines.append("No sessions in this period.")
    for tenant in report.tenants:
        lines += ["", f"== Tenant {tenant.tenant_id} =="]
        lines.append(
            f"Sessions {tenant.sessions} (with outcome {tenant.with_outcome}, without {tenant.without_outcome}); "
            f"minutes {tenant.minutes:g}; cost ${tenant.cost_cents / 100:,.2f}"
        )
        lines.append("By channel: " + ", ".join(f"{k} {v}" for k, v in tenant.by_channel.items()))
        lines.append("By widget:  " + ", ".join(f"{k} {v}" for k, v in tenant.by_widget.items()))
        lines.append(
            f"Fallbacks {tenant.fallbacks} of {tenant.decided} decisions ({_fmt(tenant.fallback_rate, '{:.1%}')})"
        )
        for reason in tenant.fallback_by_reason:
            lines.append(f"  {reason.reason}: {reason.count} ({reason.rate:.1%})")
        if tenant.capped:
            lines.append(f"Capped {tenant.capped} of {tenant.decided} decisions (the plan's monthly cap was reached)")
        for experiment in tenant.experiments:
            lines += [
                "",
                f"Experiment {experiment.rule_id} ({experiment.sessions} sessions, baseline {experiment.baseline})",
            ]
            rows = [
                [
                    v.variant,
                    str(v.sessions),
                    _fmt(v.completion_rate, "{:.1%}"),
                    _fmt(v.avg_grade),
                    _fmt(v.avg_duration_s, "{:.0f}s"),
                    v.indication,
                ]
                for v in experiment.variants
            ]
            lines += [
                "  " + row
                for row in _table(["variant", "sessions", "completion", "grade", "duration", "vs baseline"], rows)
            ]
        lines.append(
            f"(significance at p < {ALPHA})" if tenant.experiments else "No experiments (rules with variants)."
        )
    return "\n".join(lines)
