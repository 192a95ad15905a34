{{ config(materialized='view') }}
-- The interactions as the wide fact reads them: one row per response (output_id), the staged
-- columns it carries. A view: it keeps the marts off staging without a copy of the rows.
with interactions as (
    select * from {{ ref('stg_interactions') }}
),

final as (
    select
        event_id,
        output_id,
        tenant_id,
        trace_id,
        session_id,
        user_key,
        task_type,
        task_id,
        country,
        consent_scope,
        has_analytics_consent,
        has_evaluation_consent,
        has_training_consent,
        prompt_version,
        model_id,
        model_version,
        knowledge_version,
        experiment_id,
        variant,
        is_shadow,
        input_tokens,
        output_tokens,
        server_latency_ms,
        client_latency_ms,
        retrieved_count,
        cited_count,
        schema_version,
        event_at,
        event_date,
        ingested_at
    from interactions
)

select * from final
