-- One row per output_id. Incremental (config generated into _models.yml, key output_id), not
-- a view: the hashed user_key needs the hash key in the SQL (a view would keep it in the
-- warehouse catalog), and hashing runs once per response instead of over all history.
{% if is_incremental() %}
with new_rows as (
    -- raw rows not staged yet: ingested at or after the newest staged row (`>=`: two loads may
    -- share one _ingested_at when ingest ran with the same --now) and not already staged (so
    -- the last run's rows are not redone each run)
    select event_id, output_id
    from {{ source('events', 'interaction_events') }}
    where
        _ingested_at >= {{ watermark('ingested_at') }}
        and event_id not in (select event_id from {{ this }})
),

source as (
    -- every raw row of each touched output_id (the output dedupe needs all of them, so the
    -- staged row equals a full refresh's), plus every row of the new event_ids (the same for
    -- the event_id dedupe)
    select *
    from {{ source('events', 'interaction_events') }}
    where
        output_id in (select output_id from new_rows)
        or event_id in (select event_id from new_rows)
),
{% else %}
with source as (
    select * from {{ source('events', 'interaction_events') }}
),
{% endif %}

deduped_events as (
    -- the same event sent twice is kept once: the first received
    {{ dedupe_events('source') }}
),

deduped_outputs as (
    -- two events for one response: keep the first by event time, then event_id
    select *
    from deduped_events
    {% if is_incremental() %}
    -- whole output_id partitions only: a row pulled in by a shared event_id alone would
    -- restage its output from part of its rows
    where output_id in (select output_id from new_rows)
    {% endif %}
    qualify row_number() over (
        partition by output_id order by {{ quote_column('timestamp') }}, event_id
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
        task_type,
        task_id,
        country,
        consent_scope,
        coalesce({{ list_has('consent_scope', "'analytics'") }}, false) as has_analytics_consent,
        coalesce({{ list_has('consent_scope', "'evaluation'") }}, false) as has_evaluation_consent,
        coalesce({{ list_has('consent_scope', "'training'") }}, false) as has_training_consent,
        redaction_flags,
        input_hash,
        prompt_version,
        model_id,
        model_version,
        retrieval_ids,
        cited_ids,
        cast(coalesce({{ list_length('retrieval_ids') }}, 0) as bigint) as retrieved_count,
        cast(coalesce({{ list_length('cited_ids') }}, 0) as bigint) as cited_count,
        knowledge_version,
        input_tokens,
        output_tokens,
        client_latency_ms,
        server_latency_ms,
        experiment_id,
        variant,
        coalesce(is_shadow, {{ contract_default('interaction', 'is_shadow') }}) as is_shadow,
        schema_version,
        {{ quote_column('timestamp') }} as event_at,
        cast({{ quote_column('timestamp') }} as date) as event_date,
        _source_file as source_file,
        _ingested_at as ingested_at
    from deduped_outputs
)

select * from final
