-- The value distribution of each label_name per taxonomy version, in the order the versions
-- appeared (by their first label). Grain: one row per (label_name, taxonomy_version,
-- label_value) labeled at least once; undeclared values included. The input of the
-- chi-squared test of int_taxonomy_change_tests (aggregated rows only).
with weekly as (
    select
        label_name,
        taxonomy_version,
        label_value,
        is_declared_value,
        label_count,
        first_labeled_at
    from {{ ref('int_label_values_weekly') }}
),

versions as (
    select
        label_name,
        taxonomy_version,
        min(first_labeled_at) as version_first_labeled_at
    from weekly
    group by label_name, taxonomy_version
),

ordered_versions as (
    select
        *,
        lag(taxonomy_version) over (
            partition by label_name order by version_first_labeled_at, taxonomy_version
        ) as previous_taxonomy_version
    from versions
),

counts as (
    select
        label_name,
        taxonomy_version,
        label_value,
        bool_and(is_declared_value) as is_declared_value,
        sum(label_count) as label_count
    from weekly
    group by label_name, taxonomy_version, label_value
),

final as (
    select
        counts.label_name,
        counts.taxonomy_version,
        counts.label_value,
        counts.is_declared_value,
        cast(counts.label_count as bigint) as label_count,
        ordered_versions.version_first_labeled_at,
        ordered_versions.previous_taxonomy_version
    from counts
    inner join ordered_versions
        on
        counts.label_name = ordered_versions.label_name
        and counts.taxonomy_version = ordered_versions.taxonomy_version
)

select * from final
