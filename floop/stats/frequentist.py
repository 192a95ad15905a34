"""Frequentist lift: two-sided Welch t-test, or an always-valid confidence sequence.

Equal to gbstats 0.8.0, `gbstats/frequentist/tests.py` (`TwoSidedTTest`,
`SequentialTwoSidedTTest`), for the statistics of `floop.stats.lift`:

Fixed horizon (Welch): t = effect / se with se = sqrt(lift variance); degrees of freedom by
Welch-Satterthwaite on the per-unit arm variances (absolute scale even for relative lifts):

    dof = (v_b/n_b + v_a/n_a)^2 / (v_b^2 / (n_b^2 (n_b - 1)) + v_a^2 / (n_a^2 (n_a - 1)))

p = 2 P(T_dof > |t|); interval effect +- t_{dof, 1 - alpha/2} se.

Sequential (gbstats cites Waudby-Smith et al. 2023, arXiv 2103.06476v7, eq. 9, 155, 161):
with N = n_a + n_b, tuning parameter k (default 5,000) and s^2 = N se^2,

    rho^2 = (-2 ln alpha + ln(1 - 2 ln alpha)) / k
    half-width = sqrt(s^2) sqrt(2 (N rho^2 + 1) ln(sqrt(N rho^2 + 1) / alpha) / (N rho)^2)
    p = min(1, 1 / E),  E = exp(rho^2 N^2 effect^2 / (2 s^2 (N rho^2 + 1))) / sqrt(N rho^2 + 1)

The interval holds at every look simultaneously, so checking it daily keeps its coverage.

When the control's mean (adjusted or not) is 0 or either arm's variance is not positive, gbstats
answers "no result": effect 0, interval [0, 0], p 1, se 0; so does this module, naming why in
`error` (gbstats' message codes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as sps

from floop.stats.arms import ArmEstimate, estimate_arms
from floop.stats.lift import lift, lift_variance
from floop.stats.sufficient import RatioStats

BASELINE_ZERO = "ZERO_NEGATIVE_BASELINE_VARIATION"
ZERO_VARIANCE = "ZERO_NEGATIVE_VARIANCE"
NO_UNITS = "NO_UNITS_IN_VARIATION"


@dataclass(frozen=True)
class EffectEstimate:
    """A lift with its interval. `cuped` is True only when the adjustment was applied (theta
    != 0); `error` is set (and the numbers are gbstats' neutral answer) when no test ran."""

    effect: float
    ci_low: float
    ci_high: float
    p_value: float | None
    se: float
    relative: bool
    sequential: bool
    cuped: bool
    control_mean: float  # unadjusted
    treatment_mean: float  # unadjusted
    theta: float = 0.0
    error: str | None = None


def welch_dof(a: ArmEstimate, b: ArmEstimate) -> float:
    va, vb = a.variance / a.n, b.variance / b.n
    return (va + vb) ** 2 / (vb**2 / (b.n - 1) + va**2 / (a.n - 1))


def sequential_rho_sq(alpha: float, tuning: float) -> float:
    return (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / tuning


def sequential_half_width(se: float, n_total: int, alpha: float, tuning: float) -> float:
    rho_sq = sequential_rho_sq(alpha, tuning)
    growth = n_total * rho_sq + 1
    s = se * math.sqrt(n_total)
    return s * math.sqrt(
        2 * growth * math.log(math.sqrt(growth) / alpha) / (n_total**2 * rho_sq)
    )


def sequential_p_value(effect: float, se: float, n_total: int, alpha: float,
                       tuning: float) -> float:
    rho_sq = sequential_rho_sq(alpha, tuning)
    growth = n_total * rho_sq + 1
    s_sq_total = n_total * (effect / se) ** 2  # = N^2 effect^2 / s^2
    log_e_value = rho_sq * s_sq_total / (2 * growth) - 0.5 * math.log(growth)
    return min(1.0, math.exp(-log_e_value))  # 1 / E, in logs so a large E cannot overflow


def no_result_reason(a: ArmEstimate, b: ArmEstimate) -> str | None:
    if a.mean == 0 or a.unadjusted_mean == 0:
        return BASELINE_ZERO
    if a.variance <= 0 or b.variance <= 0:
        return ZERO_VARIANCE
    return None


def frequentist(
    control: RatioStats,
    treatment: RatioStats,
    *,
    relative: bool = True,
    alpha: float = 0.05,
    sequential: bool = False,
    sequential_tuning: float = 5000,
    cuped: bool = False,
) -> EffectEstimate:
    """Lift of `treatment` over `control`, two-sided at level `alpha` (module docstring)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if sequential_tuning <= 0:
        raise ValueError(f"sequential_tuning must be > 0, got {sequential_tuning}")
    a, b, theta = estimate_arms(control, treatment, cuped=cuped)
    common = {
        "relative": relative, "sequential": sequential, "cuped": theta != 0,
        "control_mean": a.unadjusted_mean, "treatment_mean": b.unadjusted_mean, "theta": theta,
    }
    reason = no_result_reason(a, b)
    if reason is not None:
        return EffectEstimate(0.0, 0.0, 0.0, 1.0, 0.0, **common, error=reason)
    effect = lift(a, b, relative=relative)
    se = math.sqrt(lift_variance(a, b, relative=relative))
    if sequential:
        n_total = a.n + b.n
        half = sequential_half_width(se, n_total, alpha, sequential_tuning)
        p_value = sequential_p_value(effect, se, n_total, alpha, sequential_tuning)
    else:
        dof = welch_dof(a, b)
        half = float(sps.t.ppf(1 - alpha / 2, dof)) * se
        p_value = float(2 * sps.t.sf(abs(effect / se), dof))
    return EffectEstimate(effect, effect - half, effect + half, p_value, se, **common)
