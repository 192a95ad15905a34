-- Low-trust thumbs per (tenant, role, version, day) against trusted thumbs: a two-proportion
-- z-test (pooled variance) of the cell's up-share against the up-share of trusted votes on the
-- same workflow and version over the var('feedback_anomaly_reference_days') days ending that
-- day, all tenants. Flagged when |z| > var('feedback_anomaly_k'). Counted votes only (after
-- the per-actor caps).
with votes as (
    select * from {{ ref('int_thumbs_votes') }}
    where is_counted
),

low_trust as (
    select
        tenant_id,
        actor_role,
        task_type,
        model_id,
        model_version,
        prompt_version,
        vote_date,
        count(*) as votes,
        count(*) filter (where is_up) as up_votes
    from votes
    where not is_trusted
    group by all
),

trusted_daily as (
    select
        task_type,
        model_id,
        model_version,
        prompt_version,
        vote_date,
        count(*) as votes,
        count(*) filter (where is_up) as up_votes
    from votes
    where is_trusted
    group by all
),

reference as (
    select
        low_trust.tenant_id,
        low_trust.actor_role,
        low_trust.task_type,
        low_trust.model_id,
        low_trust.model_version,
        low_trust.prompt_version,
        low_trust.vote_date,
        coalesce(sum(trusted_daily.votes), 0) as reference_votes,
        coalesce(sum(trusted_daily.up_votes), 0) as reference_up_votes
    from low_trust
    left join trusted_daily
        on
        low_trust.task_type = trusted_daily.task_type
        and low_trust.model_id = trusted_daily.model_id
        and low_trust.model_version = trusted_daily.model_version
        and low_trust.prompt_version = trusted_daily.prompt_version
        and low_trust.vote_date >= trusted_daily.vote_date
        and trusted_daily.vote_date > low_trust.vote_date
        - {{ var('feedback_anomaly_reference_days') | int }}
    group by all
),

scored as (
    select
        low_trust.*,
        reference.reference_votes,
        reference.reference_up_votes,
        {{ safe_rate('low_trust.up_votes', 'low_trust.votes') }} as up_share,
        {{ safe_rate('reference.reference_up_votes', 'reference.reference_votes') }}
            as reference_up_share,
        {{ safe_rate(
            'low_trust.up_votes + reference.reference_up_votes',
            'low_trust.votes + reference.reference_votes'
        ) }} as pooled_up_share
    from low_trust
    inner join reference
        on
        low_trust.tenant_id = reference.tenant_id
        and low_trust.actor_role = reference.actor_role
        and low_trust.task_type = reference.task_type
        and low_trust.model_id = reference.model_id
        and low_trust.model_version = reference.model_version
        and low_trust.prompt_version = reference.prompt_version
        and low_trust.vote_date = reference.vote_date
),

tested as (
    select
        scored.*,
        (scored.up_share - scored.reference_up_share) / nullif(
            sqrt(
                scored.pooled_up_share * (1 - scored.pooled_up_share)
                * (1.0 / scored.votes + 1.0 / nullif(scored.reference_votes, 0))
            ), 0
        ) as z_score
    from scored
),

final as (
    select
        tenant_id,
        actor_role,
        task_type,
        model_id,
        model_version,
        prompt_version,
        vote_date,
        votes,
        up_votes,
        up_share,
        reference_votes,
        reference_up_votes,
        reference_up_share,
        z_score,
        coalesce(abs(z_score) > {{ var('feedback_anomaly_k') }}, false) as is_flagged
    from tested
)

select * from final
