{{ config(materialized='view') }}
-- Great Expectations results per ingest day (the day the load started, as for unknown fields
-- in int_ingest_daily): from each load's latest validation, the expectations evaluated and
-- failed, and the loads still blocked: failing an expectation of a blocking suite (every
-- suite but var gx_non_blocking_suites) and not waived (floop waive). The same rule as
-- floop.quality_gate.blocked_loads. One row per ingested_date with a validated load.
with ledger as (
    select load_id, ingested_date
    from {{ ref('stg_ingest_ledger') }}
),

validations as (
    select load_id, suite_name, success
    from {{ ref('stg_gx_validations') }}
),

waivers as (
    select load_id
    from {{ ref('stg_load_waivers') }}
),

load_days as (
    select load_id, min(ingested_date) as ingested_date
    from ledger
    group by load_id
),

per_load as (
    select
        load_id,
        count(*) as expectations_evaluated,
        count(*) filter (where not success) as expectations_failed,
        count(*) filter (
            where not success
            and suite_name not in (
                {%- for suite in var('gx_non_blocking_suites') %}
                '{{ suite }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
        ) as blocking_failures
    from validations
    group by load_id
),

blocked as (
    select
        per_load.load_id,
        per_load.expectations_evaluated,
        per_load.expectations_failed,
        per_load.blocking_failures > 0 and waivers.load_id is null as is_blocked
    from per_load
    left join waivers on per_load.load_id = waivers.load_id
),

final as (
    select
        load_days.ingested_date,
        count(*) as loads_validated,
        cast(sum(blocked.expectations_evaluated) as bigint) as expectations_evaluated,
        cast(sum(blocked.expectations_failed) as bigint) as expectations_failed,
        count(*) filter (where blocked.is_blocked) as loads_blocked
    from blocked
    inner join load_days on blocked.load_id = load_days.load_id
    group by load_days.ingested_date
)

select * from final
