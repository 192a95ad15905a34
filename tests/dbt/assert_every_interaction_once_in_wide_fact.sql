-- Reconciliation: every accepted, non-duplicate interaction (raw, deduped on output_id as
-- staging does) appears exactly once in fct_interactions, and nothing else does.
-- Returns the offending output_ids; any row fails the build.
-- Reported in Dagster as a (blocking) check on fct_interactions.
{{ config(meta={'dagster': {'ref': {'name': 'fct_interactions'}}}) }}
with landed as (
    select distinct output_id
    from {{ source('events', 'interaction_events') }}
),

wide as (
    select output_id, count(*) as copies
    from {{ ref('fct_interactions') }}
    group by output_id
),

final as (
    select
        coalesce(landed.output_id, wide.output_id) as output_id,
        case
            when wide.output_id is null then 'missing from fct_interactions'
            when landed.output_id is null then 'not in raw.interaction_events'
            else 'appears ' || wide.copies || ' times'
        end as problem
    from landed
    full outer join wide on landed.output_id = wide.output_id
    where wide.output_id is null or landed.output_id is null or wide.copies <> 1
)

select output_id, problem from final
