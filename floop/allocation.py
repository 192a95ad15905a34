"""Bandit allocation: the weights a router gives each arm of a bandit experiment.

Per arm, the reward is a Bernoulli success with a Beta posterior under a uniform prior:
alpha = 1 + successes, beta = 1 + failures, where a task whose primary outcome has arrived
counts its outcome and a task still waiting counts the proxy of its implicit signals (a
fraction of a success; the SQL intermediates `int_experiment_arm_rewards` and
`int_implicit_signal_calibration` compute both). Weights are top-two Thompson sampling
(`floop.stats.thompson_top_two`: 10,000 seeded draws, a floor of 1% per arm, beta 0.9). Until
every arm has `min_units_per_arm` units the planned weights stay: a bandit that moved traffic
on a handful of tasks would starve an arm before it was measured.

The same rewards and the same configuration always give the same weights (the seed is the
configuration's, else a checksum of the experiment id).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from floop import config
from floop.errors import OperationalError
from floop.stats import thompson_top_two
from floop.stats.bandit import best_arm_probabilities

DRAWS = 10_000
FLOOR = 0.01
TOP_TWO_BETA = 0.9
DEFAULT_MIN_UNITS_PER_ARM = 100
EXPERIMENTS_DIR = config.PROJECT_DIR / "experiments"


@dataclass(frozen=True)
class BanditConfig:
    """A bandit experiment as configured: its arms with planned weights (summing to 1)."""

    experiment_id: str
    workflow: str
    planned: dict[str, float]
    min_units_per_arm: int
    seed: int


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


def load_bandits(directory: Path = EXPERIMENTS_DIR) -> list[BanditConfig]:
    """The experiments configured with `mode: bandit` in DIRECTORY/*.yml, by id.

    Reads only the keys the allocation needs (experiment_id, workflow, mode, arms,
    min_units_per_arm, seed); the full validation of an experiment file belongs to the
    experiment configuration loader."""
    bandits = []
    for path in sorted(directory.glob("*.yml")) if directory.is_dir() else []:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict):
            raise OperationalError(f"{path}: expected a mapping of keys, got {type(doc).__name__}")
        if doc.get("mode") == "bandit":
            bandits.append(_bandit(path, doc))
    return sorted(bandits, key=lambda b: b.experiment_id)


def _bandit(path: Path, doc: dict[str, Any]) -> BanditConfig:
    experiment_id = doc.get("experiment_id", path.stem)
    workflow = doc.get("workflow")
    if not isinstance(workflow, str) or not workflow:
        raise OperationalError(f"{path}: key 'workflow': expected a workflow name")
    planned = _planned_weights(path, doc.get("arms"))
    min_units = doc.get("min_units_per_arm", DEFAULT_MIN_UNITS_PER_ARM)
    if not isinstance(min_units, int) or isinstance(min_units, bool) or min_units < 1:
        raise OperationalError(f"{path}: key 'min_units_per_arm': expected an integer >= 1")
    seed = doc.get("seed", default_seed(str(experiment_id)))
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise OperationalError(f"{path}: key 'seed': expected an integer >= 0")
    return BanditConfig(str(experiment_id), workflow, planned, min_units, seed)


def _planned_weights(path: Path, arms: object) -> dict[str, float]:
    """Arms as a list of names (equal weights), a mapping name -> weight, or a list of
    {name, weight}; weights are normalised to sum to 1."""
    if isinstance(arms, list) and all(isinstance(a, str) for a in arms):
        raw: dict[str, object] = {a: 1.0 for a in arms}
    elif isinstance(arms, list) and all(isinstance(a, dict) and "name" in a for a in arms):
        raw = {str(a["name"]): a.get("weight", 1.0) for a in arms}
    elif isinstance(arms, dict):
        raw = {str(k): v for k, v in arms.items()}
    else:
        raw = {}
    weights = {k: v for k, v in raw.items() if isinstance(v, int | float) and v > 0}
    if len(raw) < 2 or len(weights) != len(raw):
        raise OperationalError(
            f"{path}: key 'arms': expected at least two arms with positive weights"
        )
    total = float(sum(weights.values()))
    return {k: float(v) / total for k, v in weights.items()}
