{#- The implicit signals on a task's outcome-carrying response, '+'-joined in a fixed order
    ('none' without any): the pattern the bandit's proxy reward is calibrated on. Over columns
    of fct_interactions. -#}
{% macro implicit_signal_pattern() -%}
    coalesce(
        nullif(
            concat_ws(
                '+',
                case when task_interaction_count > 1 then 'retried' end,
                case when is_copied then 'copied' end,
                case when edit_count > 0 then 'edited' end,
                case when time_to_accept_ms is not null then 'accepted' end,
                case when doc_click_count > 0 then 'doc_clicked' end,
                case when is_abandoned then 'abandoned' end,
                case when is_escalated then 'escalated' end
            ),
            ''
        ),
        'none'
    )
{%- endmacro %}
