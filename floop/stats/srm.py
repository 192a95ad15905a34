"""Sample-ratio mismatch: Pearson's chi-squared test of observed units against planned weights.

gbstats 0.8.0, `gbstats/utils.py`, `check_srm`: expected_i = w_i / sum(w) * sum(observed);
X^2 = sum over arms with w_i > 0 of (observed_i - expected_i)^2 / expected_i; p = P(chi2 with
(number of arms - 1) degrees of freedom > X^2) (arms with weight 0 still count towards the
degrees of freedom, as in gbstats). No units at all: p = 1. An assignment is unhealthy at
p < SRM_ALPHA.
"""

from __future__ import annotations

from collections.abc import Sequence

from scipy import stats as sps

SRM_ALPHA = 0.001


def srm_p_value(observed: Sequence[int], planned_weights: Sequence[float]) -> float:
    if len(observed) != len(planned_weights):
        raise ValueError("one planned weight per arm is needed")
    if len(observed) < 2:
        raise ValueError("a sample-ratio test needs at least two arms")
    if any(o < 0 for o in observed) or any(w < 0 for w in planned_weights):
        raise ValueError("unit counts and planned weights must not be negative")
    total = sum(observed)
    total_weight = sum(planned_weights)
    if total == 0:
        return 1.0
    if total_weight <= 0:
        raise ValueError("planned weights must not all be 0")
    statistic = 0.0
    for units, weight in zip(observed, planned_weights, strict=True):
        if weight > 0:
            expected = weight / total_weight * total
            statistic += (units - expected) ** 2 / expected
    return float(sps.chi2.sf(statistic, len(observed) - 1))


def srm_unhealthy(p_value: float) -> bool:
    return p_value < SRM_ALPHA
