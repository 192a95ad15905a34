{{
    config(
        materialized=floop_incremental(),
        incremental_strategy='delete+insert',
        unique_key='output_id',
        on_schema_change='fail'
    )
}}
-- Every feedback aggregate of one response (output_id): explicit, implicit and retrieval
-- signals, raw and trust-weighted. Orphan feedback (no interaction) is kept here; the wide
-- fact simply finds no interaction for it and fct_data_health_daily counts it.
with feedback as (
    select
        output_id,
        feedback_type,
        feedback_value,
        feedback_text_redacted,
        actor_role,
        event_at,
        ingested_at
    from {{ ref('stg_feedback') }}
    {% if is_incremental() %}
    -- re-aggregate every output that received feedback since the last run
    where
        output_id in (
            select output_id from {{ ref('stg_feedback') }}
            where ingested_at > {{ watermark('last_ingested_at') }}
        )
    {% endif %}
),

weights as (
    select actor_role, trust_weight
    from {{ ref('actor_role_weights') }}
),

weighted as (
    select
        feedback.*,
        -- a role missing from the seed counts as anonymous would: barely
        coalesce(weights.trust_weight, 0.0) as trust_weight
    from feedback
    left join weights on feedback.actor_role = weights.actor_role
),

final as (
    select
        output_id,
        count(*) as feedback_event_count,
        count(*) filter (where feedback_type = 'thumbs' and feedback_value > 0) as thumbs_up_count,
        count(*) filter (where feedback_type = 'thumbs' and feedback_value < 0)
            as thumbs_down_count,
        coalesce(
            sum(trust_weight) filter (where feedback_type = 'thumbs' and feedback_value > 0), 0.0
        )
            as weighted_thumbs_up,
        coalesce(
            sum(trust_weight) filter (where feedback_type = 'thumbs' and feedback_value < 0), 0.0
        )
            as weighted_thumbs_down,
        count(*) filter (where feedback_type = 'thumbs' and actor_role = 'anonymous')
            as anonymous_thumbs_count,
        count(*) filter (where feedback_type = 'rating') as rating_count,
        avg(feedback_value) filter (where feedback_type = 'rating') as rating_mean,
        count(*) filter (where feedback_type = 'comment') as comment_count,
        {{ string_agg_ordered('feedback_text_redacted', "' | '", 'event_at') }}
        filter (where feedback_type = 'comment' and feedback_text_redacted is not null)
            as comments_redacted,
        count(*) filter (where feedback_type = 'edit') as edit_count,
        avg(feedback_value) filter (where feedback_type = 'edit') as edit_distance_mean,
        count(*) filter (where feedback_type = 'copy') > 0 as is_copied,
        count(*) filter (where feedback_type = 'retry') > 0 as is_retried,
        count(*) filter (where feedback_type = 'abandon') > 0 as is_abandoned,
        count(*) filter (where feedback_type = 'escalation') > 0 as is_escalated,
        -- several first_action / accept events: the earliest is the time to act
        min(feedback_value) filter (where feedback_type = 'first_action')
            as time_to_first_action_ms,
        min(feedback_value) filter (where feedback_type = 'accept') as time_to_accept_ms,
        count(*) filter (where feedback_type = 'doc_click') as doc_click_count,
        min(event_at) as first_feedback_at,
        max(event_at) as last_feedback_at,
        max(ingested_at) as last_ingested_at
    from weighted
    group by output_id
)

select * from final
