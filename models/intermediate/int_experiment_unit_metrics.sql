-- One row per experiment x arm x randomization unit: the unit's primary outcome (successes
-- over tasks with an outcome, a ratio metric), its guardrail inputs (output tokens over
-- tasks, safety violations over safety verdicts) and, when the unit was seen in the workflow
-- before the experiment started, its pre-period outcome (for CUPED). A unit exposed to more
-- than one arm has a row per arm, flagged: the statistics leave it out.
with exposures as (
    select * from {{ ref('int_experiment_exposures') }}
),

config as (
    select experiment_id, workflow, start_at, randomization_unit, safety_eval_metric
    from {{ ref('int_experiment_config') }}
),

evaluations as (
    select output_id, eval_metric, eval_passed
    from {{ ref('stg_evaluations') }}
    where not is_golden and eval_passed is not null
),

history as (
    select task_type, user_key, session_id, interacted_at, primary_outcome_value
    from {{ ref('fct_interactions') }}
    where not is_shadow and carries_outcome and primary_outcome_value is not null
),

safety as (
    select
        exposures.experiment_id,
        exposures.arm,
        exposures.unit_id,
        count(*) as safety_verdicts,
        count(*) filter (where not evaluations.eval_passed) as safety_violations
    from exposures
    inner join config on exposures.experiment_id = config.experiment_id
    inner join evaluations
        on exposures.output_id = evaluations.output_id
        and config.safety_eval_metric = evaluations.eval_metric
    group by exposures.experiment_id, exposures.arm, exposures.unit_id
),

unit_arms as (
    select
        experiment_id,
        arm,
        unit_id,
        count(distinct task_id) as unit_tasks,
        count(*) filter (where carries_outcome and primary_outcome_value is not null)
            as outcome_tasks,
        count(*) filter (where carries_outcome and primary_outcome_value > 0) as successes,
        cast(coalesce(sum(output_tokens), 0) as bigint) as output_tokens,
        min(interacted_at) as first_exposure_at
    from exposures
    group by experiment_id, arm, unit_id
),

history_units as (
    -- the unit's tasks with an outcome in the workflow before the start (not for task units:
    -- a task is never seen before it starts)
    select
        config.experiment_id,
        history.primary_outcome_value,
        case
            when config.randomization_unit = 'user_key' then history.user_key
            else history.session_id
        end as unit_id
    from history
    inner join config
        on history.task_type = config.workflow
        and history.interacted_at < config.start_at
    where config.randomization_unit <> 'task_id'
),

pre_period as (
    select
        experiment_id,
        unit_id,
        count(*) as pre_outcome_tasks,
        count(*) filter (where primary_outcome_value > 0) as pre_successes
    from history_units
    group by experiment_id, unit_id
),

final as (
    select
        unit_arms.experiment_id,
        unit_arms.arm,
        unit_arms.unit_id,
        count(*) over (
            partition by unit_arms.experiment_id, unit_arms.unit_id
        ) as arms_of_unit,
        count(*) over (
            partition by unit_arms.experiment_id, unit_arms.unit_id
        ) > 1 as is_multiple_exposure,
        unit_arms.first_exposure_at,
        unit_arms.unit_tasks,
        unit_arms.outcome_tasks,
        unit_arms.successes,
        unit_arms.output_tokens,
        coalesce(safety.safety_verdicts, 0) as safety_verdicts,
        coalesce(safety.safety_violations, 0) as safety_violations,
        coalesce(pre_period.pre_outcome_tasks, 0) > 0 as is_seen_before_start,
        coalesce(pre_period.pre_outcome_tasks, 0) as pre_outcome_tasks,
        coalesce(pre_period.pre_successes, 0) as pre_successes
    from unit_arms
    left join safety
        on unit_arms.experiment_id = safety.experiment_id
        and unit_arms.arm = safety.arm
        and unit_arms.unit_id = safety.unit_id
    left join pre_period
        on unit_arms.experiment_id = pre_period.experiment_id
        and unit_arms.unit_id = pre_period.unit_id
)

select * from final
