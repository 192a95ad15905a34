-- One row per experiment x arm x metric: the arm's sufficient statistics over its
-- randomization units (units exposed to one arm only), exactly the fields of
-- floop.stats.RatioStats: n, sums, sums of squares and the cross-product of numerator and
-- denominator, plus, for the primary outcome, the pre-period sums and the four post x pre
-- cross-products CUPED needs. Units not seen before the start enter the pre-period sums as 0.
with units as (
    select * from {{ ref('int_experiment_unit_metrics') }}
),

arms as (
    select * from {{ ref('int_experiment_arms') }}
),

assignment as (
    select
        experiment_id,
        count(distinct unit_id) as exposed_units,
        count(distinct unit_id) filter (where is_multiple_exposure) as multiple_exposure_units
    from units
    group by experiment_id
),

per_unit as (
    select
        experiment_id,
        arm,
        cast(successes as double) as success_count,
        cast(outcome_tasks as double) as outcome_count,
        cast(pre_successes as double) as pre_success_count,
        cast(pre_outcome_tasks as double) as pre_outcome_count,
        is_seen_before_start,
        cast(output_tokens as double) as token_count,
        cast(unit_tasks as double) as task_count,
        cast(safety_violations as double) as violation_count,
        cast(safety_verdicts as double) as verdict_count
    from units
    where not is_multiple_exposure
),

metric_values as (
    -- one row per unit and metric: numerator, denominator, pre-period numerator/denominator
    select
        experiment_id,
        arm,
        'primary_outcome' as metric,
        success_count as num,
        outcome_count as den,
        pre_success_count as pre_num,
        pre_outcome_count as pre_den,
        is_seen_before_start
    from per_unit
    union all
    select
        experiment_id,
        arm,
        'output_tokens_per_task' as metric,
        token_count as num,
        task_count as den,
        0.0 as pre_num,
        0.0 as pre_den,
        false as is_seen_before_start
    from per_unit
    union all
    select
        experiment_id,
        arm,
        'safety_violation_rate' as metric,
        violation_count as num,
        verdict_count as den,
        0.0 as pre_num,
        0.0 as pre_den,
        false as is_seen_before_start
    from per_unit
),

sums as (
    select
        experiment_id,
        arm,
        metric,
        count(*) as units,
        sum(num) as num_sum,
        sum(num * num) as num_sum_sq,
        sum(den) as den_sum,
        sum(den * den) as den_sum_sq,
        sum(num * den) as num_den_sum,
        count(*) filter (where is_seen_before_start) as pre_units,
        sum(pre_num) as pre_num_sum,
        sum(pre_num * pre_num) as pre_num_sum_sq,
        sum(pre_den) as pre_den_sum,
        sum(pre_den * pre_den) as pre_den_sum_sq,
        sum(pre_num * pre_den) as pre_num_den_sum,
        sum(num * pre_num) as num_pre_num_sum,
        sum(num * pre_den) as num_pre_den_sum,
        sum(den * pre_num) as den_pre_num_sum,
        sum(den * pre_den) as den_pre_den_sum
    from metric_values
    group by experiment_id, arm, metric
),

metrics as (
    select 'primary_outcome' as metric, 'goal' as metric_role
    union all
    select 'output_tokens_per_task' as metric, 'guardrail' as metric_role
    union all
    select 'safety_violation_rate' as metric, 'guardrail' as metric_role
),

final as (
    select
        arms.experiment_id,
        arms.arm,
        metrics.metric,
        metrics.metric_role,
        arms.workflow,
        arms.is_control,
        arms.planned_weight,
        arms.is_planned,
        arms.arm_version,
        coalesce(sums.units, 0) as units,
        coalesce(sums.num_sum, 0.0) as num_sum,
        coalesce(sums.num_sum_sq, 0.0) as num_sum_sq,
        coalesce(sums.den_sum, 0.0) as den_sum,
        coalesce(sums.den_sum_sq, 0.0) as den_sum_sq,
        coalesce(sums.num_den_sum, 0.0) as num_den_sum,
        coalesce(sums.pre_units, 0) as pre_units,
        coalesce(sums.pre_num_sum, 0.0) as pre_num_sum,
        coalesce(sums.pre_num_sum_sq, 0.0) as pre_num_sum_sq,
        coalesce(sums.pre_den_sum, 0.0) as pre_den_sum,
        coalesce(sums.pre_den_sum_sq, 0.0) as pre_den_sum_sq,
        coalesce(sums.pre_num_den_sum, 0.0) as pre_num_den_sum,
        coalesce(sums.num_pre_num_sum, 0.0) as num_pre_num_sum,
        coalesce(sums.num_pre_den_sum, 0.0) as num_pre_den_sum,
        coalesce(sums.den_pre_num_sum, 0.0) as den_pre_num_sum,
        coalesce(sums.den_pre_den_sum, 0.0) as den_pre_den_sum,
        coalesce(assignment.exposed_units, 0) as exposed_units,
        coalesce(assignment.multiple_exposure_units, 0) as multiple_exposure_units,
        arms.alpha,
        arms.latency_p95_max_relative_increase,
        arms.safety_violation_max_absolute_increase,
        arms.output_tokens_max_relative_increase
    from arms
    cross join metrics
    left join sums
        on arms.experiment_id = sums.experiment_id
        and arms.arm = sums.arm
        and metrics.metric = sums.metric
    left join assignment on arms.experiment_id = assignment.experiment_id
)

select * from final
