"""Bandit weights per arm: top-two Thompson sampling over the arms' Beta posteriors
(floop.allocation). A Python model because the seeded sampling is numpy's (SQL has no
reproducible Beta sampler); it only sees one row per arm — the row-level work (outcomes,
proxies, calibration) is SQL in int_experiment_arm_rewards. The bandits and their arms come
from experiments/*.yml (mode: bandit)."""

import pandas as pd

from floop.allocation import DRAWS, FLOOR, ArmRewards, allocate, load_bandits

# the configured randomization unit -> the column of int_experiment_arm_rewards counting it
UNIT_COLUMNS = {
    "user_key": "distinct_users",
    "session_id": "distinct_sessions",
    "task_id": "tasks_served",
}
COLUMNS = [
    "experiment_id",
    "variant",
    "task_type",
    "planned_weight",
    "randomization_unit",
    "randomization_units",
    "min_units_per_arm",
    "seed",
    "draws",
    "floor_weight",
    "posterior_alpha",
    "posterior_beta",
    "prob_best",
    "weight",
    "is_updated",
]


def model(dbt, session):
    dbt.config(materialized="table")
    rewards = dbt.ref("int_experiment_arm_rewards").df()
    rows = []
    for bandit in load_bandits():
        mine = rewards[rewards["experiment_id"] == bandit.experiment_id]
        arms = {
            r.variant: ArmRewards(
                randomization_units=int(getattr(r, UNIT_COLUMNS[bandit.randomization_unit])),
                reward_successes=float(r.successes + r.proxy_reward_sum),
                reward_trials=float(r.tasks_with_outcome + r.tasks_with_proxy),
            )
            for r in mine.itertuples()
        }
        for variant, alloc in allocate(bandit, arms).items():
            rows.append(
                (
                    bandit.experiment_id,
                    variant,
                    bandit.workflow,
                    bandit.planned[variant],
                    bandit.randomization_unit,
                    arms[variant].randomization_units if variant in arms else 0,
                    bandit.min_units_per_arm,
                    bandit.seed,
                    DRAWS,
                    FLOOR,
                    alloc.alpha,
                    alloc.beta,
                    alloc.prob_best,
                    alloc.weight,
                    alloc.is_updated,
                )
            )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype(
        {
            "experiment_id": "string",
            "variant": "string",
            "task_type": "string",
            "planned_weight": "float64",
            "randomization_unit": "string",
            "randomization_units": "int64",
            "min_units_per_arm": "int64",
            "seed": "int64",
            "draws": "int64",
            "floor_weight": "float64",
            "posterior_alpha": "float64",
            "posterior_beta": "float64",
            "prob_best": "Float64",
            "weight": "float64",
            "is_updated": "bool",
        }
    )
