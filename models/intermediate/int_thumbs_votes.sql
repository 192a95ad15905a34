-- Every thumbs vote on a served response, with its trust weight and the per-actor caps: an
-- identified actor's latest vote per output counts (earlier ones are superseded), and at
-- most var('feedback_daily_vote_cap') of an actor's votes a day (the earliest). A vote
-- without actor_id cannot be told from another: the caps cannot apply, the anomaly flag
-- (int_feedback_anomalies_daily) is what catches floods of them.
with votes as (
    select
        event_id,
        output_id,
        tenant_id,
        actor_key,
        actor_role,
        feedback_value,
        event_at,
        event_date
    from {{ ref('stg_feedback') }}
    where feedback_type = 'thumbs' and feedback_value <> 0
),

interactions as (
    select output_id, task_type, model_id, model_version, prompt_version
    from {{ ref('int_interactions') }}
    where not is_shadow
),

weights as (
    select actor_role, trust_weight from {{ ref('actor_role_weights') }}
),

joined as (
    select
        votes.*,
        interactions.task_type,
        interactions.model_id,
        interactions.model_version,
        interactions.prompt_version,
        -- a role missing from the seed counts as anonymous would: barely
        coalesce(weights.trust_weight, 0.0) as trust_weight,
        case
            when votes.actor_key is null then 1
            else row_number() over (
                partition by votes.actor_key, votes.output_id
                order by votes.event_at desc, votes.event_id desc
            )
        end as vote_rank_on_output
    from votes
    inner join interactions on votes.output_id = interactions.output_id
    left join weights on votes.actor_role = weights.actor_role
),

ranked as (
    select
        joined.*,
        case
            when joined.actor_key is null or joined.vote_rank_on_output > 1 then 0
            else row_number() over (
                partition by joined.actor_key, joined.event_date, joined.vote_rank_on_output = 1
                order by joined.event_at, joined.event_id
            )
        end as vote_rank_of_day
    from joined
),

final as (
    select
        event_id,
        output_id,
        tenant_id,
        actor_key,
        actor_role,
        task_type,
        model_id,
        model_version,
        prompt_version,
        event_date as vote_date,
        event_at as voted_at,
        feedback_value > 0 as is_up,
        trust_weight,
        trust_weight >= {{ var('feedback_trusted_min_weight') }} as is_trusted,
        vote_rank_on_output > 1 as is_superseded,
        vote_rank_of_day > {{ var('feedback_daily_vote_cap') | int }} as is_over_daily_cap,
        vote_rank_on_output = 1
        and vote_rank_of_day <= {{ var('feedback_daily_vote_cap') | int }} as is_counted
    from ranked
)

select * from final
