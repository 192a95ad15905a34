-- Reconciliation: fct_data_health_daily adds up to the ingest ledger, day by day, and its
-- quarantine and duplicate counts equal what the ledger says was rejected and duplicated;
-- lines = accepted + duplicate + rejected + erased (erased: floop forget).
-- Returns the days that disagree; any row fails the build.
-- Reported in Dagster as a (blocking) check on fct_data_health_daily.
{{ config(meta={'dagster': {'ref': {'name': 'fct_data_health_daily'}}}) }}
with ledger as (
    select
        cast(ingested_at as date) as ingested_date,
        sum(lines) as lines,
        sum(accepted) as accepted,
        sum(duplicate) as duplicate,
        sum(rejected) as rejected,
        sum(coalesce(erased, 0)) as erased
    from {{ source('events', 'ingest_ledger') }}
    group by all
),

quarantine as (
    select cast(ingested_at as date) as ingested_date, count(*) as rows
    from {{ source('events', 'quarantine') }}
    group by all
),

duplicates as (
    select cast(ingested_at as date) as ingested_date, count(*) as rows
    from {{ source('events', 'duplicate_events') }}
    group by all
),

health as (
    select
        ingested_date,
        lines_landed,
        lines_accepted,
        lines_duplicate,
        lines_rejected,
        lines_erased,
        quarantined_rows,
        duplicate_rows
    from {{ ref('fct_data_health_daily') }}
),

final as (
    select
        coalesce(ledger.ingested_date, health.ingested_date) as ingested_date,
        ledger.lines,
        health.lines_landed,
        health.lines_rejected,
        quarantine.rows as quarantine_rows,
        health.lines_duplicate,
        duplicates.rows as duplicate_rows
    from ledger
    full outer join health on ledger.ingested_date = health.ingested_date
    left join quarantine on coalesce(ledger.ingested_date, health.ingested_date) = quarantine.ingested_date
    left join duplicates on coalesce(ledger.ingested_date, health.ingested_date) = duplicates.ingested_date
    where ledger.ingested_date is null
        or health.ingested_date is null
        or ledger.lines is distinct from health.lines_landed
        or ledger.accepted is distinct from health.lines_accepted
        or ledger.duplicate is distinct from health.lines_duplicate
        or ledger.rejected is distinct from health.lines_rejected
        or ledger.erased is distinct from health.lines_erased
        or ledger.accepted + ledger.duplicate + ledger.rejected + ledger.erased <> ledger.lines
        or coalesce(quarantine.rows, 0) <> health.lines_rejected
        or health.quarantined_rows <> health.lines_rejected
        or coalesce(duplicates.rows, 0) <> health.lines_duplicate
        or health.duplicate_rows <> health.lines_duplicate
)

select * from final
