-- Two versions of a workflow side by side in one ISO week (the dashboard's Compare page): every
-- ordered pair of version combinations served in the same workflow-week, per metric, with
-- each side's value and 95% interval, the difference candidate - baseline with its 95%
-- interval, and whether it is a regression (the interval lies wholly on the worse side).
-- Shares come from fct_version_outcomes_weekly (Wilson intervals; the difference by the normal
-- approximation of prop_diff_columns); means (latency, tokens, edit distance, evaluation
-- scores) are computed here with mean_columns, their difference by Welch's normal
-- approximation; percentiles and trust-weighted shares have no interval. Evaluation scores are
-- better high, except the safety metric of the experiment defaults (a violation rate).
with weekly as (
    select * from {{ ref('fct_version_outcomes_weekly') }}
),

workflows as (
    select * from {{ ref('dim_workflows') }}
),

interactions as (
    select * from {{ ref('fct_interactions') }}
    where not is_shadow
),

evaluations as (
    select * from {{ ref('int_evaluations_versioned') }}
),

-- the evaluator metric the gates treat as a safety violation rate: better low
experiment_defaults as (
    select safety_eval_metric from {{ ref('experiment_defaults') }}
),

weekly_versions as (
    select
        weekly.*,
        {{ concat([
            "prompt_version", "' | '", "model_id", "' | '", "model_version", "' | '",
            "knowledge_version"
        ]) }} as version_label
    from weekly
),

shares as (
    {%- set shares = [
        ('primary_outcome_rate', 'share', none),
        ('thumbs_up_share', 'share', true),
        ('retry_rate', 'share', false),
        ('abandon_rate', 'share', false),
        ('escalation_rate', 'share', false),
        ('eval_pass_rate', 'share', true),
        ('golden_pass_rate', 'share', true),
    ] %}
    {%- for name, unit, higher in shares %}
    select
        weekly_versions.task_type,
        weekly_versions.interaction_week,
        weekly_versions.version_label,
        '{{ name }}' as metric,
        '{{ unit }}' as metric_unit,
        {{ 'cast(null as boolean)' if higher is none else higher }} as higher_is_better,
        'share' as estimate_kind,
        weekly_versions.{{ name }} as metric_value,
        weekly_versions.{{ name }}_ci_low as metric_ci_low,
        weekly_versions.{{ name }}_ci_high as metric_ci_high,
        weekly_versions.{{ name }}_denominator as units,
        cast(weekly_versions.{{ name }}_numerator as double) as successes,
        cast(null as double) as metric_stddev
    from weekly_versions
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- the primary outcome is better high or low as its workflow says (the workflow seed)
shares_judged as (
    select
        shares.task_type,
        shares.interaction_week,
        shares.version_label,
        shares.metric,
        shares.metric_unit,
        coalesce(shares.higher_is_better, workflows.higher_is_better) as higher_is_better,
        shares.estimate_kind,
        shares.metric_value,
        shares.metric_ci_low,
        shares.metric_ci_high,
        shares.units,
        shares.successes,
        shares.metric_stddev
    from shares
    left join workflows on shares.task_type = workflows.task_type
),

point_values as (
    {%- set points = [
        ('weighted_thumbs_up_share', 'share', true),
        ('server_latency_p50_ms', 'ms', false),
        ('server_latency_p95_ms', 'ms', false),
    ] %}
    {%- for name, unit, higher in points %}
    select
        task_type,
        interaction_week,
        version_label,
        '{{ name }}' as metric,
        '{{ unit }}' as metric_unit,
        {{ higher }} as higher_is_better,
        'point' as estimate_kind,
        {{ name }} as metric_value,
        cast(null as double) as metric_ci_low,
        cast(null as double) as metric_ci_high,
        interactions as units,
        cast(null as double) as successes,
        cast(null as double) as metric_stddev
    from weekly_versions
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

interaction_values as (
    select
        task_type,
        interaction_week,
        {{ concat([
            "prompt_version", "' | '", "model_id", "' | '", "model_version", "' | '",
            "coalesce(knowledge_version, '(none)')"
        ]) }} as version_label,
        server_latency_ms,
        cast(input_tokens as double) as input_tokens,
        cast(output_tokens as double) as output_tokens,
        case when edit_count > 0 then edit_distance_mean end as edit_distance
    from interactions
),

means as (
    {%- set means = [
        ('server_latency_ms', 'server_latency_mean_ms', 'ms'),
        ('input_tokens', 'input_tokens_mean', 'tokens'),
        ('output_tokens', 'output_tokens_mean', 'tokens'),
        ('edit_distance', 'edit_distance_mean', 'edit distance'),
    ] %}
    {%- for column, name, unit in means %}
    select
        task_type,
        interaction_week,
        version_label,
        '{{ name }}' as metric,
        '{{ unit }}' as metric_unit,
        false as higher_is_better,
        'mean' as estimate_kind,
        avg({{ column }}) as metric_value,
        avg({{ column }}) - 1.96 * stddev_samp({{ column }}) / sqrt(count({{ column }}))
            as metric_ci_low,
        avg({{ column }}) + 1.96 * stddev_samp({{ column }}) / sqrt(count({{ column }}))
            as metric_ci_high,
        count({{ column }}) as units,
        cast(null as double) as successes,
        stddev_samp({{ column }}) as metric_stddev
    from interaction_values
    group by task_type, interaction_week, version_label
    having count({{ column }}) > 0
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

eval_scores as (
    select
        workflow as task_type,
        evaluated_week as interaction_week,
        {{ concat([
            "prompt_version", "' | '", "model_id", "' | '", "model_version", "' | '",
            "knowledge_version"
        ]) }} as version_label,
        {{ concat(["'eval_score:'", "eval_metric"]) }} as metric,
        'score' as metric_unit,
        eval_metric not in (select experiment_defaults.safety_eval_metric from experiment_defaults)
            as higher_is_better,
        'mean' as estimate_kind,
        avg(eval_value) as metric_value,
        avg(eval_value) - 1.96 * stddev_samp(eval_value) / sqrt(count(eval_value))
            as metric_ci_low,
        avg(eval_value) + 1.96 * stddev_samp(eval_value) / sqrt(count(eval_value))
            as metric_ci_high,
        count(eval_value) as units,
        cast(null as double) as successes,
        stddev_samp(eval_value) as metric_stddev
    from evaluations
    where eval_value is not null
    group by
        workflow, evaluated_week, prompt_version, model_id, model_version, knowledge_version,
        eval_metric
),

per_version as (
    select * from shares_judged
    union all
    select * from point_values
    union all
    select * from means
    union all
    select * from eval_scores
),

pairs as (
    select
        baseline.task_type,
        baseline.interaction_week,
        baseline.version_label as baseline_version,
        candidate.version_label as candidate_version,
        baseline.metric,
        baseline.metric_unit,
        baseline.higher_is_better,
        baseline.estimate_kind,
        baseline.metric_value as baseline_value,
        baseline.metric_ci_low as baseline_ci_low,
        baseline.metric_ci_high as baseline_ci_high,
        baseline.units as baseline_units,
        candidate.metric_value as candidate_value,
        candidate.metric_ci_low as candidate_ci_low,
        candidate.metric_ci_high as candidate_ci_high,
        candidate.units as candidate_units,
        candidate.metric_value - baseline.metric_value as delta,
        case
            when baseline.estimate_kind = 'share'
                then {{ prop_diff_se(
                    'candidate.successes', 'candidate.units',
                    'baseline.successes', 'baseline.units'
                ) }}
            when baseline.estimate_kind = 'mean'
                then sqrt(
                    baseline.metric_stddev * baseline.metric_stddev / baseline.units
                    + candidate.metric_stddev * candidate.metric_stddev / candidate.units
                )
        end as delta_se
    from per_version as baseline
    inner join per_version as candidate
        on baseline.task_type = candidate.task_type
        and baseline.interaction_week = candidate.interaction_week
        and baseline.metric = candidate.metric
        and baseline.version_label != candidate.version_label
),

final as (
    select
        task_type,
        interaction_week,
        baseline_version,
        candidate_version,
        metric,
        metric_unit,
        higher_is_better,
        estimate_kind,
        baseline_value,
        baseline_ci_low,
        baseline_ci_high,
        baseline_units,
        candidate_value,
        candidate_ci_low,
        candidate_ci_high,
        candidate_units,
        delta,
        delta - 1.96 * delta_se as delta_ci_low,
        delta + 1.96 * delta_se as delta_ci_high,
        coalesce(
            case
                when higher_is_better then delta + 1.96 * delta_se < 0
                else delta - 1.96 * delta_se > 0
            end,
            false
        ) as is_regression
    from pairs
)

select * from final
