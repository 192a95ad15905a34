-- The weekly triage queue for SME labeling. Grain: one row per queued response (output_id);
-- each response is queued at most once, in the week it was served.
-- Per workflow and week: budget = least(ceil(triage_budget_share x questionable items),
-- the workflow's labelers' weekly_capacity) (0 without labelers). The queue is the `budget`
-- candidates with the largest sample_key (a priority-weighted sample drawn from a hash of
-- output_id, so reruns and incremental runs give the same queue), leaving out responses
-- labeled before the week ended (already labeled). Items are dealt round-robin, in queue
-- order, to the workflow's labelers (by labeler_id). A queued item labeled since (by anyone)
-- is `labeled`, else `open`.
with candidates as (
    select * from {{ ref('fct_triage_candidates') }}
),

labelers as (
    select
        labeler_id,
        task_type,
        weekly_capacity
    from {{ ref('labelers') }}
    where role = 'labeler'
),

capacities as (
    select
        task_type,
        sum(weekly_capacity) as labeler_capacity,
        count(*) as labeler_count
    from labelers
    group by task_type
),

slots as (
    select
        labeler_id,
        task_type,
        row_number() over (partition by task_type order by labeler_id) - 1 as slot
    from labelers
),

weeks as (
    select
        task_type,
        triage_week,
        count(*) as questionable_count
    from candidates
    group by task_type, triage_week
),

budgets as (
    select
        weeks.task_type,
        weeks.triage_week,
        weeks.questionable_count,
        coalesce(capacities.labeler_capacity, 0) as labeler_capacity,
        coalesce(capacities.labeler_count, 0) as labeler_count,
        least(
            cast(ceil(weeks.questionable_count * {{ var('triage_budget_share') }}) as bigint),
            coalesce(capacities.labeler_capacity, 0)
        ) as week_budget
    from weeks
    left join capacities on weeks.task_type = capacities.task_type
),

ranked as (
    select
        *,
        row_number() over (
            partition by task_type, triage_week
            order by sample_key desc nulls last, unit_hash desc, output_id asc
        ) as queue_rank
    from candidates
    where not is_labeled_before_queue
),

queued as (
    select
        ranked.*,
        budgets.questionable_count,
        budgets.week_budget,
        budgets.labeler_capacity,
        budgets.labeler_count
    from ranked
    inner join budgets
        on ranked.task_type = budgets.task_type and ranked.triage_week = budgets.triage_week
    where ranked.queue_rank <= budgets.week_budget
),

final as (
    select
        queued.triage_week,
        queued.task_type,
        queued.output_id,
        cast(queued.queue_rank as bigint) as queue_rank,
        slots.labeler_id as assignee,
        case when queued.first_labeled_at is null then 'open' else 'labeled' end as status,
        queued.first_labeled_at as labeled_at,
        queued.tenant_id,
        queued.tenant_tier,
        queued.task_id,
        queued.trace_id,
        queued.session_id,
        queued.interacted_at,
        queued.prompt_version,
        queued.model_id,
        queued.model_version,
        queued.signals,
        queued.signal_count,
        queued.primary_signal,
        queued.expected_impact,
        queued.primary_signal_outcome_count,
        queued.version_volume,
        queued.segment_weight,
        queued.priority,
        queued.unit_hash,
        cast(queued.questionable_count as bigint) as week_questionable_count,
        cast(queued.week_budget as bigint) as week_budget,
        cast(queued.labeler_capacity as bigint) as labeler_capacity
    from queued
    inner join slots
        on
        queued.task_type = slots.task_type
        and (queued.queue_rank - 1) % queued.labeler_count = slots.slot
)

select * from final
