-- Only each load's latest validation counts: floop.quality_gate validates a blocked load again
-- (validation_seq 1, 2, ...), and a later pass unblocks it. Rows written before loads were
-- re-validated have no validation_seq: they count as validation 0. details is left out (the
-- full JSON result; observed_value carries what was seen).
with source as (
    select * from {{ source('events', 'gx_validations') }}
),

numbered as (
    select
        *,
        coalesce(validation_seq, 0) as seq
    from source
),

ranked as (
    select
        *,
        max(seq) over (partition by load_id) as latest_seq
    from numbered
),

final as (
    select
        load_id,
        seq as validation_seq,
        validated_at,
        suite_name,
        expectation_type,
        event_type,
        column_name,
        success,
        observed_value,
        data_docs_path
    from ranked
    where seq = latest_seq
)

select * from final
