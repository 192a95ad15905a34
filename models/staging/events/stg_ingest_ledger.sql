with source as (
    select * from {{ source('events', 'ingest_ledger') }}
),

final as (
    select
        load_id,
        file_path,
        relative_path,
        coalesce(status, 'loaded') as status,
        status_reason,
        start_offset,
        bytes_read,
        pending_bytes,
        file_format,
        file_size_bytes,
        sha256,
        lines,
        accepted,
        duplicate,
        rejected,
        -- null on rows of warehouses older than the column that ingest has not migrated yet
        coalesce(erased, 0) as erased,
        ingested_at,
        cast(ingested_at as date) as ingested_date,
        duration_ms
    from source
)

select * from final
