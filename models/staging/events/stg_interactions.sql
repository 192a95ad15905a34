-- One row per output_id. A table, not a view: the hashed user_key needs the hash key in the
-- SQL, and a view would keep it in the warehouse catalog.
{{ config(materialized='table') }}

with source as (
    select * from {{ source('raw', 'interaction_events') }}
),

deduped_events as (
    -- the same event sent twice is kept once: the first received
    select *
    from source
    qualify row_number() over (
        partition by event_id order by _ingested_at, _source_file, _line_number
    ) = 1
),

deduped_outputs as (
    -- two events for one response: keep the first by event time, then event_id
    select *
    from deduped_events
    qualify row_number() over (partition by output_id order by "timestamp", event_id) = 1
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
        coalesce(list_contains(consent_scope, 'analytics'), false) as has_analytics_consent,
        coalesce(list_contains(consent_scope, 'evaluation'), false) as has_evaluation_consent,
        coalesce(list_contains(consent_scope, 'training'), false) as has_training_consent,
        redaction_flags,
        input_hash,
        prompt_version,
        model_id,
        model_version,
        retrieval_ids,
        cited_ids,
        coalesce(len(retrieval_ids), 0)::bigint as retrieved_count,
        coalesce(len(cited_ids), 0)::bigint as cited_count,
        knowledge_version,
        input_tokens,
        output_tokens,
        client_latency_ms,
        server_latency_ms,
        experiment_id,
        variant,
        coalesce(is_shadow, {{ contract_default('interaction', 'is_shadow') }}) as is_shadow,
        schema_version,
        "timestamp" as event_at,
        cast("timestamp" as date) as event_date,
        _source_file as source_file,
        _ingested_at as ingested_at
    from deduped_outputs
)

select * from final
