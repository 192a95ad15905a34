-- Data health per ingest day (UTC date of ingested_at): what landed and where it went,
-- rejections per reason, unknown fields per name, orphan feedback (pointing at no
-- interaction when it arrived) and how much of it was resolved by a later interaction, and
-- how late outcomes arrive (ingested_at - event timestamp).
with ledger as (
    select load_id, file_path, lines, accepted, duplicate, rejected, ingested_date
    from {{ ref('stg_ingest_ledger') }}
),

days as (
    select
        ingested_date,
        count(*) as files_loaded,
        cast(sum(lines) as bigint) as lines_landed,
        cast(sum(accepted) as bigint) as lines_accepted,
        cast(sum(duplicate) as bigint) as lines_duplicate,
        cast(sum(rejected) as bigint) as lines_rejected
    from ledger
    group by ingested_date
),

quarantine_reasons as (
    select ingested_date, reason_code, count(*) as n
    from {{ ref('stg_quarantine') }}
    group by all
),

rejections as (
    select
        ingested_date,
        cast(sum(n) as bigint) as quarantined_rows,
        json_group_object(reason_code, n) as rejected_by_reason
    from quarantine_reasons
    group by ingested_date
),

duplicates as (
    select ingested_date, count(*) as duplicate_rows
    from {{ ref('stg_duplicate_events') }}
    group by ingested_date
),

load_days as (
    select load_id, min(ingested_date) as ingested_date
    from ledger
    group by load_id
),

unknown_by_name as (
    select load_days.ingested_date, unknown.field_name, sum(unknown.events) as events
    from {{ ref('stg_unknown_fields') }} as unknown
    inner join load_days on unknown.load_id = load_days.load_id
    group by all
),

unknown_fields as (
    select
        ingested_date,
        cast(sum(events) as bigint) as unknown_field_events,
        json_group_object(field_name, events) as unknown_fields_by_name
    from unknown_by_name
    group by ingested_date
),

interaction_arrivals as (
    select output_id, ingested_at
    from {{ ref('stg_interactions') }}
),

feedback_matched as (
    select
        feedback.ingested_date_of_feedback as ingested_date,
        interaction_arrivals.ingested_at as interaction_ingested_at,
        feedback.ingested_at
    from (
        select output_id, ingested_at, cast(ingested_at as date) as ingested_date_of_feedback
        from {{ ref('stg_feedback') }}
    ) as feedback
    left join interaction_arrivals on feedback.output_id = interaction_arrivals.output_id
),

orphans as (
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
),

outcome_lateness as (
    select
        cast(ingested_at as date) as ingested_date,
        epoch(ingested_at - event_at) / 3600.0 as lateness_hours
    from {{ ref('stg_outcomes') }}
),

outcomes as (
    select
        ingested_date,
        count(*) as outcomes_received,
        quantile_cont(lateness_hours, 0.5) as outcome_lateness_p50_hours,
        quantile_cont(lateness_hours, 0.9) as outcome_lateness_p90_hours,
        max(lateness_hours) as outcome_lateness_max_hours,
        count(*) filter (where lateness_hours <= 24) as outcomes_within_1d,
        count(*) filter (where lateness_hours > 24 and lateness_hours <= 72) as outcomes_1d_to_3d,
        count(*) filter (where lateness_hours > 72 and lateness_hours <= 168) as outcomes_3d_to_7d,
        count(*) filter (where lateness_hours > 168) as outcomes_over_7d
    from outcome_lateness
    group by ingested_date
),

final as (
    select
        days.ingested_date,
        days.files_loaded,
        days.lines_landed,
        days.lines_accepted,
        days.lines_duplicate,
        days.lines_rejected,
        coalesce(rejections.quarantined_rows, 0) as quarantined_rows,
        rejections.rejected_by_reason,
        coalesce(duplicates.duplicate_rows, 0) as duplicate_rows,
        coalesce(unknown_fields.unknown_field_events, 0) as unknown_field_events,
        unknown_fields.unknown_fields_by_name,
        coalesce(orphans.feedback_received, 0) as feedback_received,
        {{ rate_columns('orphan_feedback_rate', 'coalesce(orphans.orphan_feedback, 0)', 'coalesce(orphans.feedback_received, 0)') }},
        coalesce(orphans.orphan_feedback_resolved, 0) as orphan_feedback_resolved,
        coalesce(orphans.orphan_feedback_unresolved, 0) as orphan_feedback_unresolved,
        coalesce(outcomes.outcomes_received, 0) as outcomes_received,
        outcomes.outcome_lateness_p50_hours,
        outcomes.outcome_lateness_p90_hours,
        outcomes.outcome_lateness_max_hours,
        coalesce(outcomes.outcomes_within_1d, 0) as outcomes_within_1d,
        coalesce(outcomes.outcomes_1d_to_3d, 0) as outcomes_1d_to_3d,
        coalesce(outcomes.outcomes_3d_to_7d, 0) as outcomes_3d_to_7d,
        coalesce(outcomes.outcomes_over_7d, 0) as outcomes_over_7d
    from days
    left join rejections on days.ingested_date = rejections.ingested_date
    left join duplicates on days.ingested_date = duplicates.ingested_date
    left join unknown_fields on days.ingested_date = unknown_fields.ingested_date
    left join orphans on days.ingested_date = orphans.ingested_date
    left join outcomes on days.ingested_date = outcomes.ingested_date
)

select
    ingested_date,
    files_loaded,
    lines_landed,
    lines_accepted,
    lines_duplicate,
    lines_rejected,
    quarantined_rows,
    rejected_by_reason,
    duplicate_rows,
    unknown_field_events,
    unknown_fields_by_name,
    feedback_received,
    orphan_feedback_rate_numerator,
    orphan_feedback_rate_denominator,
    orphan_feedback_rate,
    orphan_feedback_rate_ci_low,
    orphan_feedback_rate_ci_high,
    orphan_feedback_resolved,
    orphan_feedback_unresolved,
    outcomes_received,
    outcome_lateness_p50_hours,
    outcome_lateness_p90_hours,
    outcome_lateness_max_hours,
    outcomes_within_1d,
    outcomes_1d_to_3d,
    outcomes_3d_to_7d,
    outcomes_over_7d
from final
