-- Incremental (config generated into _models.yml, key event_id), not a view: actor_key/user_key
-- need the hash key in the SQL (a view would keep it in the warehouse catalog), and hashing +
-- redaction run once per event instead of over all history on every run.
with source as (
    select * from {{ source('events', 'feedback_events') }}
    {% if is_incremental() %}
    -- events with a raw row not staged yet: ingested at or after the newest staged row (`>=`:
    -- two loads may share one _ingested_at when ingest ran with the same --now) and not
    -- already staged (so the last run's rows are not redone). All raw rows of such an
    -- event_id are read, so the dedupe below picks what a full refresh would.
    where
        event_id in (
            select new_rows.event_id
            from {{ source('events', 'feedback_events') }} as new_rows
            where
                new_rows._ingested_at >= {{ watermark('ingested_at') }}
                and new_rows.event_id not in (select event_id from {{ this }})
        )
    {% endif %}
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
        session_id,
        {{ hash_pii('user_id') }} as user_key,
        feedback_type,
        case feedback_type
            {%- for feedback_type, kind in contract_feedback_kinds().items() %}
            when '{{ feedback_type }}' then '{{ kind }}'
            {%- endfor %}
        end as feedback_kind,
        feedback_value,
        -- sqlfluff's duckdb grammar cannot parse redact_pii's list-of-lambdas SQL:
        -- noqa: disable=PRS
        {{ redact_pii('feedback_text') }} as feedback_text_redacted,
        -- noqa: enable=PRS
        document_id,
        actor_role,
        {{ hash_pii('actor_id') }} as actor_key,
        schema_version,
        {{ quote_column('timestamp') }} as event_at,
        cast({{ quote_column('timestamp') }} as date) as event_date,
        _source_file as source_file,
        _ingested_at as ingested_at
    from deduped
)

select * from final
