{{
    config(
        materialized=floop_incremental(),
        incremental_strategy='delete+insert',
        unique_key='output_id',
        on_schema_change='fail'
    )
}}
-- Label summary of one response. label_agreement: among pairs of distinct labelers who gave
-- the same label_name under the same taxonomy_version on this output, the share of pairs with
-- the same label_value (each labeler's latest label per name counts once). Null without pairs.
with labels as (
    select
        output_id,
        labeler_id,
        taxonomy_version,
        label_name,
        label_value,
        event_at,
        event_id,
        ingested_at
    from {{ ref('stg_labels') }}
    {% if is_incremental() %}
    -- re-summarise every output labeled since the last run
    where
        output_id in (
            select output_id from {{ ref('stg_labels') }}
            where ingested_at > {{ watermark('last_ingested_at') }}
        )
    {% endif %}
),

latest_per_labeler as (
    select *
    from labels
    qualify row_number() over (
        partition by output_id, labeler_id, taxonomy_version, label_name
        order by event_at desc, event_id desc
    ) = 1
),

value_counts as (
    select output_id, taxonomy_version, label_name, label_value, count(*) as n
    from latest_per_labeler
    group by all
),

name_counts as (
    select
        output_id,
        taxonomy_version,
        label_name,
        sum(n) as n_labelers,
        sum(n * (n - 1) / 2) as agreeing_pairs
    from value_counts
    group by all
),

pairs as (
    select
        output_id,
        sum(agreeing_pairs) as agreeing_pairs,
        sum(n_labelers * (n_labelers - 1) / 2) as labeler_pairs
    from name_counts
    group by output_id
),

counts as (
    select
        output_id,
        count(*) as label_count,
        count(distinct labeler_id) as labeler_count,
        max(ingested_at) as last_ingested_at
    from labels
    group by output_id
),

final as (
    select
        counts.output_id,
        counts.label_count,
        counts.labeler_count,
        cast(coalesce(pairs.labeler_pairs, 0) as bigint) as label_pair_count,
        {{ safe_rate('pairs.agreeing_pairs', 'pairs.labeler_pairs') }} as label_agreement,
        counts.last_ingested_at
    from counts
    left join pairs on counts.output_id = pairs.output_id
)

select * from final
