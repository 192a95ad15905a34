-- How well each labeler agrees. Grain: one row per (label_name, taxonomy_version, labeler_id)
-- of every non-adjudicator who labeled. Each labeler's latest label per response counts.
--   majority of the others: on a response, the value most of the OTHER labelers gave, when
--     one value has strictly more of their labels than any other (ties: no majority)
--   agreement_with_majority: share of the responses with such a majority where the labeler
--     gave that value; kappa_vs_majority: Cohen's kappa between the labeler and that majority
--     over the same responses (p_e from both sides' value shares)
--   gold_accuracy: share of the responses with a gold label (an adjudicator's, the latest
--     if several) where the labeler gave the gold value
with labels as (
    select
        output_id,
        labeler_id,
        label_name,
        taxonomy_version,
        label_value,
        labeled_at,
        is_gold
    from {{ ref('int_label_events') }}
),

raters as (
    select * from labels
    where not is_gold
),

gold as (
    select
        output_id,
        label_name,
        taxonomy_version,
        label_value as gold_value
    from labels
    where is_gold
    qualify row_number() over (
        partition by output_id, label_name, taxonomy_version
        order by labeled_at desc, labeler_id desc
    ) = 1
),

unit_values as (
    select
        output_id,
        label_name,
        taxonomy_version,
        label_value,
        count(*) as n_uc
    from raters
    group by output_id, label_name, taxonomy_version, label_value
),

others as (
    -- per labeler and response: how many of the other labelers gave each value
    select
        raters.labeler_id,
        raters.output_id,
        raters.label_name,
        raters.taxonomy_version,
        raters.label_value as own_value,
        unit_values.label_value as other_value,
        unit_values.n_uc
        - case when unit_values.label_value = raters.label_value then 1 else 0 end as n_other
    from raters
    inner join unit_values
        on
        raters.output_id = unit_values.output_id
        and raters.label_name = unit_values.label_name
        and raters.taxonomy_version = unit_values.taxonomy_version
),

ranked_others as (
    select
        *,
        rank() over (
            partition by labeler_id, output_id, label_name, taxonomy_version
            order by n_other desc
        ) as value_rank,
        count(*) over (
            partition by labeler_id, output_id, label_name, taxonomy_version, n_other
        ) as tied_values
    from others
    where n_other > 0
),

majority as (
    select
        labeler_id,
        output_id,
        label_name,
        taxonomy_version,
        own_value,
        other_value as majority_value
    from ranked_others
    where value_rank = 1 and tied_values = 1
),

with_others as (
    select
        labeler_id,
        label_name,
        taxonomy_version,
        count(distinct output_id) as items_with_others
    from ranked_others
    group by labeler_id, label_name, taxonomy_version
),

majority_totals as (
    select
        labeler_id,
        label_name,
        taxonomy_version,
        count(*) as majority_item_count,
        sum(case when own_value = majority_value then 1 else 0 end) as majority_agreement_count
    from majority
    group by labeler_id, label_name, taxonomy_version
),

own_marginal as (
    select labeler_id, label_name, taxonomy_version, own_value as label_value, count(*) as n
    from majority
    group by labeler_id, label_name, taxonomy_version, own_value
),

majority_marginal as (
    select labeler_id, label_name, taxonomy_version, majority_value as label_value, count(*) as n
    from majority
    group by labeler_id, label_name, taxonomy_version, majority_value
),

chance as (
    select
        own_marginal.labeler_id,
        own_marginal.label_name,
        own_marginal.taxonomy_version,
        sum(cast(own_marginal.n as double) * majority_marginal.n) as chance_product_sum
    from own_marginal
    inner join majority_marginal
        on
        own_marginal.labeler_id = majority_marginal.labeler_id
        and own_marginal.label_name = majority_marginal.label_name
        and own_marginal.taxonomy_version = majority_marginal.taxonomy_version
        and own_marginal.label_value = majority_marginal.label_value
    group by own_marginal.labeler_id, own_marginal.label_name, own_marginal.taxonomy_version
),

gold_totals as (
    select
        raters.labeler_id,
        raters.label_name,
        raters.taxonomy_version,
        count(*) as gold_item_count,
        sum(case when raters.label_value = gold.gold_value then 1 else 0 end) as gold_correct_count
    from raters
    inner join gold
        on
        raters.output_id = gold.output_id
        and raters.label_name = gold.label_name
        and raters.taxonomy_version = gold.taxonomy_version
    group by raters.labeler_id, raters.label_name, raters.taxonomy_version
),

label_counts as (
    select
        labeler_id,
        label_name,
        taxonomy_version,
        count(*) as label_count
    from raters
    group by labeler_id, label_name, taxonomy_version
),

joined as (
    select
        label_counts.label_name,
        label_counts.taxonomy_version,
        label_counts.labeler_id,
        label_counts.label_count,
        coalesce(with_others.items_with_others, 0) as items_with_others,
        coalesce(majority_totals.majority_item_count, 0) as majority_item_count,
        coalesce(majority_totals.majority_agreement_count, 0) as majority_agreement_count,
        {{ safe_rate('majority_totals.majority_agreement_count',
            'majority_totals.majority_item_count') }} as agreement_with_majority,
        coalesce(chance.chance_product_sum, 0.0)
        / nullif(
            cast(majority_totals.majority_item_count as double)
            * majority_totals.majority_item_count,
            0
        ) as majority_expected_agreement,
        coalesce(gold_totals.gold_item_count, 0) as gold_item_count,
        coalesce(gold_totals.gold_correct_count, 0) as gold_correct_count,
        {{ safe_rate('gold_totals.gold_correct_count', 'gold_totals.gold_item_count') }}
            as gold_accuracy
    from label_counts
    left join with_others
        on
        label_counts.labeler_id = with_others.labeler_id
        and label_counts.label_name = with_others.label_name
        and label_counts.taxonomy_version = with_others.taxonomy_version
    left join majority_totals
        on
        label_counts.labeler_id = majority_totals.labeler_id
        and label_counts.label_name = majority_totals.label_name
        and label_counts.taxonomy_version = majority_totals.taxonomy_version
    left join chance
        on
        label_counts.labeler_id = chance.labeler_id
        and label_counts.label_name = chance.label_name
        and label_counts.taxonomy_version = chance.taxonomy_version
    left join gold_totals
        on
        label_counts.labeler_id = gold_totals.labeler_id
        and label_counts.label_name = gold_totals.label_name
        and label_counts.taxonomy_version = gold_totals.taxonomy_version
),

final as (
    select
        label_name,
        taxonomy_version,
        labeler_id,
        cast(label_count as bigint) as label_count,
        cast(items_with_others as bigint) as items_with_others,
        cast(majority_item_count as bigint) as majority_item_count,
        cast(majority_agreement_count as bigint) as majority_agreement_count,
        agreement_with_majority,
        (agreement_with_majority - majority_expected_agreement)
        / nullif(1.0 - majority_expected_agreement, 0) as kappa_vs_majority,
        cast(gold_item_count as bigint) as gold_item_count,
        cast(gold_correct_count as bigint) as gold_correct_count,
        gold_accuracy,
        cast(rank() over (
            partition by label_name, taxonomy_version
            order by agreement_with_majority desc nulls last
        ) as bigint) as agreement_rank
    from joined
)

select * from final
