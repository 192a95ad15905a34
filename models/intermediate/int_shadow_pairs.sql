-- One row per shadow response x evaluator, paired with the production response to the same
-- input (same input_hash and workflow; the latest such production response, ties by
-- output_id) that the same evaluator graded. A response graded twice by one evaluator counts
-- with its mean score and its share of passing verdicts. Golden runs are not paired.
with interactions as (
    select
        output_id,
        task_type,
        input_hash,
        is_shadow,
        prompt_version,
        model_id,
        model_version,
        event_at
    from {{ ref('stg_interactions') }}
    where input_hash is not null
),

evaluations as (
    select output_id, evaluator_id, eval_value, eval_passed
    from {{ ref('stg_evaluations') }}
    where not is_golden
),

graded as (
    select
        interactions.output_id,
        interactions.task_type,
        interactions.input_hash,
        interactions.is_shadow,
        interactions.prompt_version,
        interactions.model_id,
        interactions.model_version,
        interactions.event_at,
        evaluations.evaluator_id,
        avg(evaluations.eval_value) as eval_score,
        avg(cast(case when evaluations.eval_passed then 1 else 0 end as double))
        filter (where evaluations.eval_passed is not null) as eval_pass_share
    from interactions
    inner join evaluations on interactions.output_id = evaluations.output_id
    group by all
),

pairs as (
    select
        shadow.task_type as workflow,
        shadow.evaluator_id,
        shadow.output_id as shadow_output_id,
        production.output_id as production_output_id,
        shadow.input_hash,
        shadow.prompt_version as shadow_prompt_version,
        shadow.model_id as shadow_model_id,
        shadow.model_version as shadow_model_version,
        production.prompt_version as production_prompt_version,
        production.model_id as production_model_id,
        production.model_version as production_model_version,
        shadow.eval_pass_share as shadow_pass,
        production.eval_pass_share as production_pass,
        shadow.eval_score as shadow_score,
        production.eval_score as production_score,
        production.event_at as production_at,
        row_number() over (
            partition by shadow.output_id, shadow.evaluator_id
            order by production.event_at desc, production.output_id desc
        ) as production_rank
    from graded as shadow
    inner join graded as production
        on shadow.input_hash = production.input_hash
        and shadow.task_type = production.task_type
        and shadow.evaluator_id = production.evaluator_id
        and not production.is_shadow
    where shadow.is_shadow
),

final as (
    select
        workflow,
        evaluator_id,
        shadow_output_id,
        production_output_id,
        input_hash,
        shadow_prompt_version,
        shadow_model_id,
        shadow_model_version,
        production_prompt_version,
        production_model_id,
        production_model_version,
        shadow_pass,
        production_pass,
        shadow_pass - production_pass as pass_diff,
        shadow_score,
        production_score,
        shadow_score - production_score as score_diff,
        production_at
    from pairs
    where production_rank = 1
)

select * from final
