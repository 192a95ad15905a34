{{ config(materialized='view') }}
-- Orphan feedback per ingest day of the feedback: feedback pointing at no interaction when it
-- arrived, and how much of it a later interaction resolved. One row per ingested_date with
-- feedback.
with feedback as (
    select output_id, ingested_at, cast(ingested_at as date) as ingested_date
    from {{ ref('stg_feedback') }}
),

interaction_arrivals as (
    select output_id, ingested_at
    from {{ ref('stg_interactions') }}
),

feedback_matched as (
    select
        feedback.ingested_date,
        interaction_arrivals.ingested_at as interaction_ingested_at,
        feedback.ingested_at
    from feedback
    left join interaction_arrivals on feedback.output_id = interaction_arrivals.output_id
),

final as (
    select
        ingested_date,
        count(*) as feedback_received,
        -- orphan on arrival: its interaction had not been ingested yet (or never was)
        count(*) filter (
            where interaction_ingested_at is null or interaction_ingested_at > ingested_at
        ) as orphan_feedback,
        count(*) filter (where interaction_ingested_at > ingested_at) as orphan_feedback_resolved,
        count(*) filter (where interaction_ingested_at is null) as orphan_feedback_unresolved
    from feedback_matched
    group by ingested_date
)

select * from final
