{{
    config(
        materialized='incremental',
        incremental_strategy=floop_incremental_strategy(),
        partition_by=floop_partition_by('interaction_date'),
        file_format='parquet',
        unique_key='output_id',
        on_schema_change='append_new_columns'
    )
}}
-- The wide table: one row per interaction (output_id) with every feedback aggregate,
-- evaluation and label summary, and the task's outcome as attributed.
--
-- Incremental (delete+insert keyed on output_id; on Spark insert_overwrite of the
-- interaction_date partitions those rows touch, completed from the rows already there:
-- macros/spark_incremental.sql). A run re-processes
--   * every interaction of the last `lookback_days` days (dbt var), and
--   * every interaction, of any age, whose inputs arrived since the last run: the
--     interaction itself, its feedback / evaluations / labels, or anything of its task (a new
--     interaction re-assigns which one carries the outcome; a late or corrected outcome
--     changes the value). "Since the last run" = ingested_at after the largest
--     source_ingested_at already in this table.
-- So a late outcome updates an interaction whatever its age, and incremental == full refresh
-- (tests/test_incremental.py). Keyed on rows, not days: late outcomes touch a few rows on many
-- old days; re-writing whole days took 1.5x longer at 1.3M interactions.
with interactions as (
    select * from {{ ref('int_interactions') }}
),

{% if is_incremental() %}
watermark as (
    select
        {{ watermark('source_ingested_at') }} as since,
        (select max(interaction_date) from {{ this }}) as last_day
),

touched_outputs as (
    select output_id from {{ ref('int_feedback_per_output') }}
    where last_ingested_at > (select since from watermark)
    union
    select output_id from {{ ref('int_evaluations_per_output') }}
    where last_ingested_at > (select since from watermark)
    union
    select output_id from {{ ref('int_labels_per_output') }}
    where last_ingested_at > (select since from watermark)
),

touched_tasks as (
    select task_id from {{ ref('int_task_outcomes') }}
    where last_ingested_at > (select since from watermark)
    union
    select task_id from interactions
    where ingested_at > (select since from watermark)
),

scoped as (
    -- the rows whose inputs changed, plus the look-back window
    select interactions.*
    from interactions
    where
        interactions.event_date
        > (select last_day from watermark) - {{ var('lookback_days') | int }}
        or interactions.ingested_at > (select since from watermark)
        or interactions.output_id in (select output_id from touched_outputs)
        or interactions.task_id in (select task_id from touched_tasks)
),
{% else %}
scoped as (
    select * from interactions
),
{% endif %}

feedback as (
    select * from {{ ref('int_feedback_per_output') }}
),

evaluations as (
    select * from {{ ref('int_evaluations_per_output') }}
),

labels as (
    select * from {{ ref('int_labels_per_output') }}
),

attribution as (
    select * from {{ ref('int_task_attribution') }}
),

task_outcomes as (
    select * from {{ ref('int_task_outcomes') }}
),

final as (
    select
        scoped.output_id,
        scoped.event_id,
        scoped.tenant_id,
        scoped.task_type,
        scoped.task_id,
        scoped.trace_id,
        scoped.session_id,
        scoped.user_key,
        scoped.country,
        scoped.consent_scope,
        scoped.has_analytics_consent,
        scoped.has_evaluation_consent,
        scoped.has_training_consent,
        scoped.event_at as interacted_at,
        scoped.event_date as interaction_date,
        {{ iso_week('scoped.event_at') }} as interaction_week,
        scoped.prompt_version,
        scoped.model_id,
        scoped.model_version,
        scoped.knowledge_version,
        scoped.experiment_id,
        scoped.variant,
        scoped.is_shadow,
        scoped.input_tokens,
        scoped.output_tokens,
        scoped.server_latency_ms,
        scoped.client_latency_ms,
        scoped.retrieved_count,
        scoped.cited_count,
        coalesce(feedback.feedback_event_count, 0) as feedback_event_count,
        coalesce(feedback.thumbs_up_count, 0) as thumbs_up_count,
        coalesce(feedback.thumbs_down_count, 0) as thumbs_down_count,
        coalesce(feedback.weighted_thumbs_up, 0.0) as weighted_thumbs_up,
        coalesce(feedback.weighted_thumbs_down, 0.0) as weighted_thumbs_down,
        coalesce(feedback.anonymous_thumbs_count, 0) as anonymous_thumbs_count,
        coalesce(feedback.rating_count, 0) as rating_count,
        feedback.rating_mean,
        coalesce(feedback.comment_count, 0) as comment_count,
        feedback.comments_redacted,
        coalesce(feedback.edit_count, 0) as edit_count,
        feedback.edit_distance_mean,
        coalesce(feedback.is_copied, false) as is_copied,
        coalesce(feedback.is_retried, false) as is_retried,
        coalesce(feedback.is_abandoned, false) as is_abandoned,
        coalesce(feedback.is_escalated, false) as is_escalated,
        feedback.time_to_first_action_ms,
        feedback.time_to_accept_ms,
        coalesce(feedback.doc_click_count, 0) as doc_click_count,
        feedback.first_feedback_at,
        coalesce(evaluations.eval_count, 0) as eval_count,
        coalesce(evaluations.eval_verdict_count, 0) as eval_verdict_count,
        coalesce(evaluations.eval_passed_count, 0) as eval_passed_count,
        evaluations.golden_task_id,
        coalesce(evaluations.is_golden, false) as is_golden,
        coalesce(evaluations.golden_verdict_count, 0) as golden_verdict_count,
        coalesce(evaluations.golden_passed_count, 0) as golden_passed_count,
        coalesce(labels.label_count, 0) as label_count,
        coalesce(labels.labeler_count, 0) as labeler_count,
        coalesce(labels.label_pair_count, 0) as label_pair_count,
        labels.label_agreement,
        attribution.carries_outcome,
        attribution.is_superseded,
        attribution.task_attempt_number,
        attribution.task_interaction_count,
        -- the task's outcome, on every non-shadow row of the task (shadow responses never
        -- receive outcomes); carries_outcome says which row counts it
        task_outcomes.primary_outcome_metric,
        task_outcomes.primary_outcome_value,
        task_outcomes.primary_outcome_at,
        coalesce(task_outcomes.primary_outcome_corrected, false) as primary_outcome_corrected,
        task_outcomes.secondary_outcomes,
        -- data-quality flags
        coalesce(feedback.first_feedback_at < scoped.event_at, false)
            as has_feedback_before_interaction,
        coalesce(scoped.is_shadow and feedback.feedback_event_count > 0, false)
            as has_feedback_on_shadow,
        coalesce(
            task_outcomes.last_outcome_at < scoped.event_at and attribution.carries_outcome, false
        )
            as has_outcome_before_interaction,
        coalesce(task_outcomes.task_type <> scoped.task_type, false)
            as has_outcome_task_type_mismatch,
        scoped.schema_version,
        scoped.ingested_at,
        -- newest ingested_at of anything this row was built from: the incremental watermark
        greatest(
            scoped.ingested_at,
            attribution.task_last_ingested_at,
            feedback.last_ingested_at,
            evaluations.last_ingested_at,
            labels.last_ingested_at,
            task_outcomes.last_ingested_at
        ) as source_ingested_at
    from scoped
    left join feedback on scoped.output_id = feedback.output_id
    left join evaluations on scoped.output_id = evaluations.output_id
    left join labels on scoped.output_id = labels.output_id
    left join attribution on scoped.output_id = attribution.output_id
    left join task_outcomes
        on scoped.task_id = task_outcomes.task_id
        and not scoped.is_shadow
)

select * from final
