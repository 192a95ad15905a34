-- Warns (does not fail) on days where more than var orphan_feedback_warn_rate (default 5%)
-- of the feedback still points at no interaction at all (unresolved orphans).
{{ config(severity='warn') }}

with health as (
    select ingested_date, feedback_received, orphan_feedback_unresolved
    from {{ ref('fct_data_health_daily') }}
),

final as (
    select
        ingested_date,
        feedback_received,
        orphan_feedback_unresolved,
        orphan_feedback_unresolved / feedback_received as unresolved_orphan_rate
    from health
    where feedback_received > 0
        and orphan_feedback_unresolved / feedback_received > {{ var('orphan_feedback_warn_rate', 0.05) }}
)

select * from final
