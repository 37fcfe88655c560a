"""PNG plots of a tenant report: daily sessions, and per experiment its variants' completion rate
(with its 95% Wilson interval) and average grade (with n and the p-value against the baseline).
matplotlib, Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from functions.calls.report import Experiment, TenantReport
from functions.calls.stats import wilson_interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_tenant(report: TenantReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    rows = 1 + len(report.experiments)
    fig = plt.figure(figsize=(11, 3.6 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, 2)
    _daily(fig.add_subplot(grid[0, :]), report)
    for row, experiment in enumerate(report.experiments, start=1):
        _completion(fig.add_subplot(grid[row, 0]), experiment)
        _grades(fig.add_subplot(grid[row, 1]), experiment)
    fig.suptitle(f"Tenant {report.tenant_id}: {report.period.start} .. {report.period.end}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _daily(ax: Axes, report: TenantReport) -> None:
    days = [day.day.isoformat() for day in report.daily]
    web = [day.web for day in report.daily]
    phone = [day.phone for day in report.daily]
    other = [day.sessions - day.web - day.phone for day in report.daily]
    ax.bar(days, web, label="web")
    ax.bar(days, phone, bottom=web, label="phone")
    if any(other):
        ax.bar(days, other, bottom=[w + p for w, p in zip(web, phone, strict=True)], label="unknown")
    ax.plot(days, [day.fallbacks for day in report.daily], color="black", marker=".", label="fallbacks")
    ax.set_title("Sessions per day (UTC)")
    ax.set_ylabel("sessions")
    ax.legend(loc="upper left")
    if len(days) > 14:
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)


def _completion(ax: Axes, experiment: Experiment) -> None:
    names = [v.variant for v in experiment.variants]
    rates, low, high = [], [], []
    for v in experiment.variants:
        rate = v.completion_rate or 0.0
        lo, hi = wilson_interval(v.completed, v.with_outcome)
        rates.append(rate * 100)
        low.append(max(0.0, rate - lo) * 100)
        high.append(max(0.0, hi - rate) * 100)
    ax.bar(names, rates, yerr=[low, high], capsize=4, color="tab:green")
    ax.set_ylim(0, 100)
    ax.set_ylabel("completion rate (%)")
    ax.set_title(f"{experiment.rule_id}: completion (baseline {experiment.baseline})")
    for i, v in enumerate(experiment.variants):
        ax.annotate(f"n={v.with_outcome}", (i, 2), ha="center", fontsize=8)


def _grades(ax: Axes, experiment: Experiment) -> None:
    names = [v.variant for v in experiment.variants]
    means = [v.avg_grade or 0.0 for v in experiment.variants]
    ax.bar(names, means, color="tab:blue")
    ax.set_ylim(0, 100)
    ax.set_ylabel("average grade (0-100)")
    ax.set_title(f"{experiment.rule_id}: grade")
    for i, v in enumerate(experiment.variants):
        label = f"n={v.graded}"
        if v.grade_vs_baseline is not None:
            label += f", p={v.grade_vs_baseline.p_value:.3f}"
        ax.annotate(label, (i, 2), ha="center", fontsize=8)


def plot_paths(base: Path, tenants: list[str]) -> dict[str, Path]:
    """One file per tenant: `out.png` for a single tenant, `out-<tenant>.png` for several."""
    if len(tenants) == 1:
        return {tenants[0]: base}
    return {tenant: base.with_name(f"{base.stem}-{tenant}{base.suffix or '.png'}") for tenant in tenants}
