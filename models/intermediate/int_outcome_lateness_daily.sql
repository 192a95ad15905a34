{{ config(materialized='view') }}
-- How late outcomes arrive, per ingest day: lateness = ingested_at - event timestamp, in
-- hours, as quantiles and buckets. One row per ingested_date with outcomes.
with outcomes as (
    select
        cast(ingested_at as date) as ingested_date,
        {{ seconds_between('event_at', 'ingested_at') }} / 3600.0 as lateness_hours
    from {{ ref('stg_outcomes') }}
),

final as (
    select
        ingested_date,
        count(*) as outcomes_received,
        {{ quantile_cont('lateness_hours', 0.5) }} as outcome_lateness_p50_hours,
        {{ quantile_cont('lateness_hours', 0.9) }} as outcome_lateness_p90_hours,
        max(lateness_hours) as outcome_lateness_max_hours,
        count(*) filter (where lateness_hours <= 24) as outcomes_within_1d,
        count(*) filter (where lateness_hours > 24 and lateness_hours <= 72) as outcomes_1d_to_3d,
        count(*) filter (where lateness_hours > 72 and lateness_hours <= 168) as outcomes_3d_to_7d,
        count(*) filter (where lateness_hours > 168) as outcomes_over_7d
    from outcomes
    group by ingested_date
)

select * from final
