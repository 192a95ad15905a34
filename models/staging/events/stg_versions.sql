with source as (
    select * from {{ source('events', 'version_events') }}
),

deduped as (
    {{ dedupe_events('source') }}
),

final as (
    select
        event_id,
        version_kind,
        version_id,
        parent_version_id,
        dataset_manifest_id,
        description,
        tenant_id,
        schema_version,
        {{ quote_column('timestamp') }} as event_at,
        cast({{ quote_column('timestamp') }} as date) as event_date,
        _source_file as source_file,
        _ingested_at as ingested_at
    from deduped
)

select * from final
