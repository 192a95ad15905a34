-- One row per candidate version against its incumbent, with every input its gates need:
-- each non-control arm of an experiment (incumbent: the control arm), each shadow version
-- (int_shadow_candidates; incumbent: the production version answering the same inputs) and
-- each version ramping in a workflow outside an experiment (int_ramp_candidates; incumbent:
-- its registered parent or the version it takes traffic from). Golden results are joined by
-- workflow and prompt version for both the candidate and the incumbent.
-- the text type of casts: varchar on DuckDB, string on Spark (macros/engine.sql)
{%- set text = string_type() %}
with config as (
    select * from {{ ref('int_experiment_config') }}
),

results as (
    select * from {{ ref('fct_experiment_results') }}
),

arm_stats as (
    select experiment_id, arm, units, is_planned, exposed_units, multiple_exposure_units
    from {{ ref('fct_experiment_arm_stats') }}
    where metric = 'primary_outcome'
),

shadows as (
    select * from {{ ref('int_shadow_candidates') }}
),

ramps as (
    select * from {{ ref('int_ramp_candidates') }}
),

golden_results as (
    -- the columns of the golden mart this model reads (one place to adapt)
    select
        workflow,
        prompt_version,
        golden_pass_rate_denominator as evaluations,
        golden_pass_rate_numerator as passed
    from {{ ref('fct_golden_results') }}
),

golden as (
    select
        workflow,
        prompt_version,
        cast(sum(evaluations) as bigint) as evaluations,
        cast(sum(passed) as bigint) as passed
    from golden_results
    group by workflow, prompt_version
),

assignment as (
    select
        experiment_id,
        min(units) as min_arm_units,
        max(exposed_units) as exposed_units,
        max(multiple_exposure_units) as multiple_exposure_units,
        count(*) filter (where not is_planned) as unplanned_arms
    from arm_stats
    group by experiment_id
),

guardrails as (
    select
        experiment_id,
        arm,
        {{ guardrail_tally() }}
    from results
    where metric_role = 'guardrail'
    group by experiment_id, arm
),

experiment_candidates as (
    select
        'experiment:' || results.experiment_id || '/' || results.arm as candidate_id,
        'experiment' as candidate_kind,
        results.workflow,
        results.experiment_id,
        results.arm_version as candidate_version,
        results.control_version as incumbent_version,
        config.is_configured,
        config.alpha,
        config.non_inferiority_margin,
        config.minimum_units_per_arm,
        assignment.min_arm_units,
        assignment.exposed_units,
        assignment.multiple_exposure_units,
        assignment.unplanned_arms,
        results.srm_p_value,
        results.is_srm,
        results.lift_relative as primary_lift,
        results.lift_relative_seq_ci_low as primary_lift_seq_ci_low,
        results.lift_relative_seq_ci_high as primary_lift_seq_ci_high,
        results.seq_p_value_holm as primary_seq_p_value_holm,
        results.chance_to_win as primary_chance_to_win,
        results.error as primary_error,
        results.lift_absolute as primary_difference,
        results.lift_absolute_seq_ci_low as primary_difference_seq_ci_low,
        results.lift_absolute_seq_ci_high as primary_difference_seq_ci_high,
        guardrails.guardrails,
        guardrails.guardrails_breached,
        guardrails.guardrails_held,
        guardrails.breached_guardrails,
        guardrails.unproven_guardrails,
        cast(null as {{ text }}) as shadow_evaluator_id,
        cast(null as bigint) as shadow_pairs,
        cast(null as double) as shadow_pass_rate_diff,
        cast(null as double) as shadow_pass_rate_diff_ci_low,
        cast(null as double) as shadow_pass_rate_diff_ci_high,
        cast(null as date) as ramp_first_date,
        cast(null as double) as ramp_latest_share
    from results
    inner join config on results.experiment_id = config.experiment_id
    inner join assignment on results.experiment_id = assignment.experiment_id
    left join guardrails
        on results.experiment_id = guardrails.experiment_id
        and results.arm = guardrails.arm
    where results.metric_role = 'goal'
),

