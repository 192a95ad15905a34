with source as (
    select * from {{ source('events', 'label_events') }}
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
        labeler_id,
        taxonomy_version,
        label_name,
        label_value,
        schema_version,
        {{ quote_column('timestamp') }} as event_at,
        cast({{ quote_column('timestamp') }} as date) as event_date,
        _source_file as source_file,
        _ingested_at as ingested_at
    from deduped
)

select * from final
