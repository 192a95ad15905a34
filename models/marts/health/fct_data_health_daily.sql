-- Data health per ingest day (UTC date of ingested_at): what landed and where it went,
-- rejections per reason, unknown fields per name, orphan feedback (pointing at no
-- interaction when it arrived) and how much of it was resolved by a later interaction, and
-- how late outcomes arrive (ingested_at - event timestamp), and the Great Expectations results
-- of the day's loads (expectations evaluated and failed, loads still blocked). Each part is an
-- intermediate; the days are the ledger's.
with ingest as (
    select * from {{ ref('int_ingest_daily') }}
),

orphans as (
    select * from {{ ref('int_feedback_orphans_daily') }}
),

outcomes as (
    select * from {{ ref('int_outcome_lateness_daily') }}
),

quality as (
    select * from {{ ref('int_load_quality_daily') }}
),

final as (
    select
        ingest.ingested_date,
        ingest.files_loaded,
        ingest.files_not_loaded,
        ingest.lines_landed,
        ingest.lines_accepted,
        ingest.lines_duplicate,
        ingest.lines_rejected,
        ingest.lines_erased,
        ingest.quarantined_rows,
        ingest.rejected_by_reason,
        ingest.duplicate_rows,
        ingest.unknown_field_events,
        ingest.unknown_fields_by_name,
        coalesce(orphans.feedback_received, 0) as feedback_received,
        {{ rate_columns(
            'orphan_feedback_rate',
            'coalesce(orphans.orphan_feedback, 0)',
            'coalesce(orphans.feedback_received, 0)'
        ) }},
        coalesce(orphans.orphan_feedback_resolved, 0) as orphan_feedback_resolved,
        coalesce(orphans.orphan_feedback_unresolved, 0) as orphan_feedback_unresolved,
        coalesce(outcomes.outcomes_received, 0) as outcomes_received,
        outcomes.outcome_lateness_p50_hours,
        outcomes.outcome_lateness_p90_hours,
        outcomes.outcome_lateness_max_hours,
        coalesce(outcomes.outcomes_within_1d, 0) as outcomes_within_1d,
        coalesce(outcomes.outcomes_1d_to_3d, 0) as outcomes_1d_to_3d,
        coalesce(outcomes.outcomes_3d_to_7d, 0) as outcomes_3d_to_7d,
        coalesce(outcomes.outcomes_over_7d, 0) as outcomes_over_7d,
        coalesce(quality.loads_validated, 0) as loads_validated,
        coalesce(quality.expectations_evaluated, 0) as expectations_evaluated,
        coalesce(quality.expectations_failed, 0) as expectations_failed,
        coalesce(quality.loads_blocked, 0) as loads_blocked
    from ingest
    left join orphans on ingest.ingested_date = orphans.ingested_date
    left join outcomes on ingest.ingested_date = outcomes.ingested_date
    left join quality on ingest.ingested_date = quality.ingested_date
)

select * from final
