{{
    config(
        materialized=floop_incremental(),
        incremental_strategy='delete+insert',
        unique_key='task_id',
        on_schema_change='fail'
    )
}}
-- Attribution of a task's outcome: the task's last non-shadow interaction by timestamp carries
-- it (ties: the larger output_id); earlier non-shadow interactions of the task (retries) are
-- superseded. Shadow interactions neither carry nor are superseded: they are compared on
-- evaluations only. One row per interaction (output_id).
with interactions as (
    select
        output_id,
        task_id,
        is_shadow,
        event_at,
        ingested_at
    from {{ ref('stg_interactions') }}
    {% if is_incremental() %}
    -- re-rank every task that got an interaction since the last run
    where
        task_id in (
            select task_id from {{ ref('stg_interactions') }}
            where ingested_at > {{ watermark('task_last_ingested_at') }}
        )
    {% endif %}
),

ranked as (
    select
        output_id,
        task_id,
        is_shadow,
        case
            when not is_shadow
                then
                    row_number() over (
                        partition by task_id, is_shadow
                        order by event_at desc, output_id desc
                    )
        end as recency_rank,
        count(*) filter (where not is_shadow) over (partition by task_id) as task_interaction_count,
        max(ingested_at) over (partition by task_id) as task_last_ingested_at
    from interactions
),

final as (
    select
        output_id,
        task_id,
        coalesce(recency_rank = 1, false) as carries_outcome,
        coalesce(recency_rank > 1, false) as is_superseded,
        -- 1 = the first attempt of the task, counting non-shadow interactions only
        case
            when recency_rank is not null
                then task_interaction_count - recency_rank + 1
        end as task_attempt_number,
        task_interaction_count,
        task_last_ingested_at
    from ranked
)

select * from final
