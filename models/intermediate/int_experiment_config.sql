-- One row per experiment, configured (seed experiments, from experiments/*.yml) or only seen
-- in events: its settings with the defaults (seed experiment_defaults) filled in for
-- experiments that have no config. Exposure times are over non-shadow interactions.
with configured as (
    select * from {{ ref('experiments') }}
),

defaults as (
    select * from {{ ref('experiment_defaults') }}
),

exposures as (
    select experiment_id, variant, task_type, interacted_at
    from {{ ref('fct_interactions') }}
    where not is_shadow and experiment_id is not null
),

seen as (
    select
        experiment_id,
        min(interacted_at) as first_exposure_at,
        max(interacted_at) as last_exposure_at,
        count(distinct task_type) as workflows_seen,
        min(task_type) as first_workflow,
        coalesce(max(variant) filter (where variant = 'control'), min(variant)) as seen_control
    from exposures
    group by experiment_id
),

final as (
    select
        coalesce(configured.experiment_id, seen.experiment_id) as experiment_id,
        coalesce(configured.workflow, seen.first_workflow) as workflow,
        configured.experiment_id is not null as is_configured,
        coalesce(configured.start_at, seen.first_exposure_at) as start_at,
        seen.first_exposure_at,
        seen.last_exposure_at,
        coalesce(seen.workflows_seen, 0) as workflows_seen,
        coalesce(configured.mode, defaults.mode) as experiment_mode,
        coalesce(configured.randomization_unit, defaults.randomization_unit)
            as randomization_unit,
        coalesce(configured.minimum_units_per_arm, defaults.minimum_units_per_arm)
            as minimum_units_per_arm,
        coalesce(configured.alpha, defaults.alpha) as alpha,
        coalesce(configured.non_inferiority_margin, defaults.non_inferiority_margin)
            as non_inferiority_margin,
        coalesce(
            configured.latency_p95_max_relative_increase,
            defaults.latency_p95_max_relative_increase
        ) as latency_p95_max_relative_increase,
        coalesce(configured.safety_eval_metric, defaults.safety_eval_metric)
            as safety_eval_metric,
        coalesce(
            configured.safety_violation_max_absolute_increase,
            defaults.safety_violation_max_absolute_increase
        ) as safety_violation_max_absolute_increase,
        coalesce(
            configured.output_tokens_max_relative_increase,
            defaults.output_tokens_max_relative_increase
        ) as output_tokens_max_relative_increase,
        coalesce(configured.control_arm, seen.seen_control) as control_arm,
        configured.config_file
    from configured
    full outer join seen on configured.experiment_id = seen.experiment_id
    cross join defaults
)

select * from final
