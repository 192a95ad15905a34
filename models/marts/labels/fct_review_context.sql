{{
    config(
        materialized=floop_incremental(),
        incremental_strategy='delete+insert',
        unique_key='session_id',
        on_schema_change='fail',
        post_hook="{% if is_incremental() %}delete from {{ this }} where event_type is null{% endif %}"
    )
}}
-- The chain of events of a session: what a labeler sees for a queued response (the Review
-- page) and the dashboard's Session page for any task. Grain: one row per (session_id,
-- event_id) over every session: the session's interactions (versions, retrieved and cited
-- documents), their feedback (comments only redacted), evaluations and labels, and the
-- outcomes of their tasks, each with its ingest time, its lateness and its time after the
-- task's first interaction. Person keys are left out;
-- text exists only redacted.
--
-- Incremental (delete+insert of whole sessions, issue 14): a run rebuilds every session that
-- holds an event ingested since the last run (the newest ingested_at in this table), or an
-- interaction of a task that got one (an outcome lands in every session of its task; a new
-- interaction can move the task's start), or that held such a response or task before (its
-- staged interaction may have changed). A session is rebuilt from all its events, and a
-- task's start is taken over all its interactions, so incremental == full refresh
-- (tests/test_incremental.py). A session left without an interaction (its only response
-- re-sent in another session) gets a placeholder row (event_type null), so delete+insert
-- clears it; the post-hook deletes the placeholder.
with staged_interactions as (
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

{% if is_incremental() %}
touched_outputs as (
    select output_id from {{ ref('stg_interactions') }}
    where ingested_at > {{ watermark('ingested_at') }}
    union
    select output_id from {{ ref('stg_feedback') }}
    where ingested_at > {{ watermark('ingested_at') }}
    union
    select output_id from {{ ref('stg_evaluations') }}
    where ingested_at > {{ watermark('ingested_at') }}
    union
    select output_id from {{ ref('stg_labels') }}
    where ingested_at > {{ watermark('ingested_at') }}
),

touched_tasks as (
    select task_id from {{ ref('stg_outcomes') }}
    where ingested_at > {{ watermark('ingested_at') }}
    union
    select task_id from staged_interactions
    where output_id in (select touched_outputs.output_id from touched_outputs)
    union
    select task_id from {{ this }}
    where output_id in (select touched_outputs.output_id from touched_outputs)
),

touched_sessions as (
    select session_id from staged_interactions
    where
        output_id in (select touched_outputs.output_id from touched_outputs)
        or task_id in (select touched_tasks.task_id from touched_tasks)
    union
    select session_id from {{ this }}
    where
        output_id in (select touched_outputs.output_id from touched_outputs)
        or task_id in (select touched_tasks.task_id from touched_tasks)
),

interactions as (
    select * from staged_interactions
    where session_id in (select touched_sessions.session_id from touched_sessions)
),
{% else %}
interactions as (
    select * from staged_interactions
),
{% endif %}

-- the events of every response and task: the inner joins to output_sessions and task_sessions
-- below keep those of this run's sessions (a filter here would be a second join)
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
),

output_sessions as (
    -- one row per output_id (stg_interactions' key)
    select
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

task_starts as (
    -- over every interaction of the task, also those of sessions this run leaves alone
    select
        task_id,
        min(event_at) as task_started_at
    from staged_interactions
    {% if is_incremental() %}
    where task_id in (select interactions.task_id from interactions)
    {% endif %}
    group by task_id
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
        outcomes.outcome_metric_name as event_kind,
        cast(outcomes.outcome_metric_value as double) as event_value,
        null as detail
    from outcomes
    inner join task_sessions on outcomes.task_id = task_sessions.task_id
),

timed as (
    -- the chain carries no wide interaction columns: the window below sorts its rows, and
    -- interaction_details joins them back after it (issue 14: the window was most of the cost)
    select
        chain.session_id,
        chain.event_id,
        chain.event_type,
        chain.event_at,
        chain.ingested_at,
        -- double on both engines (a decimal divisor keeps Spark in decimals)
        cast({{ datediff('chain.event_at', 'chain.ingested_at', 'second') }} as double) / 3600
            as lateness_hours,
        cast({{ datediff('task_starts.task_started_at', 'chain.event_at', 'second') }} as double)
        / 3600 as hours_after_task_start,
        cast(row_number() over (
            partition by chain.session_id
            order by chain.event_at asc, chain.event_type asc, chain.event_id asc
        ) as bigint) as event_order,
        chain.output_id,
        chain.task_id,
        chain.event_kind,
        chain.event_value,
        chain.detail
    from chain
    left join task_starts on chain.task_id = task_starts.task_id
),

interaction_details as (
    -- one row per output_id (stg_interactions' key)
    select
        output_id,
        prompt_version,
        model_id,
        model_version,
        knowledge_version,
        is_shadow,
        {{ list_to_string('retrieval_ids') }} as retrieved_document_ids,
        {{ list_to_string('cited_ids') }} as cited_document_ids
    from interactions
),

events as (
    select
        timed.session_id,
        timed.event_id,
        timed.event_type,
        timed.event_at,
        timed.ingested_at,
        timed.lateness_hours,
        timed.hours_after_task_start,
        timed.event_order,
        timed.output_id,
        timed.task_id,
        interaction_details.prompt_version,
        interaction_details.model_id,
        interaction_details.model_version,
        interaction_details.knowledge_version,
        interaction_details.is_shadow,
        interaction_details.retrieved_document_ids,
        interaction_details.cited_document_ids,
        timed.event_kind,
        timed.event_value,
        timed.detail
    from timed
    left join interaction_details
        on
        timed.event_type = 'interaction'
        and timed.output_id = interaction_details.output_id
),

{% if is_incremental() %}
placeholders as (
    select
        session_id,
        cast(null as {{ string_type() }}) as event_id,
        cast(null as {{ string_type() }}) as event_type,
        cast(null as timestamp) as event_at,
        cast(null as timestamp) as ingested_at,
        cast(null as double) as lateness_hours,
        cast(null as double) as hours_after_task_start,
        cast(null as bigint) as event_order,
        cast(null as {{ string_type() }}) as output_id,
        cast(null as {{ string_type() }}) as task_id,
        cast(null as {{ string_type() }}) as prompt_version,
        cast(null as {{ string_type() }}) as model_id,
        cast(null as {{ string_type() }}) as model_version,
        cast(null as {{ string_type() }}) as knowledge_version,
        cast(null as boolean) as is_shadow,
        cast(null as {{ string_type() }}) as retrieved_document_ids,
        cast(null as {{ string_type() }}) as cited_document_ids,
        cast(null as {{ string_type() }}) as event_kind,
        cast(null as double) as event_value,
        cast(null as {{ string_type() }}) as detail
    from touched_sessions
    where session_id not in (select interactions.session_id from interactions)
),

final as (
    select * from events
    union all
    select * from placeholders
)
{% else %}
final as (
    select * from events
)
{% endif %}

select * from final
