-- One row per experiment x non-control arm x metric: the statistics of
-- int_experiment_tests (a dbt Python model over the per-arm sufficient statistics, see its
-- docstring) published under an enforced contract.
with tests as (
    select * from {{ ref('int_experiment_tests') }}
),

final as (
    select
        experiment_id,
        arm,
        control_arm,
        metric,
        metric_role,
        workflow,
        arm_version,
        control_version,
        control_units,
        arm_units,
        control_mean,
        arm_mean,
        lift_relative,
        lift_relative_ci_low,
        lift_relative_ci_high,
        p_value,
        lift_relative_seq_ci_low,
        lift_relative_seq_ci_high,
        seq_p_value,
        seq_p_value_holm,
        lift_absolute,
        lift_absolute_ci_low,
        lift_absolute_ci_high,
        lift_absolute_seq_ci_low,
        lift_absolute_seq_ci_high,
        chance_to_win,
        risk_control,
        risk_treatment,
        cuped_applied,
        cuped_theta,
        guardrail_threshold,
        guardrail_scale,
        guardrail_lower_bound,
        guardrail_upper_bound,
        guardrail_status,
        srm_p_value,
        is_srm,
        error
    from tests
)

select * from final
