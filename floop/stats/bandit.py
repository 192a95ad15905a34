"""Bandit allocation: top-two Thompson sampling over Beta posteriors, with a floor per arm.

Each arm's reward is a success probability with a Beta(a, b) posterior (for a Bernoulli reward
and a uniform prior, a = successes + 1, b = failures + 1). `draws` joint samples from the
posteriors estimate each arm's probability of being best, p_i (ties, of probability 0, go to
the first arm in name order). Top-two Thompson sampling (Russo 2016, "Simple Bayesian
algorithms for best-arm identification", section 2.2) plays the sampled best arm with
probability beta and otherwise the best arm of a fresh sample that differs from it, so arm j is
played with probability

    psi_j = beta p_j + (1 - beta) sum over i != j of p_i p_j / (1 - p_i)

(when some p_i = 1 the challenger is uniform over the other arms). Russo recommends beta = 1/2
for pure best-arm identification, but that sends half of all traffic to challengers forever
(with two arms it is exactly 50/50 whatever the data). floop routes real users, so its default
beta = 0.9 plays the current leader 90% of the time and keeps about a tenth on the runner-up,
enough for the gates to keep measuring it; pass `beta` to choose otherwise. The floor then
mixes in a uniform share: w_j = floor + (1 - k floor) psi_j for k arms, so every weight is
>= floor and they sum to 1. The sampler is numpy's default Generator seeded with `seed`, and
arms are processed in sorted name order, so equal inputs give equal weights.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def best_arm_probabilities(
    arms: Mapping[str, tuple[float, float]], *, draws: int, seed: int
) -> dict[str, float]:
    """P(arm has the highest success probability), estimated from `draws` seeded samples."""
    names = sorted(arms)
    rng = np.random.default_rng(seed)
    alphas = np.array([arms[name][0] for name in names], dtype=float)
    betas = np.array([arms[name][1] for name in names], dtype=float)
    samples = rng.beta(alphas, betas, size=(draws, len(names)))
    wins = np.bincount(samples.argmax(axis=1), minlength=len(names))
    return {name: float(w) / draws for name, w in zip(names, wins, strict=True)}


def top_two_shares(best: Mapping[str, float], beta: float) -> dict[str, float]:
    """psi_j of the module docstring from the best-arm probabilities."""
    names = sorted(best)
    shares = {}
    for j in names:
        challenger = 0.0
        for i in names:
            if i == j:
                continue
            others = 1 - best[i]
            if others > 0:
                challenger += best[i] * best[j] / others
            else:
                challenger += best[i] / (len(names) - 1)
        shares[j] = beta * best[j] + (1 - beta) * challenger
    return shares


def thompson_top_two(
    arms: Mapping[str, tuple[float, float]],
    *,
    draws: int = 10_000,
    seed: int,
    floor: float = 0.01,
    beta: float = 0.9,
) -> dict[str, float]:
    """Allocation weights per arm (sum 1, each >= floor) from Beta(a, b) posteriors."""
    if not arms:
        raise ValueError("a bandit needs at least one arm")
    for name, (a, b) in arms.items():
        if not (a > 0 and b > 0):
            raise ValueError(f"arm {name!r}: Beta parameters must be > 0, got ({a}, {b})")
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    if not 0 <= floor <= 1 / len(arms):
        raise ValueError(f"floor must be in [0, 1/{len(arms)}], got {floor}")
    if not 0 <= beta <= 1:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    if len(arms) == 1:
        return {next(iter(arms)): 1.0}
    best = best_arm_probabilities(arms, draws=draws, seed=seed)
    shares = top_two_shares(best, beta)
    k = len(arms)
    return {name: floor + (1 - k * floor) * shares[name] for name in sorted(arms)}
