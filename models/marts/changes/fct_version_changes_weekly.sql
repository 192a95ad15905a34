-- "What changed, and did it help": per workflow, ISO week and kind of version (prompt, model,
-- knowledge), the versions that appeared or grew their share of the workflow's traffic, the
-- version they displaced (the one of the same kind whose share fell most since the week
-- before), the primary-outcome delta against it with a 95% interval, and whether explicit
-- feedback and implicit signals move the same way. The newcomer is judged on this week, the
-- displaced version on the previous week (its traffic before the change).
-- A model version is named model_id@model_version, since versions repeat across families.
-- When changes of two kinds overlap in a workflow-week (a prompt and a knowledge snapshot
-- rolled out together), the before/after delta credits both with the same movement. Each is
-- then also estimated within strata that hold the other version dimensions fixed (the prompt
-- change among interactions on one knowledge version, and vice versa), pooled with weights
-- n1 n0 / (n1 + n0) over the strata with at least `change_min_stratum_tasks` tasks with an
-- outcome on each side; the verdict follows that estimate, and with no such stratum it is
-- `confounded`, naming the other changes: never `helped`.
with interactions as (
    select
        task_type,
        interaction_week,
        prompt_version,
        model_id || '@' || model_version as model_version,
        knowledge_version,
        carries_outcome,
        primary_outcome_value,
        thumbs_up_count,
        thumbs_down_count,
        weighted_thumbs_up,
        weighted_thumbs_down,
        is_retried,
        is_escalated,
        edit_count,
        edit_distance_mean
    from {{ ref('fct_interactions') }}
    where not is_shadow
),

by_kind as (
    select
        'prompt' as version_kind,
        prompt_version as version_id,
        {{ star_except(['prompt_version', 'model_version', 'knowledge_version']) }}
    from interactions
    union all
    select
        'model' as version_kind,
        model_version as version_id,
        {{ star_except(['prompt_version', 'model_version', 'knowledge_version']) }}
    from interactions
    union all
    select
        'knowledge' as version_kind,
        coalesce(knowledge_version, '(none)') as version_id,
        {{ star_except(['prompt_version', 'model_version', 'knowledge_version']) }}
    from interactions
),

version_weeks as (
    select
        task_type,
        interaction_week,
        version_kind,
        version_id,
        count(*) as interactions,
        count(*) filter (where carries_outcome and primary_outcome_value is not null)
            as tasks_with_outcome,
        count(*) filter (where carries_outcome and primary_outcome_value > 0) as successes,
        sum(thumbs_up_count) as thumbs_up,
        sum(thumbs_down_count) as thumbs_down,
        sum(weighted_thumbs_up) as weighted_up,
        sum(weighted_thumbs_down) as weighted_down,
        count(*) filter (where is_retried) as retried,
        count(*) filter (where is_escalated) as escalated,
        sum(edit_count) as edits,
        sum(edit_distance_mean * edit_count) as edit_distance_sum
    from by_kind
    group by all
),

workflow_weeks as (
    select task_type, interaction_week, count(*) as workflow_interactions
    from interactions
    group by all
),

shares as (
    select
        version_weeks.*,
        workflow_weeks.workflow_interactions,
        version_weeks.interactions / workflow_weeks.workflow_interactions as traffic_share,
        {{ safe_rate('version_weeks.successes', 'version_weeks.tasks_with_outcome') }}
            as outcome_rate,
        {{ thumbs_up_share('version_weeks.thumbs_up', 'version_weeks.thumbs_down') }}
            as thumbs_up_share,
        {{ thumbs_up_share('version_weeks.weighted_up', 'version_weeks.weighted_down') }}
            as weighted_thumbs_up_share,
        {{ safe_rate('version_weeks.retried', 'version_weeks.interactions') }} as retry_rate,
        {{ safe_rate('version_weeks.escalated', 'version_weeks.interactions') }} as escalation_rate,
        version_weeks.edit_distance_sum / nullif(version_weeks.edits, 0) as edit_distance_mean
    from version_weeks
    inner join workflow_weeks
        on version_weeks.task_type = workflow_weeks.task_type
        and version_weeks.interaction_week = workflow_weeks.interaction_week
),

