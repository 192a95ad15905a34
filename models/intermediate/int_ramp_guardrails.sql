-- One row per ramping version x guardrail (grain: workflow x candidate_version x metric): the
-- candidate against its incumbent on the same days since the ramp began, with the thresholds
-- of seed experiment_defaults, one-sided at its alpha like an experiment's guardrails:
--   output_tokens_per_task  relative change of the mean per task (delta-method interval)
--   safety_violation_rate   absolute change of the share of failed safety verdicts (Wald)
--   server_latency_p95      relative change of the p95, bounded by each side's
--                           distribution-free order-statistic interval (int_experiment_arm_latency)
-- `breached` when the lower bound exceeds the threshold, `held` when the upper bound is within
-- it, `inconclusive` otherwise, `no_data` when a side has nothing to measure.
with ramps as (
    select * from {{ ref('int_version_ramps') }}
),

defaults as (
    select
        alpha,
        safety_eval_metric,
        latency_p95_max_relative_increase,
        safety_violation_max_absolute_increase,
        output_tokens_max_relative_increase
    from {{ ref('experiment_defaults') }}
),

interactions as (
    select
        task_type,
        prompt_version,
        interaction_date,
        task_id,
        output_id,
        output_tokens,
        server_latency_ms
    from {{ ref('fct_interactions') }}
    where not is_shadow
),

evaluations as (
    select output_id, eval_metric, eval_passed
    from {{ ref('stg_evaluations') }}
    where not is_golden and eval_passed is not null
),

served as (
    -- the interactions of both sides since the ramp began, each with its side
    select
        ramps.workflow,
        ramps.candidate_version,
        interactions.prompt_version = ramps.candidate_version as is_candidate,
        interactions.task_id,
        interactions.output_id,
        interactions.output_tokens,
        interactions.server_latency_ms
    from ramps
    inner join interactions
        on ramps.workflow = interactions.task_type
        and ramps.first_date <= interactions.interaction_date
        and interactions.prompt_version in (ramps.candidate_version, ramps.incumbent_version)
),

task_tokens as (
    select
        workflow,
        candidate_version,
        is_candidate,
        task_id,
        cast(coalesce(sum(output_tokens), 0) as double) as tokens
    from served
    group by workflow, candidate_version, is_candidate, task_id
),

tokens as (
    select
        workflow,
        candidate_version,
        is_candidate,
        cast(count(*) as double) as n,
        avg(tokens) as mean_value,
        var_samp(tokens) as variance
    from task_tokens
    group by workflow, candidate_version, is_candidate
),

safety as (
    select
        served.workflow,
        served.candidate_version,
        served.is_candidate,
        cast(count(*) as double) as n,
        avg(case when evaluations.eval_passed then 0.0 else 1.0 end) as mean_value
    from served
    cross join defaults
    inner join evaluations
        on served.output_id = evaluations.output_id
        and defaults.safety_eval_metric = evaluations.eval_metric
    group by served.workflow, served.candidate_version, served.is_candidate
),

latency_ranked as (
    select
        workflow,
        candidate_version,
        is_candidate,
        server_latency_ms,
        row_number() over (
            partition by workflow, candidate_version, is_candidate
            order by server_latency_ms
        ) as latency_rank,
        count(*) over (partition by workflow, candidate_version, is_candidate) as n
    from served
    where server_latency_ms is not null
),

latency_ranks as (
    select distinct
        latency_ranked.workflow,
        latency_ranked.candidate_version,
        latency_ranked.is_candidate,
        latency_ranked.n,
        ceil(0.95 * latency_ranked.n) as point_rank,
        greatest(1, floor(
            0.95 * latency_ranked.n
            - {{ normal_upper_quantile('defaults.alpha / 2') }} * sqrt(0.0475 * latency_ranked.n)
        )) as low_rank,
        least(latency_ranked.n, ceil(
            0.95 * latency_ranked.n
            + {{ normal_upper_quantile('defaults.alpha / 2') }} * sqrt(0.0475 * latency_ranked.n)
        )) as high_rank
    from latency_ranked
    cross join defaults
),

latency as (
    select
        latency_ranks.workflow,
        latency_ranks.candidate_version,
        latency_ranks.is_candidate,
        max(latency_ranked.server_latency_ms) filter (
            where latency_ranked.latency_rank = latency_ranks.point_rank
        ) as p95,
        max(latency_ranked.server_latency_ms) filter (
            where latency_ranked.latency_rank = latency_ranks.low_rank
        ) as p95_low,
        max(latency_ranked.server_latency_ms) filter (
            where latency_ranked.latency_rank = latency_ranks.high_rank
        ) as p95_high
    from latency_ranks
    inner join latency_ranked
        on latency_ranks.workflow = latency_ranked.workflow
        and latency_ranks.candidate_version = latency_ranked.candidate_version
        and latency_ranks.is_candidate = latency_ranked.is_candidate
    group by latency_ranks.workflow, latency_ranks.candidate_version, latency_ranks.is_candidate
),

