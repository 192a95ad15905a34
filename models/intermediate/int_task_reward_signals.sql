{{ config(materialized='view') }}
-- The reward inputs of every task: its outcome-carrying response (the last non-shadow one),
-- whether its primary outcome has arrived and was a success, and the pattern of implicit
-- signals on it — the bandit's proxy for a reward whose outcome is still to come. One row per
-- task with a non-shadow interaction.
with interactions as (
    select
        task_id,
        task_type,
        experiment_id,
        variant,
        user_key,
        session_id,
        interacted_at,
        task_interaction_count,
        is_copied,
        is_abandoned,
        is_escalated,
        edit_count,
        time_to_accept_ms,
        doc_click_count,
        primary_outcome_value,
        primary_outcome_at
    from {{ ref('fct_interactions') }}
    where not is_shadow and carries_outcome
),

final as (
    select
        task_id,
        task_type,
        experiment_id,
        variant,
        user_key,
        session_id,
        interacted_at,
        primary_outcome_value is not null as has_outcome,
        primary_outcome_value > 0 as is_success,
        primary_outcome_at,
        -- the implicit signals present, in a fixed order ('none' without any)
        {{ implicit_signal_pattern() }} as signal_pattern
    from interactions
)

select * from final
