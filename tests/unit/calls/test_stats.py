"""The hand-written significance tests against published table values."""

from __future__ import annotations

import math

import pytest

from functions.calls.stats import regularized_beta, student_t_two_sided, two_proportion_z, welch_t, wilson_interval


@pytest.mark.parametrize(
    ("t", "df", "p"),
    [(2.228, 10, 0.05), (12.706, 1, 0.05), (2.0, 10, 0.0734), (1.0, 8, 0.3466), (3.707, 6, 0.01), (1.96, 1e6, 0.05)],
)
def test_student_t_two_sided_matches_t_tables(t: float, df: float, p: float) -> None:
    assert student_t_two_sided(t, df) == pytest.approx(p, abs=5e-4)


def test_regularized_beta_matches_closed_form() -> None:
    # I_x(1, b) = 1 - (1 - x)^b
    assert regularized_beta(0.3, 1, 4) == pytest.approx(1 - 0.7**4, rel=1e-10)
    assert regularized_beta(0.9, 1, 4) == pytest.approx(1 - 0.1**4, rel=1e-10)


def test_two_proportion_z_matches_the_formula() -> None:
    result = two_proportion_z(9, 10, 15, 20)

    assert result is not None
    assert result.statistic == pytest.approx(0.15 / math.sqrt(0.8 * 0.2 * (1 / 10 + 1 / 20)))
    assert result.p_value == pytest.approx(0.3329, abs=5e-4)
    assert not result.significant


def test_two_proportion_z_flags_a_large_difference() -> None:
    result = two_proportion_z(90, 100, 50, 100)

    assert result is not None and result.significant


def test_two_proportion_z_has_nothing_to_test_without_variance() -> None:
    assert two_proportion_z(10, 10, 20, 20) is None
    assert two_proportion_z(0, 0, 5, 10) is None


def test_welch_t_matches_hand_computation() -> None:
    result = welch_t([50, 60, 70, 80, 90], [60, 70, 80, 90, 100])

    assert result is not None
    assert result.statistic == pytest.approx(-1.0)
    assert result.df == pytest.approx(8.0)
    assert result.p_value == pytest.approx(0.3466, abs=5e-4)


def test_welch_t_needs_two_values_each_side() -> None:
    assert welch_t([1.0], [2.0, 3.0]) is None


def test_wilson_interval_brackets_the_rate() -> None:
    low, high = wilson_interval(15, 20)

    assert low < 0.75 < high
    assert (round(low, 3), round(high, 3)) == (0.531, 0.888)
