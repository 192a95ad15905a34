-- int_version_signals_daily summed per ISO week (every column is additive).
with daily as (
    select * from {{ ref('int_version_signals_daily') }}
),

final as (
    select
        tenant_id,
        task_type,
        model_id,
        model_version,
        prompt_version,
        knowledge_version,
        interaction_week,
        sum(robust_weighted_thumbs_up) as robust_weighted_thumbs_up,
        sum(robust_weighted_thumbs_down) as robust_weighted_thumbs_down,
        cast(sum(flagged_thumbs_votes) as bigint) as flagged_thumbs_votes,
        cast(sum(capped_thumbs_votes) as bigint) as capped_thumbs_votes,
        cast(sum(golden_verdict_count) as bigint) as golden_verdict_count,
        cast(sum(golden_passed_count) as bigint) as golden_passed_count
    from daily
    group by
        tenant_id,
        task_type,
        model_id,
        model_version,
        prompt_version,
        knowledge_version,
        interaction_week
)

select * from final
