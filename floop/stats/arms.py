"""Per-arm estimates fed to the tests: the ratio, optionally CUPED-adjusted, and its variance.

CUPED (regression adjustment). gbstats 0.8.0 adjusts mean metrics only
(`gbstats/models/statistics.py`, `RegressionAdjustedStatistic` and `compute_theta`; its
`models/tests.py`, `BaseABTest.__init__`). For an arm with post value Y and pre-period
covariate X:

    adjusted mean     = mean(Y) - theta * mean(X)
    adjusted variance = var(Y) + theta^2 var(X) - 2 theta cov(Y, X)        (per unit)
    theta             = cov(Y, X) / var(X) on the two arms' units pooled (their sums added,
                        arm membership ignored), the same theta for both arms

and when the pooled var(X) or var(Y) is 0, theta is 0 and the test runs unadjusted.

floop's primary outcome is a ratio, which gbstats 0.8.0 cannot adjust; floop applies the same
three formulas with Y the arm's ratio and X its pre-period ratio, the variances and the
covariance taken by the delta method (`RatioStats.variance`, `RatioStats.post_pre_covariance`):
Deng et al. (2013), "Improving the sensitivity of online controlled experiments by utilizing
pre-experiment data", section 3.3 (CUPED on the linearized ratio). For a mean metric
(denominators 1) the delta-method terms are the plain moments, so the estimator is exactly
gbstats' `mean_ra`, and that is what the parity tests check against gbstats.

`unadjusted_mean` is the plain ratio: gbstats divides relative lifts by the control's unadjusted
mean and uses unadjusted means in the relative variance.
"""

from __future__ import annotations

from dataclasses import dataclass

from floop.stats.sufficient import RatioStats


@dataclass(frozen=True)
class ArmEstimate:
    n: int
    mean: float  # adjusted when CUPED applies
    unadjusted_mean: float
    variance: float  # per unit, adjusted when CUPED applies


def cuped_theta(control: RatioStats, treatment: RatioStats) -> float:
    """The pooled regression coefficient; 0 when either arm lacks pre-period data."""
    if control.pre is None or treatment.pre is None:
        return 0.0
    pooled = control + treatment
    pre = pooled.pre_over_arm()
    assert pre is not None  # both arms have a pre-period
    pre_variance = pre.variance
    if pre_variance == 0 or pooled.variance == 0:
        return 0.0
    return pooled.post_pre_covariance() / pre_variance


def estimate_arm(stats: RatioStats, theta: float) -> ArmEstimate:
    """The arm's estimate given theta (theta = 0: unadjusted)."""
    if theta == 0:
        return ArmEstimate(stats.n, stats.mean, stats.mean, stats.variance)
    pre = stats.pre_over_arm()
    assert pre is not None  # theta != 0 only when both arms have a pre-period
    if stats.n <= 1:  # as gbstats: no variance from fewer than two units
        variance = 0.0
    else:
        variance = (
            stats.variance + theta**2 * pre.variance - 2 * theta * stats.post_pre_covariance()
        )
    return ArmEstimate(stats.n, stats.mean - theta * pre.mean, stats.mean, variance)


def estimate_arms(
    control: RatioStats, treatment: RatioStats, *, cuped: bool
) -> tuple[ArmEstimate, ArmEstimate, float]:
    """Both arms' estimates and the theta used (0 when CUPED is off or cannot apply)."""
    theta = cuped_theta(control, treatment) if cuped else 0.0
    return estimate_arm(control, theta), estimate_arm(treatment, theta), theta