-- every (workflow, kind, version) in this week or the one before, with both weeks' shares
week_pairs as (
    select distinct task_type, version_kind, version_id, interaction_week
    from shares
    union
    select distinct
        task_type,
        version_kind,
        version_id,
        cast(interaction_week + interval 7 day as date) as interaction_week
    from shares
),

movements as (
    select
        week_pairs.task_type,
        week_pairs.version_kind,
        week_pairs.version_id,
        week_pairs.interaction_week,
        coalesce(cur.traffic_share, 0) as traffic_share,
        coalesce(prev.traffic_share, 0) as previous_traffic_share,
        coalesce(cur.traffic_share, 0) - coalesce(prev.traffic_share, 0) as share_delta
    from week_pairs
    left join shares as cur
        on week_pairs.task_type = cur.task_type
        and week_pairs.version_kind = cur.version_kind
        and week_pairs.version_id = cur.version_id
        and week_pairs.interaction_week = cur.interaction_week
    left join shares as prev
        on week_pairs.task_type = prev.task_type
        and week_pairs.version_kind = prev.version_kind
        and week_pairs.version_id = prev.version_id
        and week_pairs.interaction_week = cast(prev.interaction_week + interval 7 day as date)
    -- only weeks in which the workflow had traffic
    where exists (
        select 1 from workflow_weeks
        where
            workflow_weeks.task_type = week_pairs.task_type
            and workflow_weeks.interaction_week = week_pairs.interaction_week
    )
),

displaced as (
    -- per workflow, kind and week: the version whose share fell most
    select
        task_type,
        version_kind,
        interaction_week,
        {{ value_at_min('version_id', ['share_delta', 'version_id']) }} as displaced_version_id,
        min(share_delta) as displaced_share_delta
    from movements
    where share_delta < 0
    group by all
),

changes as (
    -- appeared, or grew by at least `change_min_share_delta` of the workflow's traffic; a
    -- workflow's first week is its start, not a change
    select movements.*
    from movements
    where (
        movements.share_delta >= {{ var('change_min_share_delta') }}
        or (movements.previous_traffic_share = 0 and movements.traffic_share > 0)
    )
    and exists (
        select 1 from workflow_weeks
        where
            workflow_weeks.task_type = movements.task_type
            and workflow_weeks.interaction_week
            = cast(movements.interaction_week - interval 7 day as date)
    )
),

-- outcomes per cell of every version dimension, then per kind: the version of that kind and
-- the stratum (the other two dimensions) the cell belongs to
cells as (
    select
        task_type,
        interaction_week,
        prompt_version,
        model_version,
        coalesce(knowledge_version, '(none)') as knowledge_version,
        count(*) filter (where carries_outcome and primary_outcome_value is not null)
            as tasks_with_outcome,
        count(*) filter (where carries_outcome and primary_outcome_value > 0) as successes
    from interactions
    group by all
),

cell_kinds as (
    select
        task_type,
        interaction_week,
        'prompt' as version_kind,
        prompt_version as version_id,
        'model ' || model_version || ', knowledge ' || knowledge_version as stratum,
        tasks_with_outcome,
        successes
    from cells
    union all
    select
        task_type,
        interaction_week,
        'model' as version_kind,
        model_version as version_id,
        'prompt ' || prompt_version || ', knowledge ' || knowledge_version as stratum,
        tasks_with_outcome,
        successes
    from cells
    union all
    select
        task_type,
        interaction_week,
        'knowledge' as version_kind,
        knowledge_version as version_id,
        'prompt ' || prompt_version || ', model ' || model_version as stratum,
        tasks_with_outcome,
        successes
    from cells
),

