-- Each task with interactions has at most one outcome-carrying row, and exactly one when it
-- has a non-shadow interaction; shadow rows never carry outcomes.
with rows_per_task as (
    select
        task_id,
        count(*) filter (where carries_outcome) as carriers,
        count(*) filter (where not is_shadow) as non_shadow,
        count(*) filter (where is_shadow and (carries_outcome or primary_outcome_value is not null))
            as shadow_with_outcome
    from {{ ref('fct_interactions') }}
    group by task_id
),

final as (
    select task_id, carriers, non_shadow, shadow_with_outcome
    from rows_per_task
    where carriers <> case when non_shadow > 0 then 1 else 0 end
        or shadow_with_outcome > 0
)

select * from final
