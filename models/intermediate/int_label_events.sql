-- Each labeler's judgment of one response: the latest label event per (output_id, labeler_id,
-- label_name, taxonomy_version), with the workflow of the response, whether the value is
-- declared by its taxonomy version (label_taxonomy seed; undeclared values are kept and
-- counted, never dropped) and whether the labeler is an adjudicator (a gold label).
with labels as (
    select
        event_id,
        output_id,
        tenant_id,
        labeler_id,
        taxonomy_version,
        label_name,
        label_value,
        event_at
    from {{ ref('stg_labels') }}
),

interactions as (
    select
        output_id,
        task_type
    from {{ ref('int_interactions') }}
),

taxonomy as (
    select
        label_name,
        taxonomy_version,
        label_value
    from {{ ref('label_taxonomy') }}
),

adjudicators as (
    select distinct
        labeler_id,
        task_type
    from {{ ref('labelers') }}
    where role = 'adjudicator'
),

counted as (
    select
        *,
        count(*) over (
            partition by output_id, labeler_id, label_name, taxonomy_version
        ) as label_event_count,
        row_number() over (
            partition by output_id, labeler_id, label_name, taxonomy_version
            order by event_at desc, event_id desc
        ) as recency
    from labels
),

final as (
    select
        counted.output_id,
        counted.labeler_id,
        counted.label_name,
        counted.taxonomy_version,
        counted.label_value,
        counted.event_id,
        counted.tenant_id,
        interactions.task_type,
        counted.event_at as labeled_at,
        {{ iso_week('counted.event_at') }} as label_week,
        cast(counted.label_event_count as bigint) as label_event_count,
        taxonomy.label_value is not null as is_declared_value,
        adjudicators.labeler_id is not null as is_gold
    from counted
    left join interactions on counted.output_id = interactions.output_id
    left join taxonomy
        on
        counted.label_name = taxonomy.label_name
        and counted.taxonomy_version = taxonomy.taxonomy_version
        and counted.label_value = taxonomy.label_value
    left join adjudicators
        on
        counted.labeler_id = adjudicators.labeler_id
        and interactions.task_type = adjudicators.task_type
    where counted.recency = 1
)

select * from final
