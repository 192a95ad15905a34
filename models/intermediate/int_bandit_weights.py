"""Bandit weights per arm: top-two Thompson sampling over the arms' Beta posteriors
(floop.bandit_weights, floop.allocation). A Python model because the seeded sampling is numpy's
(SQL has no reproducible Beta sampler); it only sees one row per arm — the row-level work
(outcomes, proxies, calibration) is SQL in int_experiment_arm_rewards, whose columns it carries
on for the mart. The bandits and their arms come from experiments/*.yml (mode: bandit). On the
spark target the SQL model of the same name (int_bandit_weights.sql) stands in for it, over the
same function's output (docs/scale-out.md)."""

from floop.bandit_weights import bandit_weights


def model(dbt, session):
    dbt.config(materialized="table")
    return bandit_weights(dbt.ref("int_experiment_arm_rewards"))
