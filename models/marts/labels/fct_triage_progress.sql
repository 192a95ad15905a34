-- Progress of the triage queue per assignee. Grain: one row per (task_type, triage_week,
-- assignee) with queued items.
with queue as (
    select
        task_type,
        triage_week,
        assignee,
        status
    from {{ ref('fct_triage_queue') }}
),

counts as (
    select
        task_type,
        triage_week,
        assignee,
        count(*) as assigned_count,
        sum(case when status = 'labeled' then 1 else 0 end) as labeled_count
    from queue
    group by task_type, triage_week, assignee
),

final as (
    select
        task_type,
        triage_week,
        assignee,
        cast(assigned_count as bigint) as assigned_count,
        cast(labeled_count as bigint) as labeled_count,
        cast(assigned_count - labeled_count as bigint) as open_count,
        {{ safe_rate('labeled_count', 'assigned_count') }} as labeled_share
    from counts
)

select * from final
