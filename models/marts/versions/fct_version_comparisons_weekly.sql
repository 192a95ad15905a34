-- Two versions of a workflow side by side in one ISO week (the dashboard's Compare page): every
-- ordered pair of version combinations served in the same workflow-week, per metric, with
-- each side's value and 95% interval, the difference candidate - baseline with its 95%
-- interval, and whether it is a regression (the interval lies wholly on the worse side).
-- Shares come from fct_version_outcomes_weekly (Wilson intervals; the difference by the normal
-- approximation of prop_diff_se); means (latency, tokens, edit distance, evaluation scores:
-- int_version_means_weekly) differ by Welch's normal approximation; percentiles and the
-- trust-weighted share have no interval.
with weekly as (
    select * from {{ ref('fct_version_outcomes_weekly') }}
),

workflows as (
    select * from {{ ref('dim_workflows') }}
),

means as (
    select * from {{ ref('int_version_means_weekly') }}
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

per_version as (
    select * from shares_judged
    union all
    select * from point_values
    union all
    select * from means
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
