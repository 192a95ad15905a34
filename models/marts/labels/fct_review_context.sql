-- The chain of events of a session: what a labeler sees for a queued response (the Review
-- page) and the dashboard's Session page for any task. Grain: one row per (session_id,
-- event_id) over every session: the session's interactions (versions, retrieved and cited
-- documents), their feedback (comments only redacted), evaluations and labels, and the
-- outcomes of their tasks, each with its ingest time, its lateness and its time after the
-- task's first interaction. Person keys are left out;
-- text exists only redacted.
with interactions as (
    select
        session_id,
        event_id,
        output_id,
        task_id,
        tenant_id,
        event_at,
        prompt_version,
        model_id,
        model_version,
        knowledge_version,
        is_shadow,
        retrieval_ids,
        cited_ids,
        ingested_at
    from {{ ref('stg_interactions') }}
),

feedback as (
    select
        event_id,
        output_id,
        event_at,
        feedback_type,
        feedback_value,
        feedback_text_redacted,
        document_id,
        actor_role,
        ingested_at
    from {{ ref('stg_feedback') }}
    where output_id in (select interactions.output_id from interactions)
),

evaluations as (
    select
        event_id,
        output_id,
        event_at,
        evaluator_id,
        eval_metric,
        eval_value,
        eval_passed,
        ingested_at
    from {{ ref('stg_evaluations') }}
    where output_id in (select interactions.output_id from interactions)
),

labels as (
    select
        event_id,
        output_id,
        event_at,
        labeler_id,
        label_name,
        taxonomy_version,
        label_value,
        ingested_at
    from {{ ref('stg_labels') }}
    where output_id in (select interactions.output_id from interactions)
),

outcomes as (
    select
        event_id,
        task_id,
        event_at,
        outcome_metric_name,
        outcome_metric_value,
        ingested_at
    from {{ ref('stg_outcomes') }}
    where task_id in (select interactions.task_id from interactions)
),

output_sessions as (
    select distinct
        output_id,
        session_id,
        task_id
    from interactions
),

task_sessions as (
    select distinct
        task_id,
        session_id
    from interactions
),

chain as (
    select
        session_id,
        event_id,
        'interaction' as event_type,
        event_at,
        ingested_at,
        output_id,
        task_id,
        prompt_version,
        model_id,
        model_version,
        knowledge_version,
        is_shadow,
        {{ list_to_string('retrieval_ids') }} as retrieved_document_ids,
        {{ list_to_string('cited_ids') }} as cited_document_ids,
        cast(null as {{ string_type() }}) as event_kind,
        cast(null as double) as event_value,
        cast(null as {{ string_type() }}) as detail
    from interactions
    union all
    select
        output_sessions.session_id,
        feedback.event_id,
        'feedback' as event_type,
        feedback.event_at,
        feedback.ingested_at,
        feedback.output_id,
        output_sessions.task_id,
        null as prompt_version,
        null as model_id,
        null as model_version,
        null as knowledge_version,
        null as is_shadow,
        null as retrieved_document_ids,
        null as cited_document_ids,
        feedback.feedback_type as event_kind,
        cast(feedback.feedback_value as double) as event_value,
        coalesce(
            feedback.feedback_text_redacted,
            'document ' || feedback.document_id,
            'by ' || feedback.actor_role
        ) as detail
    from feedback
    inner join output_sessions on feedback.output_id = output_sessions.output_id
    union all
    select
        output_sessions.session_id,
        evaluations.event_id,
        'evaluation' as event_type,
        evaluations.event_at,
        evaluations.ingested_at,
        evaluations.output_id,
        output_sessions.task_id,
        null as prompt_version,
        null as model_id,
        null as model_version,
        null as knowledge_version,
        null as is_shadow,
        null as retrieved_document_ids,
        null as cited_document_ids,
        evaluations.eval_metric as event_kind,
        cast(evaluations.eval_value as double) as event_value,
        evaluations.evaluator_id || case
            when evaluations.eval_passed then ': passed'
            when not evaluations.eval_passed then ': failed'
            else ''
        end as detail
    from evaluations
    inner join output_sessions on evaluations.output_id = output_sessions.output_id
    union all
    select
        output_sessions.session_id,
        labels.event_id,
        'label' as event_type,
        labels.event_at,
        labels.ingested_at,
        labels.output_id,
        output_sessions.task_id,
        null as prompt_version,
        null as model_id,
        null as model_version,
        null as knowledge_version,
        null as is_shadow,
        null as retrieved_document_ids,
        null as cited_document_ids,
        labels.label_name as event_kind,
        null as event_value,
        labels.labeler_id || ': ' || labels.label_value
        || ' (taxonomy ' || labels.taxonomy_version || ')' as detail
    from labels
    inner join output_sessions on labels.output_id = output_sessions.output_id
    union all
    select
        task_sessions.session_id,
        outcomes.event_id,
        'outcome' as event_type,
        outcomes.event_at,
        outcomes.ingested_at,
        null as output_id,
        outcomes.task_id,
        null as prompt_version,
        null as model_id,
        null as model_version,
        null as knowledge_version,
        null as is_shadow,
        null as retrieved_document_ids,
        null as cited_document_ids,
        outcomes.outcome_metric_name as event_kind,
        cast(outcomes.outcome_metric_value as double) as event_value,
        null as detail
    from outcomes
    inner join task_sessions on outcomes.task_id = task_sessions.task_id
),

timed as (
    select
        *,
        min(case when event_type = 'interaction' then event_at end)
            over (partition by task_id)
            as task_started_at
    from chain
),

final as (
    select
        session_id,
        event_id,
        event_type,
        event_at,
        ingested_at,
        -- double on both engines (a decimal divisor keeps Spark in decimals)
        cast({{ datediff('event_at', 'ingested_at', 'second') }} as double) / 3600
            as lateness_hours,
        cast({{ datediff('task_started_at', 'event_at', 'second') }} as double) / 3600
            as hours_after_task_start,
        cast(row_number() over (
            partition by session_id order by event_at asc, event_type asc, event_id asc
        ) as bigint) as event_order,
        output_id,
        task_id,
        prompt_version,
        model_id,
        model_version,
        knowledge_version,
        is_shadow,
        retrieved_document_ids,
        cited_document_ids,
        event_kind,
        event_value,
        detail
    from timed
)

select * from final
