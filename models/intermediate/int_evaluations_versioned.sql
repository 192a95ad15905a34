-- One row per evaluation event with the workflow and versions it judges. Golden runs and
-- other offline runs carry their own prompt_version / model_id / model_version (they have no
-- interaction); online evaluations take them from the response's interaction. The workflow
-- of a golden run comes from the golden_tasks seed, of any other from its interaction.
with evaluations as (
    select
        event_id,
        output_id,
        tenant_id,
        evaluator_id,
        evaluator_version,
        eval_metric,
        eval_value,
        eval_passed,
        golden_task_id,
        is_golden,
        prompt_version,
        model_id,
        model_version,
        event_at,
        event_date,
        ingested_at
    from {{ ref('stg_evaluations') }}
),

interactions as (
    select
        output_id,
        task_type,
        prompt_version,
        model_id,
        model_version,
        knowledge_version,
        is_shadow
    from {{ ref('int_interactions') }}
),

goldens as (
    select golden_task_id, workflow from {{ ref('golden_tasks') }}
),

final as (
    select
        evaluations.event_id,
        evaluations.output_id,
        evaluations.tenant_id,
        coalesce(goldens.workflow, interactions.task_type, '(unknown)') as workflow,
        coalesce(evaluations.model_id, interactions.model_id, '(unknown)') as model_id,
        coalesce(evaluations.model_version, interactions.model_version, '(unknown)')
            as model_version,
        coalesce(evaluations.prompt_version, interactions.prompt_version, '(unknown)')
            as prompt_version,
        coalesce(interactions.knowledge_version, '(none)') as knowledge_version,
        case
            when evaluations.is_golden then 'golden'
            when interactions.output_id is null then 'offline'
            when interactions.is_shadow then 'shadow'
            else 'online'
        end as evaluation_source,
        evaluations.evaluator_id,
        evaluations.evaluator_version,
        evaluations.eval_metric,
        evaluations.eval_value,
        evaluations.eval_passed,
        evaluations.golden_task_id,
        evaluations.is_golden,
        goldens.golden_task_id is not null as is_registered_golden,
        interactions.output_id is not null as has_interaction,
        evaluations.event_at as evaluated_at,
        evaluations.event_date as evaluated_date,
        {{ iso_week('evaluations.event_at') }} as evaluated_week,
        evaluations.ingested_at
    from evaluations
    left join interactions on evaluations.output_id = interactions.output_id
    left join goldens on evaluations.golden_task_id = goldens.golden_task_id
)

select * from final
