"""floop.stats by hand and against scipy directly (fast; the gbstats parity is in
test_stats_parity.py): SRM, Welch, the delta method, CUPED, Bayesian risk, Holm, Thompson."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from scipy import stats as sps
from stats_fixtures import simulate_experiment

from floop.stats import (
    RatioStats,
    bayesian,
    frequentist,
    holm_bonferroni,
    srm_p_value,
    srm_unhealthy,
    thompson_top_two,
)


def test_srm_balanced_is_one() -> None:
    assert srm_p_value([500, 500], [0.5, 0.5]) == 1.0


@pytest.mark.parametrize(
    ("observed", "weights"),
    [([5100, 4900], [0.5, 0.5]), ([2000, 1020, 950], [0.5, 0.25, 0.25]), ([310, 590], [1, 2])],
)
def test_srm_is_pearson_chi_squared(observed: list[int], weights: list[float]) -> None:
    expected = np.array(weights) / sum(weights) * sum(observed)
    assert srm_p_value(observed, weights) == pytest.approx(
        sps.chisquare(observed, expected).pvalue, abs=1e-12
    )


def test_srm_flags_lost_treatment_events() -> None:
    assert srm_unhealthy(srm_p_value([1000, 840], [0.5, 0.5]))
    assert not srm_unhealthy(srm_p_value([1000, 960], [0.5, 0.5]))
    assert srm_p_value([0, 0], [0.5, 0.5]) == 1.0
    with pytest.raises(ValueError):
        srm_p_value([10, 10], [0.5])


def test_welch_absolute_lift_equals_scipy() -> None:
    """A mean metric, absolute lift: scipy's Welch t-test on the units themselves."""
    rng = np.random.default_rng(3)
    a, b = rng.gamma(2.0, 1.5, 80), rng.gamma(2.2, 1.5, 95)
    ours = frequentist(RatioStats.from_units(a, np.ones_like(a)),
                       RatioStats.from_units(b, np.ones_like(b)), relative=False)
    theirs = sps.ttest_ind(b, a, equal_var=False)
    ci = theirs.confidence_interval(0.95)
    assert ours.effect == pytest.approx(b.mean() - a.mean(), abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, abs=1e-12)
    assert (ours.ci_low, ours.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-12)


def linearized(num: np.ndarray, den: np.ndarray, ratio: float) -> np.ndarray:
    """Each unit's influence on the ratio (first-order Taylor term)."""
    return (num - ratio * den) / den.mean()


def test_delta_method_is_the_variance_of_the_linearized_ratio() -> None:
    arm = simulate_experiment(seed=5)[0]
    stats = RatioStats.from_units(arm.successes, arm.tasks)
    z = linearized(arm.successes, arm.tasks, arm.successes.sum() / arm.tasks.sum())
    assert stats.variance == pytest.approx(np.var(z, ddof=1), rel=1e-10)


def test_ratio_cuped_equals_regression_on_linearized_ratios() -> None:
    """The ratio CUPED (no gbstats 0.8.0 counterpart) against a per-unit computation: theta is
    the pooled regression slope of linearized post on linearized pre ratios."""
    control, treatment = simulate_experiment(seed=11)[:2]
    arms = [RatioStats.from_units(x.successes, x.tasks, x.pre_successes, x.pre_tasks)
            for x in (control, treatment)]

    def pooled(field: str) -> np.ndarray:
        return np.concatenate([getattr(control, field), getattr(treatment, field)])

    m, d, pm, pd_ = (pooled(f) for f in ("successes", "tasks", "pre_successes", "pre_tasks"))
    z, w = linearized(m, d, m.sum() / d.sum()), linearized(pm, pd_, pm.sum() / pd_.sum())
    theta = np.cov(z, w)[0, 1] / np.var(w, ddof=1)
    per_arm = []
    for x in (control, treatment):
        r, p = x.successes.sum() / x.tasks.sum(), x.pre_successes.sum() / x.pre_tasks.sum()
        adjusted = (linearized(x.successes, x.tasks, r)
                    - theta * linearized(x.pre_successes, x.pre_tasks, p))
        per_arm.append((r - theta * p, r, np.var(adjusted, ddof=1), x.tasks.size))
    (ma, ra, va, na), (mb, rb, vb, nb) = per_arm
    ours = frequentist(*arms, relative=True, cuped=True)
    assert ours.cuped
    assert ours.theta == pytest.approx(theta, rel=1e-10)
    assert ours.effect == pytest.approx((mb - ma) / ra, rel=1e-10)
    assert ours.se**2 == pytest.approx(vb / (ra**2 * nb) + va * rb**2 / (ra**4 * na), rel=1e-10)
    plain = frequentist(*arms, relative=True)
    assert ours.se < plain.se  # the pre-period predicts the outcome: CUPED narrows the interval


def test_cuped_needs_pre_period_in_both_arms() -> None:
    control, treatment = simulate_experiment(seed=11)[:2]
    with_pre = RatioStats.from_units(control.successes, control.tasks, control.pre_successes,
                                     control.pre_tasks)
    without = RatioStats.from_units(treatment.successes, treatment.tasks)
    result = frequentist(with_pre, without, cuped=True)
    assert not result.cuped and result.theta == 0
    assert result == frequentist(with_pre, without)


