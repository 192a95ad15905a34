with source as (
    select * from {{ source('events', 'duplicate_events') }}
),

final as (
    select
        load_id,
        source_file,
        line_number,
        event_id,
        event_type,
        event_timestamp as event_at,
        ingested_at,
        cast(ingested_at as date) as ingested_date
    from source
)

select * from final
