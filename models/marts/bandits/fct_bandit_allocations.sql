-- The traffic weights of every bandit's arms, as `floop allocate` hands them to the router:
-- the arm's data (units, outcomes arrived, tasks still waiting and their proxy reward), its
-- Beta posterior, the probability it is the best arm and its weight (top-two Thompson
-- sampling with a floor), with the proxy's calibration on the arm's own tasks with outcomes;
-- all per arm from int_bandit_weights. Planned weights hold until every arm has its minimum
-- units.
with weights as (
    select * from {{ ref('int_bandit_weights') }}
),

bandits as (
    -- an experiment's readiness and data watermark, over all its arms
    select
        experiment_id,
        bool_and(is_updated) as is_updated,
        min(randomization_units) as min_arm_randomization_units,
        max(data_watermark) as data_watermark
    from weights
    group by experiment_id
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
        weights.tasks_served,
        weights.tasks_with_outcome,
        weights.successes,
        weights.tasks_pending_outcome,
        weights.tasks_with_proxy,
        weights.proxy_reward_sum,
        weights.calibration_predicted_rate,
        weights.calibration_observed_rate,
        weights.seed,
        weights.draws,
        weights.floor_weight,
        bandits.data_watermark
    from weights
    inner join bandits on weights.experiment_id = bandits.experiment_id
)

select * from final
