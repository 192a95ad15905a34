with source as (
    select * from {{ source('events', 'load_waivers') }}
),

final as (
    select
        load_id,
        reason,
        waived_at,
        failed_checks
    from source
)

select * from final
