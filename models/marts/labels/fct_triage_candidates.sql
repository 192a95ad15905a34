-- Every questionable response with its triage priority. Grain: one row per non-shadow
-- interaction (output_id) carrying at least one review signal.
--   expected_impact = how far the primary outcome rate of the workflow's responses with the
--     signal falls short of the workflow's rate (over all responses whose task reported the
--     primary metric; in the direction of higher_is_better; 0 when not short); an item with
--     several signals takes its largest
--   priority = expected_impact x version_volume (interactions of its workflow and version
--     that week) x segment_weight (tenant_tiers seed; 1.0 for an unknown tenant)
--   sample_key = ln(u) / priority with u = stable_unit_hash(output_id): the weighted random
--     sample without replacement of Efraimidis & Spirakis (take the largest keys), drawn from
--     a hash so it is the same on every run.
with interactions as (
    select
        output_id,
        task_id,
        trace_id,
        session_id,
        tenant_id,
        task_type,
        interacted_at,
        interaction_week,
        prompt_version,
        model_id,
        model_version,
        thumbs_down_count,
        edit_distance_mean,
        is_retried,
        is_abandoned,
        is_escalated,
        eval_verdict_count,
        eval_passed_count,
        primary_outcome_value
    from {{ ref('fct_interactions') }}
    where not is_shadow
),

review_signals as (
    select * from {{ ref('int_output_review_signals') }}
),

labels as (
    select
        output_id,
        labeled_at
    from {{ ref('int_label_events') }}
),

workflows as (
    select
        task_type,
        higher_is_better
    from {{ ref('workflows') }}
),

tiers as (
    select
        tenant_id,
        tier,
        segment_weight
    from {{ ref('tenant_tiers') }}
),

flagged as (
    select
        interactions.*,
        interactions.thumbs_down_count > 0 as has_thumbs_down,
        coalesce(
            interactions.edit_distance_mean > {{ var('triage_heavy_edit_distance') }}, false
        ) as has_heavy_edit,
        interactions.eval_verdict_count > interactions.eval_passed_count
            as has_failed_evaluation,
        coalesce(review_signals.has_low_groundedness, false) as has_low_groundedness,
        coalesce(review_signals.has_trusted_disagreement, false) as has_trusted_disagreement,
        case
            when interactions.primary_outcome_value is null then null
            when interactions.primary_outcome_value > 0 then cast(1 as double)
            else cast(0 as double)
        end as outcome_success
    from interactions
    left join review_signals on interactions.output_id = review_signals.output_id
),

signals as (
    -- one row per (response, signal it carries)
    select output_id, task_type, outcome_success, 'thumbs_down' as review_signal
    from flagged
    where has_thumbs_down
    union all
    select output_id, task_type, outcome_success, 'heavy_edit' as review_signal
    from flagged
    where has_heavy_edit
    union all
    select output_id, task_type, outcome_success, 'retry' as review_signal
    from flagged
    where is_retried
    union all
    select output_id, task_type, outcome_success, 'abandon' as review_signal
    from flagged
    where is_abandoned
    union all
    select output_id, task_type, outcome_success, 'escalation' as review_signal
    from flagged
    where is_escalated
    union all
    select output_id, task_type, outcome_success, 'failed_evaluation' as review_signal
    from flagged
    where has_failed_evaluation
    union all
    select output_id, task_type, outcome_success, 'low_groundedness' as review_signal
    from flagged
    where has_low_groundedness
    union all
    select output_id, task_type, outcome_success, 'trusted_disagreement' as review_signal
    from flagged
    where has_trusted_disagreement
),

workflow_rates as (
    select
        task_type,
        avg(outcome_success) as workflow_outcome_rate
    from flagged
    group by task_type
),

signal_rates as (
    select
        task_type,
        review_signal,
        count(outcome_success) as signal_outcome_count,
        avg(outcome_success) as signal_outcome_rate
    from signals
    group by task_type, review_signal
),

signal_impacts as (
    select
        signal_rates.*,
        workflow_rates.workflow_outcome_rate,
        coalesce(greatest(
            0.0,
            (workflow_rates.workflow_outcome_rate - signal_rates.signal_outcome_rate)
            * (case when coalesce(workflows.higher_is_better, true) then 1.0 else -1.0 end)
        ), 0.0) as expected_impact
    from signal_rates
    inner join workflow_rates on signal_rates.task_type = workflow_rates.task_type
    left join workflows on signal_rates.task_type = workflows.task_type
),

item_signals as (
    select
        signals.output_id,
        signals.review_signal,
        signal_impacts.expected_impact,
        signal_impacts.signal_outcome_count,
        signal_impacts.signal_outcome_rate,
        signal_impacts.workflow_outcome_rate,
        count(*) over (partition by signals.output_id) as signal_count,
        row_number() over (
            partition by signals.output_id
            order by signal_impacts.expected_impact desc, signals.review_signal asc
        ) as impact_rank
    from signals
    inner join signal_impacts
        on signals.task_type = signal_impacts.task_type
        and signals.review_signal = signal_impacts.review_signal
),

item_signal_lists as (
    select
        output_id,
        {{ string_list_agg('review_signal') }} as signals
    from signals
    group by output_id
),

version_volumes as (
    select
        task_type,
        interaction_week,
        prompt_version,
        model_id,
        model_version,
        count(*) as version_volume
    from interactions
    group by task_type, interaction_week, prompt_version, model_id, model_version
),

first_labels as (
    select
        output_id,
        min(labeled_at) as first_labeled_at
    from labels
    group by output_id
),

scored as (
    select
        flagged.interaction_week as triage_week,
        flagged.task_type,
        flagged.output_id,
        flagged.task_id,
        flagged.trace_id,
        flagged.session_id,
        flagged.tenant_id,
        coalesce(tiers.tier, 'unknown') as tenant_tier,
        flagged.interacted_at,
        flagged.prompt_version,
        flagged.model_id,
        flagged.model_version,
        item_signal_lists.signals,
        cast(item_signals.signal_count as bigint) as signal_count,
        item_signals.review_signal as primary_signal,
        item_signals.expected_impact,
        cast(item_signals.signal_outcome_count as bigint) as primary_signal_outcome_count,
        item_signals.signal_outcome_rate as primary_signal_outcome_rate,
        item_signals.workflow_outcome_rate,
        cast(version_volumes.version_volume as bigint) as version_volume,
        coalesce(tiers.segment_weight, 1.0) as segment_weight,
        first_labels.first_labeled_at,
        {{ stable_unit_hash('flagged.output_id') }} as unit_hash
    from flagged
    inner join item_signals
        on flagged.output_id = item_signals.output_id and item_signals.impact_rank = 1
    inner join item_signal_lists on flagged.output_id = item_signal_lists.output_id
    inner join version_volumes
        on
        flagged.task_type = version_volumes.task_type
        and flagged.interaction_week = version_volumes.interaction_week
        and flagged.prompt_version is not distinct from version_volumes.prompt_version
        and flagged.model_id is not distinct from version_volumes.model_id
        and flagged.model_version is not distinct from version_volumes.model_version
    left join tiers on flagged.tenant_id = tiers.tenant_id
    left join first_labels on flagged.output_id = first_labels.output_id
),

final as (
    select
        *,
        expected_impact * version_volume * segment_weight as priority,
        case
            when expected_impact * version_volume * segment_weight > 0
                then ln(unit_hash) / (expected_impact * version_volume * segment_weight)
        end as sample_key,
        coalesce(
            first_labeled_at < cast({{ add_days('triage_week', 7) }} as timestamp),
            false
        ) as is_labeled_before_queue
    from scored
)

select * from final
