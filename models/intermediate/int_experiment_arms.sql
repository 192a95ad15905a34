-- One row per experiment arm: the configured arms (seed experiment_arms) and the arms seen in
-- events. Planned weights: the config's; an arm seen but not configured gets 0 (a broken
-- assignment); arms of an experiment without a config share the weight equally. The
-- experiment's workflow, alpha and guardrail thresholds ride along for the statistics.
with experiments as (
    select
        experiment_id,
        workflow,
        is_configured,
        control_arm,
        alpha,
        latency_p95_max_relative_increase,
        safety_violation_max_absolute_increase,
        output_tokens_max_relative_increase
    from {{ ref('int_experiment_config') }}
),

configured_arms as (
    select * from {{ ref('experiment_arms') }}
),

seen_arms as (
    select distinct experiment_id, variant as arm
    from {{ ref('fct_interactions') }}
    where not is_shadow and experiment_id is not null and variant is not null
),

arms as (
    select
        coalesce(configured_arms.experiment_id, seen_arms.experiment_id) as experiment_id,
        coalesce(configured_arms.arm, seen_arms.arm) as arm,
        configured_arms.planned_weight,
        configured_arms.arm_version,
        configured_arms.arm is not null as is_planned,
        seen_arms.arm is not null as is_seen
    from configured_arms
    full outer join seen_arms
        on configured_arms.experiment_id = seen_arms.experiment_id
        and configured_arms.arm = seen_arms.arm
),

final as (
    select
        arms.experiment_id,
        arms.arm,
        arms.arm = experiments.control_arm as is_control,
        case
            when experiments.is_configured then coalesce(arms.planned_weight, 0.0)
            else 1.0 / count(*) over (partition by arms.experiment_id)
        end as planned_weight,
        coalesce(arms.arm_version, arms.arm) as arm_version,
        arms.is_planned or not experiments.is_configured as is_planned,
        arms.is_seen,
        experiments.workflow,
        experiments.alpha,
        experiments.latency_p95_max_relative_increase,
        experiments.safety_violation_max_absolute_increase,
        experiments.output_tokens_max_relative_increase
    from arms
    inner join experiments on arms.experiment_id = experiments.experiment_id
)

select * from final
