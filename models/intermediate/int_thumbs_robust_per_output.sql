-- Robust trust-weighted thumbs of one response: votes counted after the per-actor caps,
-- minus the votes of flagged low-trust bursts (int_feedback_anomalies_daily).
with votes as (
    select * from {{ ref('int_thumbs_votes') }}
),

flags as (
    select
        tenant_id,
        actor_role,
        task_type,
        model_id,
        model_version,
        prompt_version,
        vote_date
    from {{ ref('int_feedback_anomalies_daily') }}
    where is_flagged
),

marked as (
    select
        votes.*,
        flags.tenant_id is not null as is_flagged
    from votes
    left join flags
        on
        votes.tenant_id = flags.tenant_id
        and votes.actor_role = flags.actor_role
        and votes.task_type = flags.task_type
        and votes.model_id = flags.model_id
        and votes.model_version = flags.model_version
        and votes.prompt_version = flags.prompt_version
        and votes.vote_date = flags.vote_date
),

final as (
    select
        output_id,
        coalesce(sum(trust_weight) filter (where is_counted and not is_flagged and is_up), 0.0)
            as robust_weighted_thumbs_up,
        coalesce(
            sum(trust_weight) filter (where is_counted and not is_flagged and not is_up), 0.0
        ) as robust_weighted_thumbs_down,
        count(*) filter (where not is_counted) as capped_thumbs_votes,
        count(*) filter (where is_counted and is_flagged) as flagged_thumbs_votes
    from marked
    group by output_id
)

select * from final
