-- One row per prompt version ramping in a workflow outside an experiment (grain: workflow x
-- candidate_version), with its incumbent. Shares are of the workflow's production tasks per
-- day (shadows left out) over the last `ramp_lookback_days` days of the workflow's traffic. A
-- version is ramping when it served on at least two of those days, its share on the latest
-- day lies between `ramp_min_share` and `ramp_max_share`, and that share is above its share on
-- its first day in the window (its traffic grows). A version a configured experiment serves in
-- a non-control arm is that experiment's candidate, not a ramp. The incumbent: the version the
-- registry names as the candidate's parent when it served the workflow since the ramp began,
-- else the other version with the most tasks since then.
with interactions as (
    select task_type, prompt_version, interaction_date, task_id
    from {{ ref('fct_interactions') }}
    where not is_shadow and prompt_version is not null
),

registry as (
    select version_id, max(parent_version_id) as parent_version_id
    from {{ ref('stg_versions') }}
    where version_kind = 'prompt'
    group by version_id
),

experiment_versions as (
    select distinct workflow, arm_version
    from {{ ref('int_experiment_arms') }}
    where not is_control and arm_version is not null
),

workflow_latest as (
    select task_type, max(interaction_date) as latest_date
    from interactions
    group by task_type
),

daily as (
    select
        interactions.task_type,
        interactions.interaction_date,
        interactions.prompt_version,
        count(distinct interactions.task_id) as task_count
    from interactions
    inner join workflow_latest on interactions.task_type = workflow_latest.task_type
    where
        {{ add_days('interactions.interaction_date', var('ramp_lookback_days')) }}
        > workflow_latest.latest_date
    group by interactions.task_type, interactions.interaction_date, interactions.prompt_version
),

daily_shares as (
    select
        task_type,
        interaction_date,
        prompt_version,
        task_count,
        cast(task_count as double)
        / sum(task_count) over (partition by task_type, interaction_date) as traffic_share
    from daily
),

spans as (
    select
        task_type,
        prompt_version,
        min(interaction_date) as first_date,
        count(*) as days_served,
        cast(sum(task_count) as bigint) as served_tasks
    from daily_shares
    group by task_type, prompt_version
),

ramping as (
    select
        spans.task_type as workflow,
        spans.prompt_version as candidate_version,
        spans.first_date,
        workflow_latest.latest_date,
        spans.days_served,
        spans.served_tasks as candidate_tasks,
        first_share.traffic_share as first_share,
        latest_share.traffic_share as latest_share,
        registry.parent_version_id
    from spans
    inner join workflow_latest on spans.task_type = workflow_latest.task_type
    inner join daily_shares as first_share
        on spans.task_type = first_share.task_type
        and spans.prompt_version = first_share.prompt_version
        and spans.first_date = first_share.interaction_date
    inner join daily_shares as latest_share
        on spans.task_type = latest_share.task_type
        and spans.prompt_version = latest_share.prompt_version
        and workflow_latest.latest_date = latest_share.interaction_date
    left join registry on spans.prompt_version = registry.version_id
    left join experiment_versions
        on spans.task_type = experiment_versions.workflow
        and spans.prompt_version = experiment_versions.arm_version
    where
        experiment_versions.arm_version is null
        and spans.days_served >= 2
        and latest_share.traffic_share >= {{ var('ramp_min_share') }}
        and latest_share.traffic_share <= {{ var('ramp_max_share') }}
        and latest_share.traffic_share > first_share.traffic_share
),

others as (
    -- every other version of the workflow since the ramp began: incumbent candidates
    select
        ramping.workflow,
        ramping.candidate_version,
        daily_shares.prompt_version,
        cast(sum(daily_shares.task_count) as bigint) as served_tasks,
        max(
            case when daily_shares.prompt_version = ramping.parent_version_id then 1 else 0 end
        ) as is_parent
    from ramping
    inner join daily_shares
        on ramping.workflow = daily_shares.task_type
        and ramping.first_date <= daily_shares.interaction_date
        and ramping.candidate_version <> daily_shares.prompt_version
    group by ramping.workflow, ramping.candidate_version, daily_shares.prompt_version
),

incumbents as (
    select
        workflow,
        candidate_version,
        prompt_version as incumbent_version,
        is_parent,
        row_number() over (
            partition by workflow, candidate_version
            order by is_parent desc, served_tasks desc, prompt_version asc
        ) as incumbent_rank
    from others
),

final as (
    select
        ramping.workflow,
        ramping.candidate_version,
        incumbents.incumbent_version,
        incumbents.is_parent = 1 as is_registered_parent,
        ramping.first_date,
        ramping.latest_date,
        ramping.days_served,
        ramping.candidate_tasks,
        ramping.first_share,
        ramping.latest_share
    from ramping
    inner join incumbents
        on ramping.workflow = incumbents.workflow
        and ramping.candidate_version = incumbents.candidate_version
    where incumbents.incumbent_rank = 1
)

select * from final
