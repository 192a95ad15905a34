-- One row per workflow x shadow version x production version x evaluator: the paired
-- difference, shadow minus production on the same inputs, of the eval pass rate and the eval
-- score, each with a 95% interval mean +- 1.96 sd / sqrt(pairs) (the normal approximation;
-- the gates need at least 30 pairs). A version is prompt_version, model_id and model_version.
with pairs as (
    select * from {{ ref('int_shadow_pairs') }}
),

summed as (
    select
        workflow,
        shadow_prompt_version,
        shadow_model_id,
        shadow_model_version,
        production_prompt_version,
        production_model_id,
        production_model_version,
        evaluator_id,
        count(*) as pairs,
        count(pass_diff) as pass_pairs,
        avg(shadow_pass) filter (where pass_diff is not null) as shadow_pass_rate,
        avg(production_pass) filter (where pass_diff is not null) as production_pass_rate,
        avg(pass_diff) as pass_rate_diff,
        stddev_samp(pass_diff) as pass_diff_sd,
        count(score_diff) as score_pairs,
        avg(shadow_score) filter (where score_diff is not null) as shadow_score_mean,
        avg(production_score) filter (where score_diff is not null) as production_score_mean,
        avg(score_diff) as score_diff,
        stddev_samp(score_diff) as score_diff_sd,
        max(production_at) as last_paired_at
    from pairs
    group by all
),

final as (
    select
        workflow,
        case
            when coalesce(shadow_prompt_version, '') <> coalesce(production_prompt_version, '')
                then shadow_prompt_version
            else shadow_model_id || ':' || shadow_model_version
        end as shadow_version,
        case
            when coalesce(shadow_prompt_version, '') <> coalesce(production_prompt_version, '')
                then production_prompt_version
            else production_model_id || ':' || production_model_version
        end as production_version,
        shadow_prompt_version,
        shadow_model_id,
        shadow_model_version,
        production_prompt_version,
        production_model_id,
        production_model_version,
        evaluator_id,
        pairs,
        pass_pairs,
        shadow_pass_rate,
        production_pass_rate,
        pass_rate_diff,
        pass_rate_diff - 1.959963984540054 * pass_diff_sd / sqrt(pass_pairs)
            as pass_rate_diff_ci_low,
        pass_rate_diff + 1.959963984540054 * pass_diff_sd / sqrt(pass_pairs)
            as pass_rate_diff_ci_high,
        score_pairs,
        shadow_score_mean,
        production_score_mean,
        score_diff,
        score_diff - 1.959963984540054 * score_diff_sd / sqrt(score_pairs) as score_diff_ci_low,
        score_diff + 1.959963984540054 * score_diff_sd / sqrt(score_pairs) as score_diff_ci_high,
        last_paired_at
    from summed
)

select * from final
