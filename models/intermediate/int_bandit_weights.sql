{{ config(enabled=floop_on_spark()) }}
-- depends_on: {{ ref('int_experiment_arm_rewards') }}
-- On the spark target, int_bandit_weights: the dbt Python model of that name runs on
-- DuckDB only (dbt-spark runs Python models on Databricks alone). Its rows come from the same
-- function, floop.bandit_weights.bandit_weights,
-- which the floop step between the Spark build's phases runs on the Parquet of the inputs
-- above (floop.spark_stats) and writes as one Parquet file; read here with the Python
-- model's column types. Grain and columns: as the Python model's (_models.yml).
with weights as (
    select * from {{ floop_python_output('int_bandit_weights') }}
),

final as (
    select
        cast(experiment_id as string) as experiment_id,
        cast(variant as string) as variant,
        cast(task_type as string) as task_type,
        cast(planned_weight as double) as planned_weight,
        cast(randomization_unit as string) as randomization_unit,
        cast(randomization_units as bigint) as randomization_units,
        cast(min_units_per_arm as bigint) as min_units_per_arm,
        cast(seed as bigint) as seed,
        cast(draws as bigint) as draws,
        cast(floor_weight as double) as floor_weight,
        cast(posterior_alpha as double) as posterior_alpha,
        cast(posterior_beta as double) as posterior_beta,
        cast(prob_best as double) as prob_best,
        cast(weight as double) as weight,
        cast(is_updated as boolean) as is_updated,
        cast(tasks_served as bigint) as tasks_served,
        cast(tasks_with_outcome as bigint) as tasks_with_outcome,
        cast(successes as bigint) as successes,
        cast(tasks_pending_outcome as bigint) as tasks_pending_outcome,
        cast(tasks_with_proxy as bigint) as tasks_with_proxy,
        cast(proxy_reward_sum as double) as proxy_reward_sum,
        cast(calibration_predicted_rate as double) as calibration_predicted_rate,
        cast(calibration_observed_rate as double) as calibration_observed_rate,
        cast(data_watermark as timestamp) as data_watermark
    from weights
)

select * from final
