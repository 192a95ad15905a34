-- STAND-IN until the `evals` branch lands its fct_golden_results (issue 13 item 5): one row
-- per workflow x prompt_version x model_id x model_version of the golden runs (evaluations
-- with golden_task_id, which carry their own versions and no interaction). The workflow of a
-- run is the workflow its prompt version serves in traffic. Columns as documented for it.
with golden as (
    select golden_task_id, prompt_version, model_id, model_version, eval_value, eval_passed
    from {{ ref('stg_evaluations') }}
    where is_golden and prompt_version is not null
),

prompt_workflows as (
    select prompt_version, min(task_type) as workflow
    from {{ ref('fct_interactions') }}
    group by prompt_version
),

counted as (
    select
        prompt_workflows.workflow,
        golden.prompt_version,
        golden.model_id,
        golden.model_version,
        count(distinct golden.golden_task_id) as golden_tasks_covered,
        count(golden.eval_passed) as golden_evaluations,
        count(*) filter (where golden.eval_passed) as golden_passed,
        avg(golden.eval_value) as golden_score_mean
    from golden
    inner join prompt_workflows on golden.prompt_version = prompt_workflows.prompt_version
    group by all
),

final as (
    select
        workflow,
        prompt_version,
        model_id,
        model_version,
        golden_tasks_covered,
        golden_evaluations,
        golden_passed,
        {{ safe_rate('golden_passed', 'golden_evaluations') }} as golden_pass_rate,
        {{ wilson_low('golden_passed', 'golden_evaluations') }} as golden_pass_rate_ci_low,
        {{ wilson_high('golden_passed', 'golden_evaluations') }} as golden_pass_rate_ci_high,
        golden_score_mean
    from counted
)

select * from final
