-- raw_line is left out on purpose: a rejected line is as landed and may hold personal data.
with source as (
    select * from {{ source('events', 'quarantine') }}
),

final as (
    select
        load_id,
        source_file,
        line_number,
        reason_code,
        reason_field,
        reason_message,
        event_type,
        event_id,
        ingested_at,
        cast(ingested_at as date) as ingested_date
    from source
)

select * from final
