{{ config(severity='warn') }}
-- Label values their taxonomy version does not declare (taxonomies/*.yml): counted in
-- fct_label_value_trend, never dropped; this warns so the taxonomy or the labeling tool
-- gets fixed.
with trend as (
    select * from {{ ref('fct_label_value_trend') }}
),

final as (
    select
        label_name,
        taxonomy_version,
        label_value,
        sum(label_count) as label_count
    from trend
    where not is_declared_value
    group by label_name, taxonomy_version, label_value
)

select * from final
