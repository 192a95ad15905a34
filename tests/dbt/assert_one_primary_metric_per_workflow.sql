-- Each workflow in the seed declares exactly one primary outcome metric (not null, one row).
with workflows as (
    select task_type, primary_outcome_metric
    from {{ ref('workflows') }}
),

final as (
    select task_type, count(*) as rows, count(primary_outcome_metric) as primary_metrics
    from workflows
    group by task_type
    having count(*) <> 1 or count(primary_outcome_metric) <> 1
)

select * from final
