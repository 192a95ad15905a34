"""One row per experiment x non-control arm x metric: lifts, intervals (fixed and sequential),
p-values (Holm-adjusted for the goal metric), chance to win and risk, CUPED, guardrail status
and the experiment's SRM p-value, computed by floop.experiment_results (floop.stats, equal to
gbstats 0.8.0) from the per-arm sufficient statistics. Only per-arm rows reach Python: the
row-level work is the SQL of marts.fct_experiment_arm_stats and int_experiment_arm_latency.
marts.fct_experiment_results publishes it under an enforced contract."""

import pyarrow as pa

from floop.experiment_results import RESULT_COLUMNS, experiment_results


def model(dbt, session):
    dbt.config(materialized="table")
    stats = dbt.ref("fct_experiment_arm_stats").to_arrow_table().to_pylist()
    latency = dbt.ref("int_experiment_arm_latency").to_arrow_table().to_pylist()
    rows = experiment_results(stats, latency)
    schema = pa.schema([(name, pa.type_for_alias(kind)) for name, kind in RESULT_COLUMNS.items()])
    return pa.Table.from_pylist(rows, schema=schema)
