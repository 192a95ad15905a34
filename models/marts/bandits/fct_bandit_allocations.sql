-- The traffic weights of every bandit's arms, as `floop allocate` hands them to the router:
-- the arm's data (units, outcomes arrived, tasks still waiting and their proxy reward), its
-- Beta posterior, the probability it is the best arm and its weight (top-two Thompson
-- sampling with a floor, int_bandit_weights), with the proxy's calibration on the arm's own
-- tasks with outcomes. Planned weights hold until every arm has its minimum units.
with weights as (
    select * from {{ ref('int_bandit_weights') }}
),

rewards as (
    select * from {{ ref('int_experiment_arm_rewards') }}
),

bandits as (
    -- an experiment's readiness and data watermark, over all its arms
    select
        weights.experiment_id,
        bool_and(weights.is_updated) as is_updated,
        min(weights.randomization_units) as min_arm_randomization_units,
        max(rewards.data_watermark) as data_watermark
    from weights
    left join rewards
        on weights.experiment_id = rewards.experiment_id
        and weights.variant = rewards.variant
    group by weights.experiment_id
),

final as (
    select
        weights.experiment_id,
        weights.task_type,
        weights.variant,
        case
            when bandits.is_updated then 'updated' else 'waiting_for_minimum'
        end as allocation_status,
        weights.planned_weight,
        weights.weight,
        weights.prob_best,
        weights.posterior_alpha,
        weights.posterior_beta,
        weights.posterior_alpha
        / (weights.posterior_alpha + weights.posterior_beta) as posterior_mean,
        weights.randomization_unit,
        weights.randomization_units,
        weights.min_units_per_arm,
        bandits.min_arm_randomization_units,
        coalesce(rewards.tasks_served, 0) as tasks_served,
        coalesce(rewards.tasks_with_outcome, 0) as tasks_with_outcome,
        coalesce(rewards.successes, 0) as successes,
        coalesce(rewards.tasks_pending_outcome, 0) as tasks_pending_outcome,
        coalesce(rewards.tasks_with_proxy, 0) as tasks_with_proxy,
        coalesce(rewards.proxy_reward_sum, 0.0) as proxy_reward_sum,
        rewards.calibration_predicted_rate,
        rewards.calibration_observed_rate,
        weights.seed,
        weights.draws,
        weights.floor_weight,
        bandits.data_watermark
    from weights
    inner join bandits on weights.experiment_id = bandits.experiment_id
    left join rewards
        on weights.experiment_id = rewards.experiment_id
        and weights.variant = rewards.variant
)

select * from final
