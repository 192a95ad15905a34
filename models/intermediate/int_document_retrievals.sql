{{ config(materialized='view') }}
-- One row per document retrieved in a shown (non-shadow) response: output_id x document_id,
-- at its best rank (a document listed twice in one response counts once), whether the answer
-- cited it and how often the user clicked it.
with interactions as (
    select
        output_id,
        task_type,
        coalesce(knowledge_version, '(none)') as knowledge_version,
        tenant_id,
        event_at,
        retrieval_ids,
        coalesce(cited_ids, {{ empty_string_list() }}) as cited_ids
    from {{ ref('stg_interactions') }}
    where not is_shadow and {{ list_length('retrieval_ids') }} > 0
),

feedback as (
    select
        output_id,
        document_id
    from {{ ref('stg_feedback') }}
    where feedback_type = 'doc_click' and document_id is not null
),

ranks as (
    -- one row per retrieved position; rank 1 = first in retrieval_ids
    select
        output_id,
        task_type,
        knowledge_version,
        tenant_id,
        event_at,
        retrieval_ids,
        cited_ids,
        {{ list_positions('retrieval_ids', 'retrieval_rank') }}
    from interactions
),

retrieved as (
    select
        output_id,
        {{ list_element('retrieval_ids', 'retrieval_rank') }} as document_id,
        any_value(task_type) as task_type,
        any_value(knowledge_version) as knowledge_version,
        any_value(tenant_id) as tenant_id,
        any_value(event_at) as event_at,
        min(retrieval_rank) as retrieval_rank,
        bool_or(
            {{ list_has('cited_ids', list_element('retrieval_ids', 'retrieval_rank')) }}
        ) as is_cited
    from ranks
    where {{ list_element('retrieval_ids', 'retrieval_rank') }} is not null
    group by output_id, {{ list_element('retrieval_ids', 'retrieval_rank') }}
),

clicks as (
    select
        output_id,
        document_id,
        count(*) as click_events
    from feedback
    group by output_id, document_id
),

final as (
    select
        retrieved.*,
        coalesce(clicks.click_events, 0) as click_events
    from retrieved
    left join clicks
        on retrieved.output_id = clicks.output_id
        and retrieved.document_id = clicks.document_id
)

select * from final
