{{ config(materialized='view') }}
-- One row per non-shadow interaction served by an experiment arm at or after the
-- experiment's start, with the randomization unit it belongs to (the experiment's
-- randomization_unit: user_key, session_id or task_id). Interactions without a unit id (e.g.
-- no user) cannot be analysed by unit and are left out. A view: its two readers aggregate it.
with config as (
    select experiment_id, start_at, randomization_unit
    from {{ ref('int_experiment_config') }}
),

interactions as (
    select
        output_id,
        experiment_id,
        variant,
        task_id,
        user_key,
        session_id,
        interacted_at,
        carries_outcome,
        primary_outcome_value,
        output_tokens,
        server_latency_ms
    from {{ ref('fct_interactions') }}
    where not is_shadow and experiment_id is not null and variant is not null
),

final as (
    select
        interactions.experiment_id,
        interactions.variant as arm,
        case config.randomization_unit
            when 'user_key' then interactions.user_key
            when 'session_id' then interactions.session_id
            else interactions.task_id
        end as unit_id,
        interactions.output_id,
        interactions.task_id,
        interactions.interacted_at,
        interactions.carries_outcome,
        interactions.primary_outcome_value,
        interactions.output_tokens,
        interactions.server_latency_ms
    from interactions
    inner join config on interactions.experiment_id = config.experiment_id
    where
        interactions.interacted_at >= config.start_at
        and case config.randomization_unit
            when 'user_key' then interactions.user_key
            when 'session_id' then interactions.session_id
            else interactions.task_id
        end is not null
)

select * from final