-- the changes of other kinds in the same workflow-week
concurrent as (
    select
        changes.task_type,
        changes.interaction_week,
        changes.version_kind,
        changes.version_id,
        {{ string_agg_ordered(
            "other.version_kind || ' ' || other.version_id", "'; '",
            'other.version_kind, other.version_id'
        ) }} as overlapping_changes
    from changes
    inner join changes as other
        on changes.task_type = other.task_type
        and changes.interaction_week = other.interaction_week
        and changes.version_kind <> other.version_kind
    group by all
),

-- per overlapping change and stratum: the newcomer this week against the displaced version
-- the week before, on the same other versions
strata as (
    select
        concurrent.task_type,
        concurrent.interaction_week,
        concurrent.version_kind,
        concurrent.version_id,
        cur.stratum,
        cast(cur.tasks_with_outcome as double) as n1,
        cast(cur.successes as double) as s1,
        cast(base.tasks_with_outcome as double) as n0,
        cast(base.successes as double) as s0
    from concurrent
    inner join displaced
        on concurrent.task_type = displaced.task_type
        and concurrent.version_kind = displaced.version_kind
        and concurrent.interaction_week = displaced.interaction_week
    inner join cell_kinds as cur
        on concurrent.task_type = cur.task_type
        and concurrent.interaction_week = cur.interaction_week
        and concurrent.version_kind = cur.version_kind
        and concurrent.version_id = cur.version_id
    inner join cell_kinds as base
        on concurrent.task_type = base.task_type
        and concurrent.interaction_week = cast(base.interaction_week + interval 7 day as date)
        and concurrent.version_kind = base.version_kind
        and displaced.displaced_version_id = base.version_id
        and cur.stratum = base.stratum
    where
        cur.tasks_with_outcome >= {{ var('change_min_stratum_tasks') }}
        and base.tasks_with_outcome >= {{ var('change_min_stratum_tasks') }}
),

strata_terms as (
    select
        *,
        n1 * n0 / (n1 + n0) as stratum_weight,
        s1 / n1 - s0 / n0 as stratum_delta,
        (s1 / n1) * (1 - s1 / n1) / n1 + (s0 / n0) * (1 - s0 / n0) / n0 as stratum_variance
    from strata
),

stratified as (
    select
        task_type,
        interaction_week,
        version_kind,
        version_id,
        count(*) as strata_used,
        cast(sum(n1) as bigint) as stratified_tasks_with_outcome,
        cast(sum(n0) as bigint) as stratified_baseline_tasks_with_outcome,
        sum(stratum_weight * stratum_delta) / sum(stratum_weight) as stratified_outcome_delta,
        sqrt(sum(stratum_weight * stratum_weight * stratum_variance))
        / sum(stratum_weight) as stratified_outcome_delta_se
    from strata_terms
    group by all
),

joined as (
    select
        changes.task_type,
        changes.interaction_week,
        changes.version_kind,
        changes.version_id,
        changes.previous_traffic_share = 0 as is_new,
        changes.traffic_share,
        changes.previous_traffic_share,
        changes.share_delta,
        displaced.displaced_version_id,
        displaced.displaced_share_delta,
        cur.interactions,
        cur.tasks_with_outcome,
        cur.successes,
        cur.outcome_rate,
        base.interactions as baseline_interactions,
        base.tasks_with_outcome as baseline_tasks_with_outcome,
        base.successes as baseline_successes,
        base.outcome_rate as baseline_outcome_rate,
        cur.thumbs_up_share - base.thumbs_up_share as thumbs_up_share_delta,
        cur.weighted_thumbs_up_share
        - base.weighted_thumbs_up_share as weighted_thumbs_up_share_delta,
        cur.retry_rate - base.retry_rate as retry_rate_delta,
        cur.escalation_rate - base.escalation_rate as escalation_rate_delta,
        cur.edit_distance_mean - base.edit_distance_mean as edit_distance_delta,
        concurrent.overlapping_changes,
        coalesce(stratified.strata_used, 0) as strata_used,
        stratified.stratified_tasks_with_outcome,
        stratified.stratified_baseline_tasks_with_outcome,
        stratified.stratified_outcome_delta,
        stratified.stratified_outcome_delta - 1.96 * stratified.stratified_outcome_delta_se
            as stratified_outcome_delta_ci_low,
        stratified.stratified_outcome_delta + 1.96 * stratified.stratified_outcome_delta_se
            as stratified_outcome_delta_ci_high
    from changes
    inner join shares as cur
        on changes.task_type = cur.task_type
        and changes.version_kind = cur.version_kind
        and changes.version_id = cur.version_id
        and changes.interaction_week = cur.interaction_week
    left join displaced
        on changes.task_type = displaced.task_type
        and changes.version_kind = displaced.version_kind
        and changes.interaction_week = displaced.interaction_week
    left join shares as base
        on displaced.task_type = base.task_type
        and displaced.version_kind = base.version_kind
        and displaced.displaced_version_id = base.version_id
        and changes.interaction_week = cast(base.interaction_week + interval 7 day as date)
    left join concurrent
        on changes.task_type = concurrent.task_type
        and changes.interaction_week = concurrent.interaction_week
        and changes.version_kind = concurrent.version_kind
        and changes.version_id = concurrent.version_id
    left join stratified
        on changes.task_type = stratified.task_type
        and changes.interaction_week = stratified.interaction_week
        and changes.version_kind = stratified.version_kind
        and changes.version_id = stratified.version_id
),