shadow_candidates as (
    select
        candidate_id,
        'shadow' as candidate_kind,
        workflow,
        cast(null as {{ text }}) as experiment_id,
        candidate_version,
        incumbent_version,
        false as is_configured,
        alpha,
        non_inferiority_margin,
        minimum_units_per_arm,
        cast(null as bigint) as min_arm_units,
        cast(null as bigint) as exposed_units,
        cast(null as bigint) as multiple_exposure_units,
        cast(null as bigint) as unplanned_arms,
        cast(null as double) as srm_p_value,
        cast(null as boolean) as is_srm,
        cast(null as double) as primary_lift,
        cast(null as double) as primary_lift_seq_ci_low,
        cast(null as double) as primary_lift_seq_ci_high,
        cast(null as double) as primary_seq_p_value_holm,
        cast(null as double) as primary_chance_to_win,
        cast(null as {{ text }}) as primary_error,
        cast(null as double) as primary_difference,
        cast(null as double) as primary_difference_seq_ci_low,
        cast(null as double) as primary_difference_seq_ci_high,
        cast(null as bigint) as guardrails,
        cast(null as bigint) as guardrails_breached,
        cast(null as bigint) as guardrails_held,
        cast(null as {{ text }}) as breached_guardrails,
        cast(null as {{ text }}) as unproven_guardrails,
        shadow_evaluator_id,
        shadow_pairs,
        shadow_pass_rate_diff,
        shadow_pass_rate_diff_ci_low,
        shadow_pass_rate_diff_ci_high,
        cast(null as date) as ramp_first_date,
        cast(null as double) as ramp_latest_share
    from shadows
),

ramp_candidates as (
    select
        candidate_id,
        'ramp' as candidate_kind,
        workflow,
        cast(null as {{ text }}) as experiment_id,
        candidate_version,
        incumbent_version,
        false as is_configured,
        alpha,
        non_inferiority_margin,
        minimum_units_per_arm,
        min_side_outcome_tasks as min_arm_units,
        cast(null as bigint) as exposed_units,
        cast(null as bigint) as multiple_exposure_units,
        cast(null as bigint) as unplanned_arms,
        cast(null as double) as srm_p_value,
        cast(null as boolean) as is_srm,
        cast(null as double) as primary_lift,
        cast(null as double) as primary_lift_seq_ci_low,
        cast(null as double) as primary_lift_seq_ci_high,
        cast(null as double) as primary_seq_p_value_holm,
        cast(null as double) as primary_chance_to_win,
        primary_error,
        primary_difference,
        primary_difference_seq_ci_low,
        primary_difference_seq_ci_high,
        guardrails,
        guardrails_breached,
        guardrails_held,
        breached_guardrails,
        unproven_guardrails,
        cast(null as {{ text }}) as shadow_evaluator_id,
        cast(null as bigint) as shadow_pairs,
        cast(null as double) as shadow_pass_rate_diff,
        cast(null as double) as shadow_pass_rate_diff_ci_low,
        cast(null as double) as shadow_pass_rate_diff_ci_high,
        ramp_first_date,
        ramp_latest_share
    from ramps
),

candidates as (
    select * from experiment_candidates
    union all
    select * from shadow_candidates
    union all
    select * from ramp_candidates
),

final as (
    select
        candidates.*,
        candidate_golden.evaluations as candidate_golden_evaluations,
        {{ safe_rate('candidate_golden.passed', 'candidate_golden.evaluations') }}
            as candidate_golden_pass_rate,
        incumbent_golden.evaluations as incumbent_golden_evaluations,
        {{ safe_rate('incumbent_golden.passed', 'incumbent_golden.evaluations') }}
            as incumbent_golden_pass_rate
    from candidates
    left join golden as candidate_golden
        on candidates.workflow = candidate_golden.workflow
        and candidates.candidate_version = candidate_golden.prompt_version
    left join golden as incumbent_golden
        on candidates.workflow = incumbent_golden.workflow
        and candidates.incumbent_version = incumbent_golden.prompt_version
)

select * from final
