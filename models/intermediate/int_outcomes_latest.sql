{{
    config(
        materialized=floop_incremental(),
        incremental_strategy='delete+insert',
        unique_key='task_id',
        on_schema_change='fail'
    )
}}
-- The outcome of a task: for each (task_id, outcome_metric_name) the value with the latest
-- timestamp (UTC). A later outcome replaces an earlier one; ties go to the later ingested,
-- then the larger event_id, so the choice is deterministic.
with outcomes as (
    select
        event_id,
        tenant_id,
        task_type,
        task_id,
        outcome_metric_name,
        outcome_metric_value,
        event_at,
        ingested_at
    from {{ ref('stg_outcomes') }}
    {% if is_incremental() %}
    -- re-decide every task with an outcome ingested since the last run (all its metrics)
    where
        task_id in (
            select task_id from {{ ref('stg_outcomes') }}
            where ingested_at > {{ watermark('last_ingested_at') }}
        )
    {% endif %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by task_id, outcome_metric_name
            order by event_at desc, ingested_at desc, event_id desc
        ) as recency_rank,
        count(*) over (partition by task_id, outcome_metric_name) as reported_count,
        max(ingested_at) over (partition by task_id, outcome_metric_name) as last_ingested_at
    from outcomes
),

workflows as (
    select task_type, primary_outcome_metric
    from {{ ref('workflows') }}
),

final as (
    select
        ranked.task_id,
        ranked.outcome_metric_name,
        ranked.tenant_id,
        ranked.task_type,
        ranked.outcome_metric_value,
        ranked.event_at as outcome_at,
        ranked.event_id as outcome_event_id,
        ranked.reported_count,
        ranked.reported_count > 1 as is_corrected,
        coalesce(ranked.outcome_metric_name = workflows.primary_outcome_metric, false)
            as is_primary,
        ranked.ingested_at,
        ranked.last_ingested_at
    from ranked
    left join workflows on ranked.task_type = workflows.task_type
    where ranked.recency_rank = 1
)

select * from final
