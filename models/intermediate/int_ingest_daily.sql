{{ config(materialized='view') }}
-- What landed per ingest day (UTC date of ingested_at) and where it went: the ledger's line
-- counts, quarantined rows per reason, duplicates, and unknown fields per name (counted on
-- the day their load started). One row per ingested_date that has a ledger row.
with ledger as (
    select load_id, file_path, status, lines, accepted, duplicate, rejected, erased, ingested_date
    from {{ ref('stg_ingest_ledger') }}
),

quarantine as (
    select ingested_date, reason_code
    from {{ ref('stg_quarantine') }}
),

duplicate_events as (
    select ingested_date
    from {{ ref('stg_duplicate_events') }}
),

unknown as (
    select load_id, field_name, events
    from {{ ref('stg_unknown_fields') }}
),

days as (
    select
        ingested_date,
        cast(sum(case when status = 'loaded' then 1 else 0 end) as bigint) as files_loaded,
        cast(
            sum(case when status in ('failed', 'tampered') then 1 else 0 end) as bigint
        ) as files_not_loaded,
        cast(sum(lines) as bigint) as lines_landed,
        cast(sum(accepted) as bigint) as lines_accepted,
        cast(sum(duplicate) as bigint) as lines_duplicate,
        cast(sum(rejected) as bigint) as lines_rejected,
        cast(sum(erased) as bigint) as lines_erased
    from ledger
    group by ingested_date
),

quarantine_reasons as (
    select ingested_date, reason_code, count(*) as n
    from quarantine
    group by all
),

rejections as (
    select
        ingested_date,
        cast(sum(n) as bigint) as quarantined_rows,
        {{ json_object_agg('reason_code', 'n') }} as rejected_by_reason
    from quarantine_reasons
    group by ingested_date
),

duplicates as (
    select ingested_date, count(*) as duplicate_rows
    from duplicate_events
    group by ingested_date
),

load_days as (
    select load_id, min(ingested_date) as ingested_date
    from ledger
    group by load_id
),

unknown_by_name as (
    select load_days.ingested_date, unknown.field_name, sum(unknown.events) as events
    from unknown
    inner join load_days on unknown.load_id = load_days.load_id
    group by all
),

unknown_fields as (
    select
        ingested_date,
        cast(sum(events) as bigint) as unknown_field_events,
        {{ json_object_agg('field_name', 'events') }} as unknown_fields_by_name
    from unknown_by_name
    group by ingested_date
),

final as (
    select
        days.ingested_date,
        days.files_loaded,
        days.files_not_loaded,
        days.lines_landed,
        days.lines_accepted,
        days.lines_duplicate,
        days.lines_rejected,
        days.lines_erased,
        coalesce(rejections.quarantined_rows, 0) as quarantined_rows,
        rejections.rejected_by_reason,
        coalesce(duplicates.duplicate_rows, 0) as duplicate_rows,
        coalesce(unknown_fields.unknown_field_events, 0) as unknown_field_events,
        unknown_fields.unknown_fields_by_name
    from days
    left join rejections on days.ingested_date = rejections.ingested_date
    left join duplicates on days.ingested_date = duplicates.ingested_date
    left join unknown_fields on days.ingested_date = unknown_fields.ingested_date
)

select * from final
