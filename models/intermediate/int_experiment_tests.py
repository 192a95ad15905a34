"""One row per experiment x non-control arm x metric: lifts, intervals (fixed and sequential),
p-values (Holm-adjusted for the goal metric), chance to win and risk, CUPED, guardrail status
and the experiment's SRM p-value, computed by floop.experiment_results (floop.stats, equal to
gbstats 0.8.0) from the per-arm sufficient statistics. Only per-arm rows reach Python: the
row-level work is the SQL of marts.fct_experiment_arm_stats and int_experiment_arm_latency.
marts.fct_experiment_results publishes it under an enforced contract. On the spark target the
SQL model of the same name (int_experiment_tests.sql) stands in for it, over the same
function's output (docs/scale-out.md)."""

from floop.experiment_results import experiment_tests


def model(dbt, session):
    dbt.config(materialized="table")
    return experiment_tests(
        dbt.ref("fct_experiment_arm_stats"), dbt.ref("int_experiment_arm_latency")
    )
