"""The table of the dbt model `int_bandit_weights`: per arm of every configured bandit, the Beta
posterior and the weight by top-two Thompson sampling (floop.allocation), with the arm's counts
carried on from `int_experiment_arm_rewards` (one row per experiment and variant, the only rows
that reach Python). The dbt Python model calls `bandit_weights` on DuckDB; on Spark the floop
step between the build's phases calls it on the same rows read from Parquet
(floop.spark_stats)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from floop.allocation import DRAWS, FLOOR, ArmRewards, allocate, load_bandits

# the configured randomization unit -> the column of int_experiment_arm_rewards counting it
UNIT_COLUMNS = {
    "user_key": "distinct_users",
    "session_id": "distinct_sessions",
    "task_id": "tasks_served",
}
# carried from int_experiment_arm_rewards (0 / null for an arm without data)
COUNTS = ["tasks_served", "tasks_with_outcome", "successes", "tasks_pending_outcome"]
COUNTS += ["tasks_with_proxy"]
CARRIED = ["proxy_reward_sum", "calibration_predicted_rate", "calibration_observed_rate"]
CARRIED += ["data_watermark"]
TYPES = {
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
    **{c: "int64" for c in COUNTS},
    "proxy_reward_sum": "float64",
    "calibration_predicted_rate": "Float64",
    "calibration_observed_rate": "Float64",
    "data_watermark": "datetime64[us]",
}


def bandit_weights(arm_rewards: Any) -> pd.DataFrame:
    """The model's rows from ARM_REWARDS, the rows of int_experiment_arm_rewards (a DuckDB
    relation: anything with `.df()`)."""
    rewards = arm_rewards.df()
    rows = []
    for bandit in load_bandits():
        data = {
            r["variant"]: r
            for r in rewards[rewards["experiment_id"] == bandit.experiment_id].to_dict("records")
        }
        unit_column = UNIT_COLUMNS[bandit.randomization_unit]
        arms = {
            variant: ArmRewards(
                randomization_units=int(r[unit_column]),
                reward_successes=float(r["successes"] + r["proxy_reward_sum"]),
                reward_trials=float(r["tasks_with_outcome"] + r["tasks_with_proxy"]),
            )
            for variant, r in data.items()
        }
        for variant, alloc in allocate(bandit, arms).items():
            r = data.get(variant, {})
            rows.append(
                {
                    "experiment_id": bandit.experiment_id,
                    "variant": variant,
                    "task_type": bandit.workflow,
                    "planned_weight": bandit.planned[variant],
                    "randomization_unit": bandit.randomization_unit,
                    "randomization_units": int(r.get(unit_column, 0)),
                    "min_units_per_arm": bandit.min_units_per_arm,
                    "seed": bandit.seed,
                    "draws": DRAWS,
                    "floor_weight": FLOOR,
                    "posterior_alpha": alloc.alpha,
                    "posterior_beta": alloc.beta,
                    "prob_best": alloc.prob_best,
                    "weight": alloc.weight,
                    "is_updated": alloc.is_updated,
                    **{c: int(r.get(c, 0)) for c in COUNTS},
                    "proxy_reward_sum": float(r.get("proxy_reward_sum", 0.0)),
                    **{c: r.get(c) for c in CARRIED[1:]},
                }
            )
    return pd.DataFrame(rows, columns=list(TYPES)).astype(TYPES)
