-- One row per experiment arm: p95 server latency of its interactions (units exposed to one
-- arm only) with a distribution-free (1 - alpha) interval from order statistics: with n
-- sorted latencies, the nearest-rank p95 is the ceil(0.95 n)-th and the bounds are the
-- floor(0.95 n - z s)-th and ceil(0.95 n + z s)-th, s = sqrt(0.95 * 0.05 n), z the normal
-- quantile at alpha / 2 (clipped to 1..n).
with exposures as (
    select experiment_id, arm, unit_id, server_latency_ms
    from {{ ref('int_experiment_exposures') }}
    where server_latency_ms is not null
),

single_arm_units as (
    select experiment_id, arm, unit_id
    from {{ ref('int_experiment_unit_metrics') }}
    where not is_multiple_exposure
),

config as (
    select experiment_id, alpha
    from {{ ref('int_experiment_config') }}
),

ranked as (
    select
        exposures.experiment_id,
        exposures.arm,
        exposures.server_latency_ms,
        row_number() over (
            partition by exposures.experiment_id, exposures.arm
            order by exposures.server_latency_ms
        ) as latency_rank,
        count(*) over (partition by exposures.experiment_id, exposures.arm) as interactions
    from exposures
    inner join single_arm_units
        on exposures.experiment_id = single_arm_units.experiment_id
        and exposures.arm = single_arm_units.arm
        and exposures.unit_id = single_arm_units.unit_id
),

ranks as (
    select
        arms.experiment_id,
        arms.arm,
        arms.interactions,
        ceil(0.95 * arms.interactions) as point_rank,
        greatest(1, floor(
            0.95 * arms.interactions
            - {{ normal_upper_quantile('config.alpha / 2') }}
            * sqrt(0.0475 * arms.interactions)
        )) as low_rank,
        least(arms.interactions, ceil(
            0.95 * arms.interactions
            + {{ normal_upper_quantile('config.alpha / 2') }}
            * sqrt(0.0475 * arms.interactions)
        )) as high_rank
    from (select distinct experiment_id, arm, interactions from ranked) as arms
    inner join config on arms.experiment_id = config.experiment_id
),

final as (
    select
        ranks.experiment_id,
        ranks.arm,
        ranks.interactions,
        max(ranked.server_latency_ms) filter (where ranked.latency_rank = ranks.point_rank)
            as latency_p95_ms,
        max(ranked.server_latency_ms) filter (where ranked.latency_rank = ranks.low_rank)
            as latency_p95_ci_low_ms,
        max(ranked.server_latency_ms) filter (where ranked.latency_rank = ranks.high_rank)
            as latency_p95_ci_high_ms
    from ranks
    inner join ranked
        on ranks.experiment_id = ranked.experiment_id
        and ranks.arm = ranked.arm
    group by ranks.experiment_id, ranks.arm, ranks.interactions
)

select * from final
