-- The proxy reward of a task whose outcome has not arrived: per workflow and implicit-signal
-- pattern, the success rate of the tasks whose outcome has arrived, shrunk towards the
-- workflow's rate by `bandit_proxy_prior_tasks` pseudo-tasks (a rare pattern says little).
-- Reads the wide fact itself (not int_task_reward_signals, which int_experiment_arm_rewards
-- joins this to): the same pattern, by the macro implicit_signal_pattern.
with tasks as (
    select
        task_type,
        {{ implicit_signal_pattern() }} as signal_pattern,
        primary_outcome_value > 0 as is_success
    from {{ ref('fct_interactions') }}
    where not is_shadow and carries_outcome and primary_outcome_value is not null
),

patterns as (
    select
        task_type,
        signal_pattern,
        count(*) as tasks_with_outcome,
        count(*) filter (where is_success) as successes
    from tasks
    group by all
),

workflows as (
    select
        task_type,
        sum(successes) / sum(tasks_with_outcome) as workflow_outcome_rate
    from patterns
    group by task_type
),

final as (
    select
        patterns.task_type,
        patterns.signal_pattern,
        patterns.tasks_with_outcome,
        patterns.successes,
        {{ safe_rate('patterns.successes', 'patterns.tasks_with_outcome') }} as outcome_rate,
        workflows.workflow_outcome_rate,
        (
            patterns.successes
            + {{ var('bandit_proxy_prior_tasks') }} * workflows.workflow_outcome_rate
        ) / (patterns.tasks_with_outcome + {{ var('bandit_proxy_prior_tasks') }}) as proxy_reward
    from patterns
    inner join workflows on patterns.task_type = workflows.task_type
)

select * from final
