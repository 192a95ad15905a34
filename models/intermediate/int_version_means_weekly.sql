-- Means per version combination and ISO week, with their 95% intervals (mean +- 1.96 sd /
-- sqrt(n)), for the Compare page's side-by-side (fct_version_comparisons_weekly): server latency,
-- input and output tokens and edit distance over non-shadow interactions (edit distance over
-- interactions with edits), and each evaluator metric's score over evaluation events (golden
-- runs included), named eval_score:<eval_metric>. Grain: task_type x interaction_week x
-- version_label x metric. version_label: 'prompt | model_id | model_version | knowledge'.
with interactions as (
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

final as (
    select * from means
    union all
    select * from eval_scores
)

select * from final
