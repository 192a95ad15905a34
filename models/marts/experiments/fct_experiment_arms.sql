-- One row per experiment arm (experiment_id x variant), over non-shadow interactions: its
-- primary outcome rate with a Wilson interval, and the difference against the control arm
-- (the configured control_arm; for an experiment without a config the variant 'control',
-- else the first variant alphabetically: int_experiment_config) with a 95% interval by the
-- normal approximation for a difference of two independent proportions.
with interactions as (
    select
        experiment_id,
        variant,
        task_type,
        task_id,
        interacted_at,
        carries_outcome,
        primary_outcome_value,
        thumbs_up_count,
        thumbs_down_count,
        weighted_thumbs_up,
        weighted_thumbs_down,
        is_retried
    from {{ ref('fct_interactions') }}
    where not is_shadow and experiment_id is not null
),

experiments as (
    select experiment_id, control_arm
    from {{ ref('int_experiment_config') }}
),

arms as (
    select
        experiment_id,
        coalesce(variant, '(none)') as variant,
        {{ string_agg_ordered('task_type', "','", 'task_type', distinct=true) }} as task_types,
        min(interacted_at) as first_seen_at,
        max(interacted_at) as last_seen_at,
        count(*) as interactions,
        count(distinct task_id) as distinct_tasks,
        count(*) filter (where carries_outcome) as tasks_attributed,
        count(*) filter (where carries_outcome and primary_outcome_value is not null)
            as tasks_with_outcome,
        count(*) filter (where carries_outcome and primary_outcome_value > 0) as successes,
        cast(sum(thumbs_up_count) as bigint) as thumbs_up_count,
        cast(sum(thumbs_down_count) as bigint) as thumbs_down_count,
        sum(weighted_thumbs_up) as weighted_thumbs_up,
        sum(weighted_thumbs_down) as weighted_thumbs_down,
        count(*) filter (where is_retried) as retried_interactions
    from interactions
    group by all
),

controls as (
    select
        experiment_id,
        coalesce(control_arm, '(none)') as control_variant
    from experiments
),

with_control as (
    select
        arms.*,
        controls.control_variant,
        arms.variant = controls.control_variant as is_control,
        control.tasks_with_outcome as control_tasks_with_outcome,
        control.successes as control_successes
    from arms
    inner join controls on arms.experiment_id = controls.experiment_id
    -- a configured control that served nothing leaves the deltas null, not the arms out
    left join arms as control
        on controls.experiment_id = control.experiment_id
        and controls.control_variant = control.variant
),

final as (
    select
        experiment_id,
        variant,
        control_variant,
        is_control,
        task_types,
        first_seen_at,
        last_seen_at,
        interactions,
        distinct_tasks,
        tasks_attributed,
        tasks_with_outcome,
        {{ rate_columns('primary_outcome_rate', 'successes', 'tasks_with_outcome') }},
        {{ safe_rate('control_successes', 'control_tasks_with_outcome') }}
            as control_primary_outcome_rate,
        {{ prop_diff_columns(
            'delta_vs_control',
            'successes', 'tasks_with_outcome',
            'control_successes', 'control_tasks_with_outcome'
        ) }},
        thumbs_up_count,
        thumbs_down_count,
        {{ thumbs_up_share('thumbs_up_count', 'thumbs_down_count') }} as thumbs_up_share,
        {{ thumbs_up_share('weighted_thumbs_up', 'weighted_thumbs_down') }}
            as weighted_thumbs_up_share,
        {{ rate_columns('retry_rate', 'retried_interactions', 'interactions') }}
    from with_control
)

select * from final
