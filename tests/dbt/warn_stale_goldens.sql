-- Warns (does not fail) on golden tasks older than their refresh cadence at the run's clock
-- (floop_now()): their owner should review or rewrite them.
{{ config(severity='warn') }}

with goldens as (
    select workflow, golden_task_id, owner, created_at, refresh_cadence_days
    from {{ ref('golden_tasks') }}
),

final as (
    select
        workflow,
        golden_task_id,
        owner,
        created_at,
        refresh_cadence_days,
        {{ dbt.datediff('created_at', 'cast(' ~ floop_now() ~ ' as date)', 'day') }} as age_days
    from goldens
    where
        {{ dbt.dateadd('day', 'refresh_cadence_days', 'created_at') }}
        < cast({{ floop_now() }} as date)
)

select * from final
