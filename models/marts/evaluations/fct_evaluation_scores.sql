-- Evaluation scores per version and evaluator/metric: n, the mean eval_value with its 95%
-- interval, the pass rate with its Wilson interval, and for pairwise-preference metrics
-- (var pairwise_preference_metrics) the win rate as AlpacaEval computes it.
with evaluations as (
    select
        workflow,
        model_id,
        model_version,
        prompt_version,
        evaluation_source,
        evaluator_id,
        evaluator_version,
        eval_metric,
        output_id,
        eval_value,
        eval_passed,
        evaluated_at,
        -- AlpacaEval: 0 is the old encoding of a draw (= 1.5); only 1..2 is a preference,
        -- anything else is dropped; the model's win share is preference - 1
        case
            when eval_metric not in (
                {%- for m in var('pairwise_preference_metrics') %}
                '{{ m }}'{{ ',' if not loop.last }}
                {%- endfor %}
            ) then null
            when eval_value = 0 then 0.5
            when eval_value between 1 and 2 then eval_value - 1
        end as win_share
    from {{ ref('int_evaluations_versioned') }}
),

workflows as (
    select task_type from {{ ref('workflows') }}
),

aggregated as (
    select
        workflow,
        model_id,
        model_version,
        prompt_version,
        evaluation_source,
        evaluator_id,
        evaluator_version,
        eval_metric,
        count(*) as evaluations,
        count(distinct output_id) as outputs_evaluated,
        {{ mean_columns('eval_value', 'eval_value') }},
        count(eval_passed) as verdicts,
        count(*) filter (where eval_passed) as passes,
        count(win_share) as preferences,
        count(*) filter (where win_share > 0.5) as preference_wins,
        count(*) filter (where win_share < 0.5) as preference_wins_base,
        count(*) filter (where win_share = 0.5) as preference_draws,
        avg(100 * win_share) as win_rate,
        stddev_samp(100 * win_share) / sqrt(count(win_share)) as win_rate_standard_error,
        min(evaluated_at) as first_evaluated_at,
        max(evaluated_at) as last_evaluated_at
    from evaluations
    group by all
),

final as (
    select
        aggregated.workflow,
        aggregated.model_id,
        aggregated.model_version,
        aggregated.prompt_version,
        aggregated.evaluation_source,
        aggregated.evaluator_id,
        aggregated.evaluator_version,
        aggregated.eval_metric,
        workflows.task_type is not null as is_registered_workflow,
        aggregated.evaluations,
        aggregated.outputs_evaluated,
        aggregated.eval_value_mean,
        aggregated.eval_value_stddev,
        aggregated.eval_value_ci_low,
        aggregated.eval_value_ci_high,
        {{ rate_columns('eval_pass_rate', 'passes', 'verdicts') }},
        aggregated.preferences,
        aggregated.preference_wins,
        aggregated.preference_wins_base,
        aggregated.preference_draws,
        aggregated.win_rate,
        aggregated.win_rate_standard_error,
        aggregated.first_evaluated_at,
        aggregated.last_evaluated_at
    from aggregated
    left join workflows on aggregated.workflow = workflows.task_type
)

select * from final
