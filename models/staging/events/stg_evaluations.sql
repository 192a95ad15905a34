with source as (
    select * from {{ source('events', 'evaluation_events') }}
),

deduped as (
    {{ dedupe_events('source') }}
),

final as (
    select
        event_id,
        output_id,
        tenant_id,
        trace_id,
        evaluator_id,
        evaluator_version,
        eval_metric,
        eval_value,
        eval_passed,
        golden_task_id,
        golden_task_id is not null as is_golden,
        prompt_version,
        model_id,
        model_version,
        schema_version,
        {{ quote_column('timestamp') }} as event_at,
        cast({{ quote_column('timestamp') }} as date) as event_date,
        _source_file as source_file,
        _ingested_at as ingested_at
    from deduped
)

select * from final
