-- Every workflow declared in the workflows seed has at least 3 golden tasks: fewer cannot
-- tell a version's regression from one task's noise. Fails with the workflows short of it.
-- Two seeds are read; Dagster shows the check on the goldens seed.
{{ config(meta={'dagster': {'ref': {'name': 'golden_tasks'}}}) }}
with workflows as (
    select task_type from {{ ref('workflows') }}
),

goldens as (
    select workflow, golden_task_id from {{ ref('golden_tasks') }}
),

counted as (
    select
        workflows.task_type as workflow,
        count(goldens.golden_task_id) as golden_tasks
    from workflows
    left join goldens on workflows.task_type = goldens.workflow
    group by workflows.task_type
),

final as (
    select workflow, golden_tasks
    from counted
    where golden_tasks < 3
)

select * from final
