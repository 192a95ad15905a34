"""The lift of treatment over control and its variance, shared by both engines.

gbstats 0.8.0, `gbstats/frequentist/tests.py`, `frequentist_diff` and `frequentist_variance`
(the Bayesian engine uses the same two as its likelihood):

    absolute: effect = mean_b - mean_a
              var    = var_b / n_b + var_a / n_a
    relative: effect = (mean_b - mean_a) / raw_a
              var    = var_b / (raw_a^2 n_b) + var_a raw_b^2 / (raw_a^4 n_a)

where mean_* are the (possibly CUPED-adjusted) arm means, raw_* the unadjusted ones and var_*
the per-unit (possibly adjusted) variances: the relative variance is the delta method for a
quotient of independent means.
"""

from __future__ import annotations

from floop.stats.arms import ArmEstimate


def lift(a: ArmEstimate, b: ArmEstimate, *, relative: bool) -> float:
    if relative:
        return (b.mean - a.mean) / a.unadjusted_mean
    return b.mean - a.mean


def lift_variance(a: ArmEstimate, b: ArmEstimate, *, relative: bool) -> float:
    if relative:
        raw_a, raw_b = a.unadjusted_mean, b.unadjusted_mean
        return b.variance / (raw_a**2 * b.n) + a.variance * raw_b**2 / (raw_a**4 * a.n)
    return b.variance / b.n + a.variance / a.n
