with source as (
    select * from {{ source('events', 'unknown_fields') }}
),

final as (
    select
        load_id,
        source_file,
        event_type,
        field_name,
        events
    from source
)

select * from final
