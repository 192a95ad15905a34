"""Bandit allocation: the weights a router gives each arm of a bandit experiment.

Per arm, the reward is a Bernoulli success with a Beta posterior under a uniform prior:
alpha = 1 + successes, beta = 1 + failures, where a task whose primary outcome has arrived
counts its outcome and a task still waiting counts the proxy of its implicit signals (a
fraction of a success; the SQL intermediates `int_experiment_arm_rewards` and
`int_implicit_signal_calibration` compute both). Weights are top-two Thompson sampling
(`floop.stats.thompson_top_two`: 10,000 seeded draws, a floor of 1% per arm, beta 0.9). Until
every arm has `minimum_units_per_arm` units the planned weights stay: a bandit that moved traffic
on a handful of tasks would starve an arm before it was measured.

The same rewards and the same configuration always give the same weights (the draws are seeded
by a checksum of the experiment id).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from floop.experiments import load_experiments
from floop.stats import thompson_top_two
from floop.stats.bandit import best_arm_probabilities

DRAWS = 10_000
FLOOR = 0.01
TOP_TWO_BETA = 0.9


@dataclass(frozen=True)
class BanditConfig:
    """A bandit experiment as configured: its arms with planned weights (summing to 1)."""

    experiment_id: str
    workflow: str
    planned: dict[str, float]
    min_units_per_arm: int
    seed: int
    randomization_unit: str = "user_key"


@dataclass(frozen=True)
class ArmRewards:
    """One arm's data: randomization units seen, and rewards (outcomes + proxies) of tasks."""

    randomization_units: int
    reward_successes: float
    reward_trials: float


@dataclass(frozen=True)
class ArmAllocation:
    alpha: float
    beta: float
    prob_best: float | None  # None while the planned weights hold
    weight: float
    is_updated: bool


def default_seed(experiment_id: str) -> int:
    """A seed that depends only on the experiment id (crc32: stable across processes)."""
    return zlib.crc32(experiment_id.encode("utf-8"))


def allocate(bandit: BanditConfig, rewards: Mapping[str, ArmRewards]) -> dict[str, ArmAllocation]:
    """Weights for every planned arm (an arm without data has 0 units). Arms seen in the data
    but not configured get no weight: the router cannot serve them."""
    empty = ArmRewards(randomization_units=0, reward_successes=0.0, reward_trials=0.0)
    arms = {arm: rewards.get(arm, empty) for arm in sorted(bandit.planned)}
    posteriors = {
        arm: (1.0 + r.reward_successes, 1.0 + r.reward_trials - r.reward_successes)
        for arm, r in arms.items()
    }
    ready = all(r.randomization_units >= bandit.min_units_per_arm for r in arms.values())
    if not ready:
        return {
            arm: ArmAllocation(a, b, None, bandit.planned[arm], False)
            for arm, (a, b) in posteriors.items()
        }
    weights = thompson_top_two(
        posteriors, draws=DRAWS, seed=bandit.seed, floor=FLOOR, beta=TOP_TWO_BETA
    )
    # the same seed and draws as the weights: the probabilities behind them
    best = best_arm_probabilities(posteriors, draws=DRAWS, seed=bandit.seed)
    return {
        arm: ArmAllocation(a, b, best[arm], weights[arm], True)
        for arm, (a, b) in posteriors.items()
    }


def load_bandits(directory: Path | None = None) -> list[BanditConfig]:
    """The experiments configured with `mode: bandit` (floop.experiments, which validates
    them), by id."""
    return [
        BanditConfig(
            experiment_id=e.experiment_id,
            workflow=e.workflow,
            planned={arm.name: arm.weight for arm in e.arms},
            min_units_per_arm=e.minimum_units_per_arm,
            seed=default_seed(e.experiment_id),
            randomization_unit=e.randomization_unit,
        )
        for e in load_experiments(directory)
        if e.mode == "bandit"
    ]
