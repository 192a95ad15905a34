{#- The outcome-per-version aggregate, written once for the weekly, daily and tenant-weekly
    marts. `period` is the column of fct_interactions that defines the time grain
    (interaction_week or interaction_date), kept under its name; `extra_grain` adds columns
    (e.g. tenant_id). It ends with CTE `final`: the model selects from it and its enforced
    contract orders the columns.
    Over non-shadow interactions only. A task's primary outcome counts once, on the row that
    carries it (the task's last non-shadow interaction), so its versions and period get it.
    Success = primary_outcome_value > 0 (the simulator's and the seed's metrics are 0/1).
    The robust thumbs (caps, flagged bursts left out) and the golden runs (no interaction: by
    their own versions and evaluation time) come from int_version_signals_daily / _weekly,
    as rows that count as no interaction. -#}
{% macro version_outcomes_select(period, extra_grain=[]) -%}
{%- set grain = extra_grain
    + ['task_type', 'model_id', 'model_version', 'prompt_version', 'knowledge_version'] -%}
{%- set signals = {'interaction_week': 'int_version_signals_weekly',
    'interaction_date': 'int_version_signals_daily'}[period] -%}
with interactions as (
    select
        {% for col in extra_grain %}{{ col }},
        {% endfor -%}
        task_type,
        model_id,
        model_version,
        prompt_version,
        coalesce(knowledge_version, '(none)') as knowledge_version,
        {{ period }} as period_start,
        true as is_interaction,
        task_id,
        carries_outcome,
        primary_outcome_value,
        thumbs_up_count,
        thumbs_down_count,
        weighted_thumbs_up,
        weighted_thumbs_down,
        0.0 as robust_weighted_thumbs_up,
        0.0 as robust_weighted_thumbs_down,
        cast(0 as bigint) as flagged_thumbs_votes,
        cast(0 as bigint) as capped_thumbs_votes,
        edit_count,
        edit_distance_mean,
        is_retried,
        is_abandoned,
        is_escalated,
        server_latency_ms,
        input_tokens,
        output_tokens,
        eval_verdict_count,
        eval_passed_count,
        -- robust thumbs and golden runs come from the signals (below)
        cast(0 as bigint) as golden_verdict_count,
        cast(0 as bigint) as golden_passed_count
    from {{ ref('fct_interactions') }}
    where not is_shadow
),

signals as (
    select
        {% for col in extra_grain %}{{ col }},
        {% endfor -%}
        task_type,
        model_id,
        model_version,
        prompt_version,
        knowledge_version,
        {{ period }} as period_start,
        false as is_interaction,
        cast(null as varchar) as task_id,
        false as carries_outcome,
        cast(null as double) as primary_outcome_value,
        cast(0 as bigint) as thumbs_up_count,
        cast(0 as bigint) as thumbs_down_count,
        0.0 as weighted_thumbs_up,
        0.0 as weighted_thumbs_down,
        robust_weighted_thumbs_up,
        robust_weighted_thumbs_down,
        flagged_thumbs_votes,
        capped_thumbs_votes,
        cast(0 as bigint) as edit_count,
        cast(null as double) as edit_distance_mean,
        false as is_retried,
        false as is_abandoned,
        false as is_escalated,
        cast(null as double) as server_latency_ms,
        cast(null as bigint) as input_tokens,
        cast(null as bigint) as output_tokens,
        cast(0 as bigint) as eval_verdict_count,
        cast(0 as bigint) as eval_passed_count,
        golden_verdict_count,
        golden_passed_count
    from {{ ref(signals) }}
),

combined as (
    select * from interactions
    union all by name
    select * from signals
),

aggregated as (
    select
        {% for col in grain %}{{ col }},
        {% endfor -%}
        period_start,
        count(*) filter (where is_interaction) as interactions,
        count(distinct task_id) as distinct_tasks,
        count(*) filter (where carries_outcome) as tasks_attributed,
        count(*) filter (where carries_outcome and primary_outcome_value is not null)
            as tasks_with_outcome,
        count(*) filter (where carries_outcome and primary_outcome_value > 0)
            as primary_outcome_successes,
        avg(primary_outcome_value) filter (where carries_outcome) as primary_outcome_value_mean,
        cast(sum(thumbs_up_count) as bigint) as thumbs_up_count,
        cast(sum(thumbs_down_count) as bigint) as thumbs_down_count,
        sum(weighted_thumbs_up) as weighted_thumbs_up,
        sum(weighted_thumbs_down) as weighted_thumbs_down,
        sum(robust_weighted_thumbs_up) as robust_weighted_thumbs_up,
        sum(robust_weighted_thumbs_down) as robust_weighted_thumbs_down,
        cast(sum(flagged_thumbs_votes) as bigint) as flagged_thumbs_votes,
        cast(sum(capped_thumbs_votes) as bigint) as capped_thumbs_votes,
        cast(sum(edit_count) as bigint) as edit_count,
        -- mean over edit events, not over responses
        sum(edit_distance_mean * edit_count) / nullif(sum(edit_count), 0) as edit_distance_mean,
        count(*) filter (where is_retried) as retried_interactions,
        count(*) filter (where is_abandoned) as abandoned_interactions,
        count(*) filter (where is_escalated) as escalated_interactions,
        quantile_cont(server_latency_ms, 0.5) as server_latency_p50_ms,
        quantile_cont(server_latency_ms, 0.95) as server_latency_p95_ms,
        cast(coalesce(sum(input_tokens), 0) as bigint) as input_tokens_total,
        cast(coalesce(sum(output_tokens), 0) as bigint) as output_tokens_total,
        cast(sum(eval_verdict_count) as bigint) as eval_verdict_count,
        cast(sum(eval_passed_count) as bigint) as eval_passed_count,
        cast(sum(golden_verdict_count) as bigint) as golden_verdict_count,
        sum(golden_passed_count) as golden_passed_count
    from combined
    group by all
),

final as (
    select
        {% for col in grain %}{{ col }},
        {% endfor -%}
        period_start as {{ period }},
        interactions,
        distinct_tasks,
        tasks_attributed,
        tasks_with_outcome,
        {{ rate_columns('primary_outcome_rate', 'primary_outcome_successes', 'tasks_with_outcome') }},
        primary_outcome_value_mean,
        thumbs_up_count,
        thumbs_down_count,
        thumbs_up_count as thumbs_up_share_numerator,
        thumbs_up_count + thumbs_down_count as thumbs_up_share_denominator,
        {{ thumbs_up_share('thumbs_up_count', 'thumbs_down_count') }} as thumbs_up_share,
        {{ wilson_low('thumbs_up_count', '(thumbs_up_count + thumbs_down_count)') }} as thumbs_up_share_ci_low,
        {{ wilson_high('thumbs_up_count', '(thumbs_up_count + thumbs_down_count)') }} as thumbs_up_share_ci_high,
        weighted_thumbs_up,
        weighted_thumbs_down,
        {{ thumbs_up_share('weighted_thumbs_up', 'weighted_thumbs_down') }} as weighted_thumbs_up_share,
        robust_weighted_thumbs_up,
        robust_weighted_thumbs_down,
        {{ thumbs_up_share('robust_weighted_thumbs_up', 'robust_weighted_thumbs_down') }}
            as robust_weighted_thumbs_up_share,
        capped_thumbs_votes,
        flagged_thumbs_votes,
        flagged_thumbs_votes > 0 as has_flagged_feedback,
        edit_count,
        edit_distance_mean,
        {{ rate_columns('retry_rate', 'retried_interactions', 'interactions') }},
        {{ rate_columns('abandon_rate', 'abandoned_interactions', 'interactions') }},
        {{ rate_columns('escalation_rate', 'escalated_interactions', 'interactions') }},
        server_latency_p50_ms,
        server_latency_p95_ms,
        input_tokens_total,
        output_tokens_total,
        {{ rate_columns('eval_pass_rate', 'eval_passed_count', 'eval_verdict_count') }},
        {{ rate_columns('golden_pass_rate', 'golden_passed_count', 'golden_verdict_count') }}
    from aggregated
)
{%- endmacro %}
