-- Review signals of one response that the wide fact does not carry: its lowest groundedness
-- score, and whether trusted roles voted both up and down on it. Grain: one row per output_id
-- with a (non-golden) groundedness evaluation or a trusted thumbs vote.
with evaluations as (
    select
        output_id,
        eval_value
    from {{ ref('stg_evaluations') }}
    where eval_metric = 'groundedness' and not is_golden and eval_value is not null
),

feedback as (
    select
        output_id,
        actor_role,
        feedback_value
    from {{ ref('stg_feedback') }}
    where feedback_type = 'thumbs'
),

weights as (
    select
        actor_role,
        trust_weight
    from {{ ref('actor_role_weights') }}
),

groundedness as (
    select
        output_id,
        min(eval_value) as min_groundedness
    from evaluations
    group by output_id
),

trusted_votes as (
    select
        feedback.output_id,
        sum(case when feedback.feedback_value > 0 then 1 else 0 end) as trusted_up_count,
        sum(case when feedback.feedback_value < 0 then 1 else 0 end) as trusted_down_count
    from feedback
    inner join weights on feedback.actor_role = weights.actor_role
    where weights.trust_weight >= {{ var('triage_trusted_min_weight') }}
    group by feedback.output_id
),

final as (
    select
        coalesce(groundedness.output_id, trusted_votes.output_id) as output_id,
        groundedness.min_groundedness,
        coalesce(
            groundedness.min_groundedness < {{ var('triage_low_groundedness') }}, false
        ) as has_low_groundedness,
        cast(coalesce(trusted_votes.trusted_up_count, 0) as bigint) as trusted_up_count,
        cast(coalesce(trusted_votes.trusted_down_count, 0) as bigint) as trusted_down_count,
        coalesce(
            trusted_votes.trusted_up_count > 0 and trusted_votes.trusted_down_count > 0, false
        ) as has_trusted_disagreement
    from groundedness
    full outer join trusted_votes on groundedness.output_id = trusted_votes.output_id
)

select * from final
