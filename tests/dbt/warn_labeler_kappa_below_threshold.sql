{{ config(severity='warn') }}
-- A labeler whose Cohen's kappa against the majority of the other labelers falls below var
-- labeler_kappa_warn_threshold: their labels should be reviewed before they train anything.
with quality as (
    select * from {{ ref('fct_labeler_quality') }}
),

final as (
    select
        label_name,
        taxonomy_version,
        labeler_id,
        majority_item_count,
        kappa_vs_majority
    from quality
    where kappa_vs_majority < {{ var('labeler_kappa_warn_threshold') }}
)

select * from final
