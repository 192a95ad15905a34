-- The workflows (task types) and the one primary outcome metric each is judged by.
with workflows as (
    select
        task_type,
        primary_outcome_metric,
        higher_is_better,
        owner,
        description
    from {{ ref('workflows') }}
),

final as (
    select
        task_type,
        primary_outcome_metric,
        higher_is_better,
        owner,
        description
    from workflows
)

select * from final
