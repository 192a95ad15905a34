{{ config(enabled=floop_on_spark()) }}
-- depends_on: {{ ref('fct_experiment_arm_stats') }}
-- depends_on: {{ ref('int_experiment_arm_latency') }}
-- On the spark target, int_experiment_tests: the dbt Python model of that name runs on
-- DuckDB only (dbt-spark runs Python models on Databricks alone). Its rows come from the same
-- function, floop.experiment_results.experiment_tests,
-- which the floop step between the Spark build's phases runs on the Parquet of the inputs
-- above (floop.spark_stats) and writes as one Parquet file; read here with the Python
-- model's column types. Grain and columns: as the Python model's (_models.yml).
with results as (
    select * from {{ floop_python_output('int_experiment_tests') }}
),

final as (
    select
        cast(experiment_id as string) as experiment_id,
        cast(arm as string) as arm,
        cast(control_arm as string) as control_arm,
        cast(metric as string) as metric,
        cast(metric_role as string) as metric_role,
        cast(workflow as string) as workflow,
        cast(arm_version as string) as arm_version,
        cast(control_version as string) as control_version,
        cast(control_units as bigint) as control_units,
        cast(arm_units as bigint) as arm_units,
        cast(control_mean as double) as control_mean,
        cast(arm_mean as double) as arm_mean,
        cast(lift_relative as double) as lift_relative,
        cast(lift_relative_ci_low as double) as lift_relative_ci_low,
        cast(lift_relative_ci_high as double) as lift_relative_ci_high,
        cast(p_value as double) as p_value,
        cast(lift_relative_seq_ci_low as double) as lift_relative_seq_ci_low,
        cast(lift_relative_seq_ci_high as double) as lift_relative_seq_ci_high,
        cast(seq_p_value as double) as seq_p_value,
        cast(seq_p_value_holm as double) as seq_p_value_holm,
        cast(lift_absolute as double) as lift_absolute,
        cast(lift_absolute_ci_low as double) as lift_absolute_ci_low,
        cast(lift_absolute_ci_high as double) as lift_absolute_ci_high,
        cast(lift_absolute_seq_ci_low as double) as lift_absolute_seq_ci_low,
        cast(lift_absolute_seq_ci_high as double) as lift_absolute_seq_ci_high,
        cast(chance_to_win as double) as chance_to_win,
        cast(risk_control as double) as risk_control,
        cast(risk_treatment as double) as risk_treatment,
        cast(cuped_applied as boolean) as cuped_applied,
        cast(cuped_theta as double) as cuped_theta,
        cast(guardrail_threshold as double) as guardrail_threshold,
        cast(guardrail_scale as string) as guardrail_scale,
        cast(guardrail_lower_bound as double) as guardrail_lower_bound,
        cast(guardrail_upper_bound as double) as guardrail_upper_bound,
        cast(guardrail_status as string) as guardrail_status,
        cast(srm_p_value as double) as srm_p_value,
        cast(is_srm as boolean) as is_srm,
        cast(error as string) as error
    from results
)

select * from final
