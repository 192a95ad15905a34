-- Taxonomy version changes and whether the value distribution moved. Grain: one row per
-- (label_name, taxonomy_version) that followed another version (versions ordered by their
-- first label). Compares all labels of the previous version with all of the new one:
-- Pearson's chi-squared test of the 2 x K table (int_taxonomy_change_tests);
-- is_distribution_changed when p < var taxonomy_change_alpha. Undeclared values (not in the
-- label_taxonomy seed for their version) are counted on both sides, never dropped.
with distribution as (
    select * from {{ ref('int_label_version_distribution') }}
),

tests as (
    select * from {{ ref('int_taxonomy_change_tests') }}
),

per_version as (
    select
        label_name,
        taxonomy_version,
        min(version_first_labeled_at) as version_first_labeled_at,
        sum(label_count) as label_count,
        sum(case when is_declared_value then 0 else label_count end) as undeclared_label_count,
        count(*) as value_count
    from distribution
    group by label_name, taxonomy_version
),

final as (
    select
        tests.label_name,
        tests.taxonomy_version,
        tests.previous_taxonomy_version,
        after_change.version_first_labeled_at as changed_at,
        {{ iso_week('after_change.version_first_labeled_at') }} as change_week,
        cast(before_change.label_count as bigint) as labels_before,
        cast(after_change.label_count as bigint) as labels_after,
        cast(before_change.value_count as bigint) as values_before,
        cast(after_change.value_count as bigint) as values_after,
        cast(before_change.undeclared_label_count as bigint) as undeclared_before,
        cast(after_change.undeclared_label_count as bigint) as undeclared_after,
        tests.chi2_statistic,
        cast(tests.degrees_of_freedom as bigint) as degrees_of_freedom,
        tests.p_value,
        coalesce(tests.p_value < {{ var('taxonomy_change_alpha') }}, false)
            as is_distribution_changed
    from tests
    inner join per_version as after_change
        on
        tests.label_name = after_change.label_name
        and tests.taxonomy_version = after_change.taxonomy_version
    inner join per_version as before_change
        on
        tests.label_name = before_change.label_name
        and tests.previous_taxonomy_version = before_change.taxonomy_version
)

select * from final
