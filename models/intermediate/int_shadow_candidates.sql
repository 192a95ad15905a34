-- One row per shadow version (grain: candidate_id): the inputs of its gates as
-- int_gate_candidates reads them. Its incumbent is the production version it shadows now, and
-- the evaluator that judges it the one whose pairs speak worst of it
-- (marts.fct_shadow_comparisons); the settings are the defaults (seed experiment_defaults).
with shadows as (
    select * from {{ ref('fct_shadow_comparisons') }}
),

defaults as (
    select non_inferiority_margin, minimum_units_per_arm, alpha
    from {{ ref('experiment_defaults') }}
),

current_production as (
    -- a shadow is judged against the production version it shadows now: among those paired
    -- with it on its latest paired day (earlier production versions were replaced), the one
    -- with the most pairs (while a new version ramps, the established one, not whichever
    -- answered last)
    select
        workflow,
        shadow_version,
        max(production_version) filter (where pair_rank = 1) as production_version
    from (
        select
            workflow,
            shadow_version,
            production_version,
            row_number() over (
                partition by workflow, shadow_version
                order by cast(last_paired_at as date) desc, pass_pairs desc, production_version asc
            ) as pair_rank
        from shadows
    ) as ranked
    group by workflow, shadow_version
),

shadow_ranked as (
    -- the evaluator that judges the shadow: the one whose pairs speak worst of it, among
    -- those with at least 30 pairs (else the one with the most pairs)
    select
        shadows.*,
        row_number() over (
            partition by shadows.workflow, shadows.shadow_version
            order by
                case when shadows.pass_pairs >= 30 then 0 else 1 end asc,
                case when shadows.pass_pairs >= 30 then shadows.pass_rate_diff_ci_high end asc,
                shadows.pass_pairs desc,
                shadows.evaluator_id asc
        ) as evaluator_rank
    from shadows
    inner join current_production
        on shadows.workflow = current_production.workflow
        and shadows.shadow_version = current_production.shadow_version
        and shadows.production_version = current_production.production_version
    where shadows.pass_pairs > 0
),

final as (
    select
        'shadow:' || shadow_ranked.workflow || '/' || shadow_ranked.shadow_version
            as candidate_id,
        shadow_ranked.workflow,
        shadow_ranked.shadow_version as candidate_version,
        shadow_ranked.production_version as incumbent_version,
        defaults.alpha,
        defaults.non_inferiority_margin,
        defaults.minimum_units_per_arm,
        shadow_ranked.evaluator_id as shadow_evaluator_id,
        shadow_ranked.pass_pairs as shadow_pairs,
        shadow_ranked.pass_rate_diff as shadow_pass_rate_diff,
        shadow_ranked.pass_rate_diff_ci_low as shadow_pass_rate_diff_ci_low,
        shadow_ranked.pass_rate_diff_ci_high as shadow_pass_rate_diff_ci_high
    from shadow_ranked
    cross join defaults
    where shadow_ranked.evaluator_rank = 1
)

select * from final
