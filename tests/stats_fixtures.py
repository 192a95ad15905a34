"""Fixtures for the statistics tests: hand-made edge cases and a seeded simulated experiment.

Every fixture is per-unit data (numerator, denominator, optional pre-period values), summed with
`RatioStats.from_units`, so both floop and gbstats see the same sufficient statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from floop.stats import RatioStats


@dataclass(frozen=True)
class Pair:
    """Control and treatment; kind "ratio" (delta method), "mean" or "mean_ra" (CUPED)."""

    id: str
    kind: str
    control: RatioStats
    treatment: RatioStats


def ratio(num: list[float], den: list[float]) -> RatioStats:
    return RatioStats.from_units(num, den)


def mean(values: list[float], covariate: list[float] | None = None) -> RatioStats:
    """A mean metric (denominator 1), with a pre-period covariate for CUPED when given."""
    ones = [1.0] * len(values)
    if covariate is None:
        return RatioStats.from_units(values, ones)
    return RatioStats.from_units(values, ones, covariate, ones)


def hand_pairs() -> list[Pair]:
    base_num = [1, 0, 2, 1, 3, 0, 1, 2, 1, 1]
    base_den = [2, 1, 3, 1, 4, 2, 1, 3, 2, 1]
    better_num = [2, 1, 2, 1, 3, 1, 1, 3, 2, 1]
    return [
        Pair("tiny_n", "ratio", ratio([1, 0], [2, 1]), ratio([1, 1], [1, 2])),
        Pair("single_unit", "ratio", ratio([1], [2]), ratio([1, 0, 1], [1, 1, 2])),
        Pair("zero_variance", "ratio", ratio([1, 1, 1], [2, 2, 2]), ratio([0, 1, 2], [2, 2, 3])),
        Pair("control_zero", "ratio", ratio([0, 0, 0], [1, 2, 1]), ratio([1, 0, 1], [1, 1, 2])),
        Pair("equal_arms", "ratio", ratio(base_num, base_den), ratio(base_num, base_den)),
        Pair("positive_lift", "ratio", ratio(base_num, base_den), ratio(better_num, base_den)),
        Pair("negative_lift", "ratio", ratio(better_num, base_den), ratio(base_num, base_den)),
        Pair("zero_denominators", "ratio", ratio([0, 1, 2, 0, 1], [0, 2, 3, 0, 1]),
             ratio([1, 0, 2, 0, 2, 1], [1, 0, 2, 0, 3, 1])),
        # Three arms: each treatment against the one control.
        Pair("three_arms_b", "ratio", ratio(base_num, base_den),
             ratio([1, 1, 2, 1, 3, 0, 1, 2, 2], [2, 1, 3, 1, 4, 2, 1, 3, 2])),
        Pair("three_arms_c", "ratio", ratio(base_num, base_den),
             ratio([0, 0, 2, 1, 2, 0, 1, 1, 1, 0, 1], [2, 1, 3, 1, 4, 2, 1, 3, 2, 1, 2])),
        Pair("mean_small", "mean", mean([3, 5, 2, 8, 4]), mean([6, 7, 5, 9, 4, 8])),
        Pair("cuped_small", "mean_ra", mean([3, 5, 2, 8, 4, 6], [2, 4, 1, 7, 0, 5]),
             mean([6, 7, 5, 9, 4, 8], [4, 6, 3, 8, 0, 0])),
        # A constant covariate carries no information: theta = 0 and the test runs unadjusted.
        Pair("cuped_constant_pre", "mean_ra", mean([3, 5, 2, 8], [1, 1, 1, 1]),
             mean([6, 7, 5, 9], [1, 1, 1, 1])),
    ]


@dataclass(frozen=True)
class SimulatedArm:
    successes: np.ndarray
    tasks: np.ndarray
    pre_successes: np.ndarray  # 0 for units not seen before the start
    pre_tasks: np.ndarray


def simulate_experiment(
    seed: int, units: int = 4000, rates: tuple[float, ...] = (0.30, 0.33, 0.30),
    seen_before: float = 0.6,
) -> list[SimulatedArm]:
    """Units with a latent propensity; Poisson task counts, Bernoulli successes per task.

    The propensity is shared by the pre-period and the experiment, so the pre-period ratio
    predicts the in-experiment one (what CUPED exploits). Arm k multiplies the odds-free base
    rate by rates[k] / rates[0]. Arms get units by a seeded equal split.
    """
    rng = np.random.default_rng(seed)
    arm_of_unit = rng.integers(0, len(rates), size=units)
    propensity = rng.beta(6, 14, size=units)  # mean 0.3, between-unit spread
    arms = []
    for k, rate in enumerate(rates):
        members = arm_of_unit == k
        p = np.clip(propensity[members] * rate / rates[0], 0, 1)
        tasks = rng.poisson(3.0, size=members.sum())
        seen = rng.random(members.sum()) < seen_before
        pre_tasks = np.where(seen, rng.poisson(4.0, size=members.sum()) + 1, 0)
        arms.append(SimulatedArm(
            successes=rng.binomial(tasks, p), tasks=tasks,
            pre_successes=rng.binomial(pre_tasks, propensity[members]), pre_tasks=pre_tasks,
        ))
    return arms


def simulated_pairs(seed: int) -> list[Pair]:
    """Ratio pairs (success rate per task) and CUPED pairs (successes per unit, the pre-period
    successes as covariate: the mean_ra form gbstats 0.8.0 can adjust)."""
    arms = simulate_experiment(seed)
    control = arms[0]
    pairs = []
    for name, arm in (("lift", arms[1]), ("null", arms[2])):
        pairs.append(Pair(f"sim{seed}_{name}_ratio", "ratio",
                          ratio(control.successes, control.tasks), ratio(arm.successes, arm.tasks)))
        pairs.append(Pair(f"sim{seed}_{name}_cuped", "mean_ra",
                          mean(control.successes, control.pre_successes),
                          mean(arm.successes, arm.pre_successes)))
    return pairs


SRM_CASES = {
    "balanced": ([500, 500], [0.5, 0.5]),
    "slight": ([5100, 4900], [0.5, 0.5]),
    "lost_treatment_events": ([1000, 880], [0.5, 0.5]),
    "three_arms_uneven": ([2000, 1020, 950], [0.5, 0.25, 0.25]),
    "zero_weight_arm": ([700, 300, 12], [0.7, 0.3, 0.0]),
    "no_units": ([0, 0], [0.5, 0.5]),
    "unnormalised_weights": ([310, 590], [1, 2]),
}
