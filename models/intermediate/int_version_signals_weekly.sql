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
        {{ version_signal_sums() }}
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
