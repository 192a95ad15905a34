-- Agreement between labelers. Grain: one row per (label_name, taxonomy_version, labeler_a,
-- labeler_b) with labeler_a < labeler_b and at least one response both labeled. Each labeler's
-- latest label per response counts once; adjudicators (gold labels) are left out.
--   pair columns: Cohen's kappa = (p_o - p_e) / (1 - p_e) over the responses both labeled,
--     p_e from the two labelers' value shares on those responses (null when p_e = 1)
--   label columns (the same on every pair row of a label_name and version): responses with
--     >= 2 labels, the share of agreeing labeler pairs within them, and Krippendorff's alpha
--     (nominal) = 1 - (n - 1) * sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1) / (n^2 - sum_c n_c^2)
--     over responses u with m_u >= 2 labels, n_uc labels of value c, n_c = sum_u n_uc,
--     n = sum_c n_c (the coincidence-matrix form; null when every label has one value).
with labels as (
    select
        output_id,
        labeler_id,
        label_name,
        taxonomy_version,
        label_value
    from {{ ref('int_label_events') }}
    where not is_gold
),

pairs as (
    select
        a.label_name,
        a.taxonomy_version,
        a.output_id,
        a.labeler_id as labeler_a,
        b.labeler_id as labeler_b,
        a.label_value as value_a,
        b.label_value as value_b
    from labels as a
    inner join labels as b
        on
        a.output_id = b.output_id
        and a.label_name = b.label_name
        and a.taxonomy_version = b.taxonomy_version
        and a.labeler_id < b.labeler_id
),

pair_totals as (
    select
        label_name,
        taxonomy_version,
        labeler_a,
        labeler_b,
        count(*) as pair_item_count,
        sum(case when value_a = value_b then 1 else 0 end) as pair_agreement_count
    from pairs
    group by label_name, taxonomy_version, labeler_a, labeler_b
),

marginal_a as (
    select label_name, taxonomy_version, labeler_a, labeler_b, value_a as label_value, count(*) as n
    from pairs
    group by label_name, taxonomy_version, labeler_a, labeler_b, value_a
),

marginal_b as (
    select label_name, taxonomy_version, labeler_a, labeler_b, value_b as label_value, count(*) as n
    from pairs
    group by label_name, taxonomy_version, labeler_a, labeler_b, value_b
),

pair_chance as (
    select
        marginal_a.label_name,
        marginal_a.taxonomy_version,
        marginal_a.labeler_a,
        marginal_a.labeler_b,
        sum(cast(marginal_a.n as double) * marginal_b.n) as chance_product_sum
    from marginal_a
    inner join marginal_b
        on
        marginal_a.label_name = marginal_b.label_name
        and marginal_a.taxonomy_version = marginal_b.taxonomy_version
        and marginal_a.labeler_a = marginal_b.labeler_a
        and marginal_a.labeler_b = marginal_b.labeler_b
        and marginal_a.label_value = marginal_b.label_value
    group by
        marginal_a.label_name,
        marginal_a.taxonomy_version,
        marginal_a.labeler_a,
        marginal_a.labeler_b
),

pair_stats as (
    select
        pair_totals.*,
        cast(pair_totals.pair_agreement_count as double) / pair_totals.pair_item_count
            as pair_observed_agreement,
        coalesce(pair_chance.chance_product_sum, 0.0)
        / (cast(pair_totals.pair_item_count as double) * pair_totals.pair_item_count)
            as pair_expected_agreement
    from pair_totals
    left join pair_chance
        on
        pair_totals.label_name = pair_chance.label_name
        and pair_totals.taxonomy_version = pair_chance.taxonomy_version
        and pair_totals.labeler_a = pair_chance.labeler_a
        and pair_totals.labeler_b = pair_chance.labeler_b
),

unit_values as (
    select
        label_name,
        taxonomy_version,
        output_id,
        label_value,
        count(*) as n_uc
    from labels
    group by label_name, taxonomy_version, output_id, label_value
),

units as (
    select
        label_name,
        taxonomy_version,
        output_id,
        sum(n_uc) as m_u,
        sum(n_uc * n_uc) as sum_sq_u,
        sum(n_uc * (n_uc - 1)) as agreeing_ordered_pairs
    from unit_values
    group by label_name, taxonomy_version, output_id
    having sum(n_uc) >= 2
),

value_totals as (
    -- n_c over the pairable responses
    select
        unit_values.label_name,
        unit_values.taxonomy_version,
        unit_values.label_value,
        sum(unit_values.n_uc) as n_c
    from unit_values
    inner join units
        on
        unit_values.label_name = units.label_name
        and unit_values.taxonomy_version = units.taxonomy_version
        and unit_values.output_id = units.output_id
    group by unit_values.label_name, unit_values.taxonomy_version, unit_values.label_value
),

label_units as (
    select
        label_name,
        taxonomy_version,
        count(*) as multi_labeled_item_count,
        sum(m_u) as pairable_label_count,
        sum(cast(m_u * m_u - sum_sq_u as double) / (m_u - 1)) as disagreement_sum,
        sum(agreeing_ordered_pairs) as agreeing_ordered_pairs,
        sum(m_u * (m_u - 1)) as ordered_pairs
    from units
    group by label_name, taxonomy_version
),

label_values as (
    select
        label_name,
        taxonomy_version,
        sum(cast(n_c as double) * n_c) as sum_sq_c
    from value_totals
    group by label_name, taxonomy_version
),

label_stats as (
    select
        label_units.label_name,
        label_units.taxonomy_version,
        label_units.multi_labeled_item_count,
        {{ safe_rate('label_units.agreeing_ordered_pairs', 'label_units.ordered_pairs') }}
            as observed_agreement,
        1.0 - (label_units.pairable_label_count - 1) * label_units.disagreement_sum
        / nullif(
            cast(label_units.pairable_label_count as double) * label_units.pairable_label_count
            - label_values.sum_sq_c,
            0
        ) as krippendorff_alpha
    from label_units
    inner join label_values
        on
        label_units.label_name = label_values.label_name
        and label_units.taxonomy_version = label_values.taxonomy_version
),

final as (
    select
        pair_stats.label_name,
        pair_stats.taxonomy_version,
        pair_stats.labeler_a,
        pair_stats.labeler_b,
        cast(pair_stats.pair_item_count as bigint) as pair_item_count,
        cast(pair_stats.pair_agreement_count as bigint) as pair_agreement_count,
        pair_stats.pair_observed_agreement,
        pair_stats.pair_expected_agreement,
        (pair_stats.pair_observed_agreement - pair_stats.pair_expected_agreement)
        / nullif(1.0 - pair_stats.pair_expected_agreement, 0) as cohen_kappa,
        cast(label_stats.multi_labeled_item_count as bigint) as multi_labeled_item_count,
        label_stats.observed_agreement,
        label_stats.krippendorff_alpha
    from pair_stats
    inner join label_stats
        on
        pair_stats.label_name = label_stats.label_name
        and pair_stats.taxonomy_version = label_stats.taxonomy_version
)

select * from final
