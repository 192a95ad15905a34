-- The day-grain time spine the dbt semantic layer (MetricFlow) joins metrics to, so that
-- days without traffic still appear as days. 2024 to 2030 covers any demo or real clock.
{{ config(materialized='table', schema='marts') }}

with days as (
    select date_day
    from {{ date_range("date '2024-01-01'", "date '2031-01-01'") }} as spine
),

final as (
    select date_day
    from days
)

select * from final