judged as (
    select
        *,
        {{ prop_diff_columns(
            'outcome_delta',
            'successes', 'tasks_with_outcome',
            'baseline_successes', 'baseline_tasks_with_outcome'
        ) }}
    from joined
),

final as (
    select
        task_type,
        interaction_week,
        {{ iso_week_label('interaction_week') }} as iso_week,
        version_kind,
        version_id,
        is_new,
        traffic_share,
        previous_traffic_share,
        share_delta,
        displaced_version_id,
        displaced_share_delta,
        interactions,
        tasks_with_outcome,
        successes,
        outcome_rate,
        baseline_interactions,
        baseline_tasks_with_outcome,
        baseline_successes,
        baseline_outcome_rate,
        outcome_delta,
        outcome_delta_ci_low,
        outcome_delta_ci_high,
        case
            when outcome_delta is null then 'insufficient_data'
            when overlapping_changes is null and outcome_delta_ci_low > 0 then 'helped'
            when overlapping_changes is null and outcome_delta_ci_high < 0 then 'hurt'
            when overlapping_changes is null then 'inconclusive'
            when stratified_outcome_delta is null then 'confounded'
            when stratified_outcome_delta_ci_low > 0 then 'helped'
            when stratified_outcome_delta_ci_high < 0 then 'hurt'
            else 'inconclusive'
        end as verdict,
        thumbs_up_share_delta,
        weighted_thumbs_up_share_delta,
        retry_rate_delta,
        escalation_rate_delta,
        edit_distance_delta,
        -- agreement: the signal moves in the direction that means "better" when the outcome
        -- improved, and "worse" when it got worse; null when either side is unknown or flat
        case
            when sign(outcome_delta) <> 0 and sign(weighted_thumbs_up_share_delta) <> 0
                then sign(weighted_thumbs_up_share_delta) = sign(outcome_delta)
        end as feedback_agrees,
        case
            when sign(outcome_delta) <> 0 and sign(retry_rate_delta) <> 0
                then sign(-retry_rate_delta) = sign(outcome_delta)
        end as implicit_agrees,
        overlapping_changes,
        strata_used,
        stratified_tasks_with_outcome,
        stratified_baseline_tasks_with_outcome,
        stratified_outcome_delta,
        stratified_outcome_delta_ci_low,
        stratified_outcome_delta_ci_high,
        case
            when outcome_delta is null then 'none'
            when overlapping_changes is null then 'before_after'
            when stratified_outcome_delta is null then 'none'
            else 'stratified'
        end as verdict_basis,
        case
            when
                outcome_delta is not null
                and overlapping_changes is not null
                and stratified_outcome_delta is null
                then overlapping_changes
        end as confounded_with
    from judged
)

select * from final
