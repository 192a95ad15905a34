-- One row per version ramping outside an experiment (grain: candidate_id): the inputs of its
-- gates in the names int_gate_candidates reads. The primary outcome against the incumbent
-- within days (int_ramp_comparisons) and the guardrails summed up (int_ramp_guardrails, one
-- row per guardrail). No SRM or assignment inputs: nothing was assigned.
with comparisons as (
    select * from {{ ref('int_ramp_comparisons') }}
),

guardrail_results as (
    select * from {{ ref('int_ramp_guardrails') }}
),

guardrails as (
    select
        workflow,
        candidate_version,
        count(*) filter (where guardrail_status = 'breached') as guardrails_breached,
        count(*) filter (where guardrail_status = 'held') as guardrails_held,
        count(*) as guardrails,
        -- not dbt's listagg: on Spark it drops the order and gives '' for no value
        {{ string_agg_ordered(
            "case when guardrail_status = 'breached' then metric end",
            "', '",
            "metric"
        ) }} as breached_guardrails,
        {{ string_agg_ordered(
            "case when guardrail_status in ('inconclusive', 'no_data') then metric end",
            "', '",
            "metric"
        ) }} as unproven_guardrails
    from guardrail_results
    group by workflow, candidate_version
),

final as (
    select
        'ramp:' || comparisons.workflow || '/' || comparisons.candidate_version as candidate_id,
        comparisons.workflow,
        comparisons.candidate_version,
        comparisons.incumbent_version,
        comparisons.alpha,
        comparisons.non_inferiority_margin,
        comparisons.minimum_units_per_arm,
        least(comparisons.candidate_outcome_tasks, comparisons.incumbent_outcome_tasks)
            as min_side_outcome_tasks,
        case
            when comparisons.strata_used = 0
                then 'no day with enough tasks with an outcome on both sides'
        end as primary_error,
        comparisons.outcome_difference as primary_difference,
        comparisons.outcome_difference_seq_ci_low as primary_difference_seq_ci_low,
        comparisons.outcome_difference_seq_ci_high as primary_difference_seq_ci_high,
        guardrails.guardrails,
        guardrails.guardrails_breached,
        guardrails.guardrails_held,
        guardrails.breached_guardrails,
        guardrails.unproven_guardrails,
        comparisons.first_date as ramp_first_date,
        comparisons.latest_share as ramp_latest_share
    from comparisons
    left join guardrails
        on comparisons.workflow = guardrails.workflow
        and comparisons.candidate_version = guardrails.candidate_version
)

select * from final
