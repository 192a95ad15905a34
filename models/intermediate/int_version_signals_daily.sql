-- What the version marts add to fct_interactions, per tenant x version x day, all additive:
-- the robust thumbs of served responses (by the interaction's day) and the golden runs (no
-- interaction; by their own versions and the evaluation's day, knowledge_version '(none)').
with interactions as (
    select
        output_id,
        tenant_id,
        task_type,
        model_id,
        model_version,
        prompt_version,
        coalesce(knowledge_version, '(none)') as knowledge_version,
        interaction_date
    from {{ ref('fct_interactions') }}
    where not is_shadow
),

robust as (
    select * from {{ ref('int_thumbs_robust_per_output') }}
),

golden_runs as (
    select
        tenant_id,
        workflow as task_type,
        model_id,
        model_version,
        prompt_version,
        knowledge_version,
        evaluated_date as interaction_date,
        eval_passed
    from {{ ref('int_evaluations_versioned') }}
    where is_golden
),

rows_of_both as (
    select
        interactions.tenant_id,
        interactions.task_type,
        interactions.model_id,
        interactions.model_version,
        interactions.prompt_version,
        interactions.knowledge_version,
        interactions.interaction_date,
        robust.robust_weighted_thumbs_up,
        robust.robust_weighted_thumbs_down,
        robust.flagged_thumbs_votes,
        robust.capped_thumbs_votes,
        0 as golden_verdict_count,
        0 as golden_passed_count
    from interactions
    inner join robust on interactions.output_id = robust.output_id
    union all
    select
        tenant_id,
        task_type,
        model_id,
        model_version,
        prompt_version,
        knowledge_version,
        interaction_date,
        0.0 as robust_weighted_thumbs_up,
        0.0 as robust_weighted_thumbs_down,
        0 as flagged_thumbs_votes,
        0 as capped_thumbs_votes,
        case when eval_passed is not null then 1 else 0 end as golden_verdict_count,
        case when eval_passed then 1 else 0 end as golden_passed_count
    from golden_runs
),

final as (
    select
        tenant_id,
        task_type,
        model_id,
        model_version,
        prompt_version,
        knowledge_version,
        interaction_date,
        {{ iso_week('interaction_date') }} as interaction_week,
        {{ version_signal_sums() }}
    from rows_of_both
    group by
        tenant_id,
        task_type,
        model_id,
        model_version,
        prompt_version,
        knowledge_version,
        interaction_date
)

select * from final
