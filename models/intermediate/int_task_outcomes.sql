{{
    config(
        materialized=floop_incremental(),
        incremental_strategy='delete+insert',
        unique_key='task_id',
        on_schema_change='fail'
    )
}}
-- One row per task with any outcome: its primary outcome (the workflow's declared metric) and
-- every other metric as secondary outcomes (JSON object name -> value), never dropped.
with latest as (
    select
        task_id,
        outcome_metric_name,
        task_type,
        outcome_metric_value,
        outcome_at,
        is_primary,
        is_corrected,
        last_ingested_at
    from {{ ref('int_outcomes_latest') }}
    {% if is_incremental() %}
    where
        task_id in (
            select task_id from {{ ref('int_outcomes_latest') }}
            where last_ingested_at > {{ watermark('last_ingested_at') }}
        )
    {% endif %}
),

secondary as (
    select
        task_id,
        count(*) as secondary_outcome_count,
        {{ json_object_agg('outcome_metric_name', 'outcome_metric_value') }} as secondary_outcomes
    from latest
    where not is_primary
    group by task_id
),

per_task as (
    select
        task_id,
        any_value(task_type) as task_type,
        max(outcome_metric_name) filter (where is_primary) as primary_outcome_metric,
        max(outcome_metric_value) filter (where is_primary) as primary_outcome_value,
        max(outcome_at) filter (where is_primary) as primary_outcome_at,
        coalesce(bool_or(is_corrected) filter (where is_primary), false)
            as primary_outcome_corrected,
        max(outcome_at) as last_outcome_at,
        max(last_ingested_at) as last_ingested_at
    from latest
    group by task_id
),

final as (
    select
        per_task.task_id,
        per_task.task_type,
        per_task.primary_outcome_metric,
        per_task.primary_outcome_value,
        per_task.primary_outcome_at,
        per_task.primary_outcome_corrected,
        coalesce(secondary.secondary_outcome_count, 0) as secondary_outcome_count,
        secondary.secondary_outcomes,
        per_task.last_outcome_at,
        per_task.last_ingested_at
    from per_task
    left join secondary on per_task.task_id = secondary.task_id
)

select * from final
