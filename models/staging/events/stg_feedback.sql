-- A table, not a view: actor_key/user_key need the hash key in the SQL (a view would keep it
-- in the warehouse catalog), and the redaction is computed once instead of on every read.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('raw', 'feedback_events') }}
),

deduped as (
    select *
    from source
    qualify row_number() over (
        partition by event_id order by _ingested_at, _source_file, _line_number
    ) = 1
),

final as (
    select
        event_id,
        output_id,
        tenant_id,
        trace_id,
        session_id,
        {{ hash_pii('user_id') }} as user_key,
        feedback_type,
        case feedback_type
            {%- for feedback_type, kind in contract_feedback_kinds().items() %}
            when '{{ feedback_type }}' then '{{ kind }}'
            {%- endfor %}
        end as feedback_kind,
        feedback_value,
        {{ redact_pii('feedback_text') }} as feedback_text_redacted,
        document_id,
        actor_role,
        {{ hash_pii('actor_id') }} as actor_key,
        schema_version,
        "timestamp" as event_at,
        cast("timestamp" as date) as event_date,
        _source_file as source_file,
        _ingested_at as ingested_at
    from deduped
)

select * from final
