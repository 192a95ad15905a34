{{
    config(
        materialized=floop_incremental(),
        incremental_strategy='delete+insert',
        unique_key='output_id',
        on_schema_change='fail'
    )
}}
-- Evaluation results of one response. Offline golden runs may evaluate outputs that have no
-- interaction event; they stay here and are simply not joined by the wide fact.
with evaluations as (
    select
        output_id,
        evaluator_id,
        eval_value,
        eval_passed,
        golden_task_id,
        is_golden,
        ingested_at
    from {{ ref('stg_evaluations') }}
    {% if is_incremental() %}
    -- re-aggregate every output evaluated since the last run
    where
        output_id in (
            select output_id from {{ ref('stg_evaluations') }}
            where ingested_at > {{ watermark('last_ingested_at') }}
        )
    {% endif %}
),

final as (
    select
        output_id,
        count(*) as eval_count,
        -- the pass rate's denominator: evaluations that gave a verdict
        count(eval_passed) as eval_verdict_count,
        count(*) filter (where eval_passed) as eval_passed_count,
        count(distinct evaluator_id) as evaluator_count,
        max(golden_task_id) as golden_task_id,
        coalesce(bool_or(is_golden), false) as is_golden,
        count(eval_passed) filter (where is_golden) as golden_verdict_count,
        count(*) filter (where is_golden and eval_passed) as golden_passed_count,
        max(ingested_at) as last_ingested_at
    from evaluations
    group by output_id
)

select * from final
