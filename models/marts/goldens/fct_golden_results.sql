-- Golden-task results per workflow and version: the tasks covered, the pass rate with its
-- Wilson interval and the mean score, over every golden run (evaluation events naming a
-- golden_task_id), versioned by the evaluation's own version fields.
with runs as (
    select
        workflow,
        model_id,
        model_version,
        prompt_version,
        output_id,
        golden_task_id,
        evaluator_id,
        eval_value,
        eval_passed,
        evaluated_at
    from {{ ref('int_evaluations_versioned') }}
    where is_golden
),

goldens as (
    select workflow, golden_task_id from {{ ref('golden_tasks') }}
),

registered as (
    select workflow, count(*) as golden_tasks_registered
    from goldens
    group by workflow
),

aggregated as (
    select
        workflow,
        model_id,
        model_version,
        prompt_version,
        count(distinct golden_task_id) as golden_tasks_covered,
        count(distinct output_id) as golden_runs,
        count(*) as golden_evaluations,
        count(eval_passed) as golden_verdicts,
        count(*) filter (where eval_passed) as golden_passes,
        avg(eval_value) as golden_score_mean,
        count(distinct evaluator_id) as evaluator_count,
        min(evaluated_at) as first_run_at,
        max(evaluated_at) as last_run_at
    from runs
    group by workflow, model_id, model_version, prompt_version
),

final as (
    select
        aggregated.workflow,
        aggregated.model_id,
        aggregated.model_version,
        aggregated.prompt_version,
        coalesce(registered.golden_tasks_registered, 0) as golden_tasks_registered,
        aggregated.golden_tasks_covered,
        aggregated.golden_runs,
        aggregated.golden_evaluations,
        {{ rate_columns('golden_pass_rate', 'golden_passes', 'golden_verdicts') }},
        aggregated.golden_score_mean,
        aggregated.evaluator_count,
        aggregated.first_run_at,
        aggregated.last_run_at
    from aggregated
    left join registered on aggregated.workflow = registered.workflow
)

select * from final