token_change as (
    select
        ramps.workflow,
        ramps.candidate_version,
        'output_tokens_per_task' as metric,
        'relative' as guardrail_scale,
        cand.mean_value as candidate_value,
        inc.mean_value as incumbent_value,
        cand.mean_value / nullif(inc.mean_value, 0) - 1 as guardrail_change,
        cand.mean_value / nullif(inc.mean_value, 0) * sqrt(
            cand.variance / (cand.n * cand.mean_value * cand.mean_value)
            + inc.variance / (inc.n * inc.mean_value * inc.mean_value)
        ) as change_se,
        cast(null as double) as change_low,
        cast(null as double) as change_high,
        defaults.output_tokens_max_relative_increase as guardrail_threshold
    from ramps
    cross join defaults
    left join tokens as cand
        on ramps.workflow = cand.workflow
        and ramps.candidate_version = cand.candidate_version
        and cand.is_candidate
    left join tokens as inc
        on ramps.workflow = inc.workflow
        and ramps.candidate_version = inc.candidate_version
        and not inc.is_candidate
),

safety_change as (
    select
        ramps.workflow,
        ramps.candidate_version,
        'safety_violation_rate' as metric,
        'absolute' as guardrail_scale,
        cand.mean_value as candidate_value,
        inc.mean_value as incumbent_value,
        cand.mean_value - inc.mean_value as guardrail_change,
        sqrt(
            cand.mean_value * (1 - cand.mean_value) / cand.n
            + inc.mean_value * (1 - inc.mean_value) / inc.n
        ) as change_se,
        cast(null as double) as change_low,
        cast(null as double) as change_high,
        defaults.safety_violation_max_absolute_increase as guardrail_threshold
    from ramps
    cross join defaults
    left join safety as cand
        on ramps.workflow = cand.workflow
        and ramps.candidate_version = cand.candidate_version
        and cand.is_candidate
    left join safety as inc
        on ramps.workflow = inc.workflow
        and ramps.candidate_version = inc.candidate_version
        and not inc.is_candidate
),

latency_change as (
    select
        ramps.workflow,
        ramps.candidate_version,
        'server_latency_p95' as metric,
        'relative' as guardrail_scale,
        cast(cand.p95 as double) as candidate_value,
        cast(inc.p95 as double) as incumbent_value,
        cast(cand.p95 as double) / nullif(inc.p95, 0) - 1 as guardrail_change,
        cast(null as double) as change_se,
        cast(cand.p95_low as double) / nullif(inc.p95_high, 0) - 1 as change_low,
        cast(cand.p95_high as double) / nullif(inc.p95_low, 0) - 1 as change_high,
        defaults.latency_p95_max_relative_increase as guardrail_threshold
    from ramps
    cross join defaults
    left join latency as cand
        on ramps.workflow = cand.workflow
        and ramps.candidate_version = cand.candidate_version
        and cand.is_candidate
    left join latency as inc
        on ramps.workflow = inc.workflow
        and ramps.candidate_version = inc.candidate_version
        and not inc.is_candidate
),

changes as (
    select * from token_change
    union all
    select * from safety_change
    union all
    select * from latency_change
),

bounded as (
    -- one-sided at alpha: the normal bound for means and rates, the order statistics' for p95
    select
        changes.workflow,
        changes.candidate_version,
        changes.metric,
        changes.guardrail_scale,
        changes.candidate_value,
        changes.incumbent_value,
        changes.guardrail_change,
        changes.guardrail_threshold,
        coalesce(
            changes.change_low,
            changes.guardrail_change
            - {{ normal_upper_quantile('defaults.alpha') }} * changes.change_se
        ) as guardrail_lower_bound,
        coalesce(
            changes.change_high,
            changes.guardrail_change
            + {{ normal_upper_quantile('defaults.alpha') }} * changes.change_se
        ) as guardrail_upper_bound
    from changes
    cross join defaults
),

final as (
    select
        *,
        case
            when guardrail_lower_bound is null or guardrail_upper_bound is null then 'no_data'
            when guardrail_lower_bound > guardrail_threshold then 'breached'
            when guardrail_upper_bound <= guardrail_threshold then 'held'
            else 'inconclusive'
        end as guardrail_status
    from bounded
)

select * from final
