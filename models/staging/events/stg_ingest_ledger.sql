with source as (
    select * from {{ source('events', 'ingest_ledger') }}
),

final as (
    select
        load_id,
        file_path,
        file_format,
        file_size_bytes,
        sha256,
        lines,
        accepted,
        duplicate,
        rejected,
        ingested_at,
        cast(ingested_at as date) as ingested_date,
        duration_ms
    from source
)

select * from final
