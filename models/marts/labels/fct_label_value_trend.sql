-- Weekly label value distribution, broken at taxonomy version changes. Grain: one row per
-- (label_name, label_week, taxonomy_version, label_value) labeled that week. A trend line is
-- one (label_value, taxonomy_version): a new version starts a new line (is_version_break on
-- its first week), so shares of different taxonomies are never joined into one line.
-- Undeclared values are rows with is_declared_value = false (counted, never dropped).
with counts as (
    select
        label_name,
        label_week,
        taxonomy_version,
        label_value,
        is_declared_value,
        label_count
    from {{ ref('int_label_values_weekly') }}
),

versions as (
    select
        label_name,
        taxonomy_version,
        previous_taxonomy_version,
        min(version_first_labeled_at) as version_first_labeled_at
    from {{ ref('int_label_version_distribution') }}
    group by label_name, taxonomy_version, previous_taxonomy_version
),

final as (
    select
        counts.label_name,
        counts.label_week,
        counts.taxonomy_version,
        counts.label_value,
        counts.is_declared_value,
        cast(counts.label_count as bigint) as label_count,
        cast(sum(counts.label_count) over (
            partition by counts.label_name, counts.label_week, counts.taxonomy_version
        ) as bigint) as week_version_label_count,
        cast(counts.label_count as double) / sum(counts.label_count) over (
            partition by counts.label_name, counts.label_week, counts.taxonomy_version
        ) as value_share,
        versions.previous_taxonomy_version,
        versions.previous_taxonomy_version is not null
        and counts.label_week = {{ iso_week('versions.version_first_labeled_at') }}
            as is_version_break
    from counts
    inner join versions
        on
        counts.label_name = versions.label_name
        and counts.taxonomy_version = versions.taxonomy_version
)

select * from final
