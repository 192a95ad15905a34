-- One row per ramping version (int_version_ramps; grain: workflow x candidate_version): its
-- primary outcome against its incumbent's on the same days since the ramp began. A ramp is
-- not randomized and its share changes by the day, so the difference is estimated within
-- days (strata) and pooled with weights n1 n0 / (n1 + n0) over the days with at least
-- `ramp_min_stratum_tasks` tasks with an outcome on each side (the estimator of
-- fct_version_changes_weekly). Its intervals: a fixed 95% one and an always-valid one (the
-- confidence sequence of floop.stats / gbstats 0.8.0 with tuning 5,000 at the default alpha,
-- N = the tasks compared), so looking every day is safe.
with ramps as (
    select * from {{ ref('int_version_ramps') }}
),

defaults as (
    select alpha, non_inferiority_margin, minimum_units_per_arm
    from {{ ref('experiment_defaults') }}
),

outcomes as (
    select task_type, prompt_version, interaction_date, primary_outcome_value
    from {{ ref('fct_interactions') }}
    where not is_shadow and carries_outcome and primary_outcome_value is not null
),

days as (
    select
        ramps.workflow,
        ramps.candidate_version,
        outcomes.interaction_date,
        count(*) filter (
            where outcomes.prompt_version = ramps.candidate_version
        ) as candidate_tasks,
        count(*) filter (
            where outcomes.prompt_version = ramps.candidate_version
            and outcomes.primary_outcome_value > 0
        ) as candidate_successes,
        count(*) filter (
            where outcomes.prompt_version = ramps.incumbent_version
        ) as incumbent_tasks,
        count(*) filter (
            where outcomes.prompt_version = ramps.incumbent_version
            and outcomes.primary_outcome_value > 0
        ) as incumbent_successes
    from ramps
    inner join outcomes
        on ramps.workflow = outcomes.task_type
        and ramps.first_date <= outcomes.interaction_date
        and outcomes.prompt_version in (ramps.candidate_version, ramps.incumbent_version)
    group by ramps.workflow, ramps.candidate_version, outcomes.interaction_date
),

strata as (
    select
        workflow,
        candidate_version,
        cast(candidate_tasks as double) as n1,
        cast(candidate_successes as double) as s1,
        cast(incumbent_tasks as double) as n0,
        cast(incumbent_successes as double) as s0
    from days
    where
        candidate_tasks >= {{ var('ramp_min_stratum_tasks') }}
        and incumbent_tasks >= {{ var('ramp_min_stratum_tasks') }}
),

strata_terms as (
    select
        workflow,
        candidate_version,
        n1,
        s1,
        n0,
        s0,
        n1 * n0 / (n1 + n0) as stratum_weight,
        s1 / n1 - s0 / n0 as stratum_delta,
        (s1 / n1) * (1 - s1 / n1) / n1 + (s0 / n0) * (1 - s0 / n0) / n0 as stratum_variance
    from strata
),

pooled as (
    select
        workflow,
        candidate_version,
        count(*) as strata_used,
        cast(sum(n1) as bigint) as candidate_outcome_tasks,
        cast(sum(s1) as bigint) as candidate_successes,
        cast(sum(n0) as bigint) as incumbent_outcome_tasks,
        cast(sum(s0) as bigint) as incumbent_successes,
        sum(stratum_weight * stratum_delta) / sum(stratum_weight) as outcome_difference,
        sqrt(sum(stratum_weight * stratum_weight * stratum_variance))
        / sum(stratum_weight) as outcome_difference_se
    from strata_terms
    group by workflow, candidate_version
),

sequence_terms as (
    select
        pooled.*,
        defaults.alpha as sequential_alpha,
        cast(pooled.candidate_outcome_tasks + pooled.incumbent_outcome_tasks as double)
            as compared_tasks,
        (-2 * ln(defaults.alpha) + ln(1 - 2 * ln(defaults.alpha))) / 5000.0 as rho_sq
    from pooled
    cross join defaults
),

sequential as (
    -- the confidence sequence's half-width: se sqrt(N) sqrt(2 g ln(sqrt(g) / alpha) /
    -- (N^2 rho^2)) = se sqrt(2 g ln(sqrt(g) / alpha) / (N rho^2)), g = N rho^2 + 1,
    -- rho^2 = (-2 ln alpha + ln(1 - 2 ln alpha)) / 5000 (floop.stats.frequentist)
    select
        *,
        outcome_difference_se * sqrt(
            2 * (compared_tasks * rho_sq + 1)
            * ln(sqrt(compared_tasks * rho_sq + 1) / sequential_alpha)
            / (compared_tasks * rho_sq)
        ) as sequential_half_width
    from sequence_terms
),

final as (
    select
        ramps.workflow,
        ramps.candidate_version,
        ramps.incumbent_version,
        ramps.first_date,
        ramps.latest_share,
        defaults.alpha,
        defaults.non_inferiority_margin,
        defaults.minimum_units_per_arm,
        coalesce(sequential.strata_used, 0) as strata_used,
        coalesce(sequential.candidate_outcome_tasks, 0) as candidate_outcome_tasks,
        coalesce(sequential.incumbent_outcome_tasks, 0) as incumbent_outcome_tasks,
        {{ safe_rate('sequential.candidate_successes', 'sequential.candidate_outcome_tasks') }}
            as candidate_outcome_rate,
        {{ safe_rate('sequential.incumbent_successes', 'sequential.incumbent_outcome_tasks') }}
            as incumbent_outcome_rate,
        sequential.outcome_difference,
        sequential.outcome_difference_se,
        sequential.outcome_difference - 1.959963984540054 * sequential.outcome_difference_se
            as outcome_difference_ci_low,
        sequential.outcome_difference + 1.959963984540054 * sequential.outcome_difference_se
            as outcome_difference_ci_high,
        sequential.outcome_difference - sequential.sequential_half_width
            as outcome_difference_seq_ci_low,
        sequential.outcome_difference + sequential.sequential_half_width
            as outcome_difference_seq_ci_high
    from ramps
    cross join defaults
    left join sequential
        on ramps.workflow = sequential.workflow
        and ramps.candidate_version = sequential.candidate_version
)

select * from final
