-- The bandit's reward per experiment arm: the primary outcome of every task whose outcome
-- has arrived, and for the others the proxy of their implicit-signal pattern
-- (int_implicit_signal_calibration); with the proxy's calibration on the arm's own tasks
-- with outcomes (mean proxy against the observed rate). One row per experiment and variant,
-- for every experiment (the Python model int_bandit_weights keeps the configured bandits).
with tasks as (
    select
        task_id,
        task_type,
        experiment_id,
        coalesce(variant, '(none)') as variant,
        user_key,
        session_id,
        interacted_at,
        has_outcome,
        is_success,
        primary_outcome_at,
        signal_pattern
    from {{ ref('int_task_reward_signals') }}
    where experiment_id is not null
),

calibration as (
    select task_type, signal_pattern, proxy_reward
    from {{ ref('int_implicit_signal_calibration') }}
),

scored as (
    select
        tasks.*,
        calibration.proxy_reward
    from tasks
    left join calibration
        on tasks.task_type = calibration.task_type
        and tasks.signal_pattern = calibration.signal_pattern
),

final as (
    select
        experiment_id,
        variant,
        {{ string_agg_ordered('task_type', "','", 'task_type', distinct=true) }} as task_types,
        count(distinct user_key) as distinct_users,
        count(distinct session_id) as distinct_sessions,
        count(*) as tasks_served,
        count(*) filter (where has_outcome) as tasks_with_outcome,
        count(*) filter (where has_outcome and is_success) as successes,
        count(*) filter (where not has_outcome) as tasks_pending_outcome,
        -- pending tasks whose pattern was never seen with an outcome get no reward at all
        count(*) filter (where not has_outcome and proxy_reward is not null) as tasks_with_proxy,
        coalesce(sum(proxy_reward) filter (where not has_outcome), 0.0) as proxy_reward_sum,
        avg(proxy_reward) filter (where has_outcome) as calibration_predicted_rate,
        {{ safe_rate(
            'count(*) filter (where has_outcome and is_success)',
            'count(*) filter (where has_outcome)'
        ) }} as calibration_observed_rate,
        greatest(max(interacted_at), max(primary_outcome_at)) as data_watermark
    from scored
    group by experiment_id, variant
)

select * from final
