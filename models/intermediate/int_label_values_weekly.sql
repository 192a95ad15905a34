-- Label values per week: how often each value of each label_name and taxonomy version was
-- given in an ISO week (each labeler's latest label per response). Grain: one row per
-- (label_name, taxonomy_version, label_value, label_week). Undeclared values included.
with labels as (
    select
        label_name,
        taxonomy_version,
        label_value,
        label_week,
        labeled_at,
        is_declared_value
    from {{ ref('int_label_events') }}
),

final as (
    select
        label_name,
        taxonomy_version,
        label_value,
        label_week,
        bool_and(is_declared_value) as is_declared_value,
        cast(count(*) as bigint) as label_count,
        min(labeled_at) as first_labeled_at
    from labels
    group by label_name, taxonomy_version, label_value, label_week
)

select * from final
