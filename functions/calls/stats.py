"""Significance tests for A/B results with the standard library only.

Hand-written because scipy is a large dependency for two formulas: a two-proportion z-test (rates)
and Welch's t-test (means), whose p-value needs Student's t distribution, computed here from the
regularized incomplete beta function (continued fraction, as in Numerical Recipes 6.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 0.05


@dataclass(frozen=True)
class Significance:
    statistic: float
    p_value: float
    df: float | None = None

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


def two_proportion_z(successes_a: int, n_a: int, successes_b: int, n_b: int) -> Significance | None:
    """H0: both rates are equal (pooled standard error). None when a group is empty or the pooled
    rate is 0 or 1 (no variance: nothing to test)."""
    if n_a <= 0 or n_b <= 0:
        return None
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return None
    z = (successes_a / n_a - successes_b / n_b) / se
    return Significance(statistic=z, p_value=math.erfc(abs(z) / math.sqrt(2)))


def mean_and_variance(values: list[float]) -> tuple[float, float]:
    """Mean and unbiased sample variance (0 for fewer than two values)."""
    n = len(values)
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return mean, variance


def welch_t(a: list[float], b: list[float]) -> Significance | None:
    """H0: both means are equal, variances not assumed equal. None with fewer than two values a side
    or no variance at all."""
    if len(a) < 2 or len(b) < 2:
        return None
    mean_a, var_a = mean_and_variance(a)
    mean_b, var_b = mean_and_variance(b)
    sa, sb = var_a / len(a), var_b / len(b)
    if sa + sb == 0:
        return None
    t = (mean_a - mean_b) / math.sqrt(sa + sb)
    df = (sa + sb) ** 2 / (sa**2 / (len(a) - 1) + sb**2 / (len(b) - 1))
    return Significance(statistic=t, p_value=student_t_two_sided(t, df), df=df)


def student_t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom."""
    return regularized_beta(df / (df + t * t), df / 2, 0.5)


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) for 0 <= x <= 1."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    # The continued fraction converges fast only below the mean; use the symmetry otherwise.
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(x, a, b) / a
    return 1 - front * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float, *, iterations: int = 300, eps: float = 1e-14) -> float:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, iterations + 1):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < eps:
            break
    return h


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% confidence interval of a rate (for plot error bars); (0, 0) for an empty group."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
