-- The anomaly flags of low-trust feedback, for analysts and dashboards: one row per
-- (tenant, low-trust role, version, day) with its z-score against trusted feedback.
with anomalies as (
    select * from {{ ref('int_feedback_anomalies_daily') }}
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
        is_flagged
    from anomalies
)

select * from final
