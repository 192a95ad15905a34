-- Taxonomy version changes and whether the label value distribution moved. Grain: one row per
-- (label_name, taxonomy_version) that followed another version (versions ordered by their
-- first label). Compares all labels of the previous version with all of the new one:
-- Pearson's chi-squared test of the 2 x K table (int_taxonomy_change_tests, a Python model on
-- the aggregated counts); is_distribution_changed when p < var taxonomy_change_alpha.
-- Undeclared values (not in the label_taxonomy seed for their version) are counted on both
-- sides, never dropped.
with tests as (
    select * from {{ ref('int_taxonomy_change_tests') }}
),

final as (
    select
        label_name,
        taxonomy_version,
        previous_taxonomy_version,
        changed_at,
        {{ iso_week('changed_at') }} as change_week,
        labels_before,
        labels_after,
        values_before,
        values_after,
        undeclared_before,
        undeclared_after,
        chi2_statistic,
        degrees_of_freedom,
        p_value,
        coalesce(p_value < {{ var('taxonomy_change_alpha') }}, false) as is_distribution_changed
    from tests
)

select * from final