def test_sequential_interval_is_wider_than_fixed_horizon() -> None:
    control, treatment = simulate_experiment(seed=5)[:2]
    a = RatioStats.from_units(control.successes, control.tasks)
    b = RatioStats.from_units(treatment.successes, treatment.tasks)
    fixed, seq = frequentist(a, b), frequentist(a, b, sequential=True)
    assert seq.effect == fixed.effect
    assert seq.ci_low < fixed.ci_low and seq.ci_high > fixed.ci_high
    assert seq.p_value >= fixed.p_value


def test_bayesian_chance_to_win_and_risk_by_hand() -> None:
    control, treatment = simulate_experiment(seed=5)[:2]
    a = RatioStats.from_units(control.successes, control.tasks)
    b = RatioStats.from_units(treatment.successes, treatment.tasks)
    lift = frequentist(a, b)
    post = bayesian(a, b)
    mu, sigma = lift.effect, lift.se  # flat prior: the posterior is the likelihood
    assert post.chance_to_win == pytest.approx(sps.norm.sf(0, mu, sigma), abs=1e-12)
    above = sps.truncnorm.mean(-mu / sigma, np.inf, loc=mu, scale=sigma)
    below = sps.truncnorm.mean(-np.inf, -mu / sigma, loc=mu, scale=sigma)
    assert post.risk_control == pytest.approx(post.chance_to_win * above, abs=1e-10)
    assert post.risk_treatment == pytest.approx(-(1 - post.chance_to_win) * below, abs=1e-10)


def test_no_result_when_control_is_zero() -> None:
    zero = RatioStats.from_units([0, 0, 0], [1, 2, 1])
    some = RatioStats.from_units([1, 0, 1], [1, 1, 2])
    result = frequentist(zero, some)
    assert result.error == "ZERO_NEGATIVE_BASELINE_VARIATION"
    assert (result.effect, result.ci_low, result.ci_high, result.p_value) == (0, 0, 0, 1)
    assert bayesian(zero, some).chance_to_win == 0.5


def test_holm_bonferroni_textbook() -> None:
    """Four hypotheses; sorted 0.005, 0.01, 0.03, 0.04 get x4, x3, x2, x1 and are made
    monotone: 0.02, 0.03, 0.06, max(0.06, 0.04) = 0.06. At alpha 0.05 two are rejected."""
    adjusted = holm_bonferroni([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02], abs=1e-15)
    assert holm_bonferroni([0.5, 0.9]) == [1.0, 1.0]
    assert holm_bonferroni([]) == []
    with pytest.raises(ValueError):
        holm_bonferroni([0.1, math.nan])


ARMS = {"control": (31.0, 71.0), "prompt-v2": (60.0, 42.0), "prompt-v3": (33.0, 70.0)}


def test_thompson_is_deterministic_for_the_same_data() -> None:
    first = thompson_top_two(ARMS, seed=42)
    assert thompson_top_two(dict(reversed(ARMS.items())), seed=42) == first
    close = {"a": (50.0, 50.0), "b": (52.0, 48.0)}
    assert thompson_top_two(close, seed=1) != thompson_top_two(close, seed=2)


def test_thompson_weights_sum_to_one_and_respect_the_floor() -> None:
    hopeless = {"good": (900.0, 100.0), "bad": (1.0, 999.0), "worse": (1.0, 9999.0)}
    for arms in (ARMS, hopeless):
        weights = thompson_top_two(arms, seed=7, floor=0.01, beta=1.0)
        assert sum(weights.values()) == pytest.approx(1.0, abs=1e-12)
        assert min(weights.values()) >= 0.01
    plain_ts = thompson_top_two(hopeless, seed=7, floor=0.01, beta=1.0)
    assert plain_ts["bad"] == pytest.approx(0.01) and plain_ts["worse"] == pytest.approx(0.01)


def test_thompson_gives_a_clearly_better_arm_most_of_the_weight() -> None:
    weights = thompson_top_two(ARMS, seed=3)
    assert weights["prompt-v2"] > 0.85
    assert max(weights, key=weights.__getitem__) == "prompt-v2"
    # Two arms, nothing learned yet: an even split (the top-two term keeps the runner-up alive).
    even = thompson_top_two({"a": (1.0, 1.0), "b": (1.0, 1.0)}, seed=3)
    assert even["a"] == pytest.approx(0.5, abs=0.02)


def test_sums_from_the_warehouse_are_coerced_to_floats() -> None:
    stats = RatioStats(3, Decimal("2"), Decimal("2"), 6, 14, Decimal("5"))
    assert isinstance(stats.num_sum, float) and stats.variance == RatioStats(
        3, 2.0, 2.0, 6.0, 14.0, 5.0).variance
    with pytest.raises(ValueError):
        RatioStats(3, math.inf, 1.0, 1.0, 1.0, 1.0)
