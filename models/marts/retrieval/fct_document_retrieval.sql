-- Retrieval per document: how often each document was retrieved, at which rank, cited and
-- clicked, per workflow and knowledge version. Over non-shadow responses only (a shadow answer
-- was never shown, so it could not be clicked). One row per document_id x task_type x
-- knowledge_version. Answers "which documents are retrieved but never cited".
with interactions as (
    select
        output_id,
        task_type,
        coalesce(knowledge_version, '(none)') as knowledge_version,
        tenant_id,
        event_at,
        retrieval_ids,
        coalesce(cited_ids, []) as cited_ids
    from {{ ref('stg_interactions') }}
    where not is_shadow and len(retrieval_ids) > 0
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
        unnest(range(1, len(retrieval_ids) + 1)) as retrieval_rank
    from interactions
),

retrieved as (
    -- a document listed twice in one response counts once, at its best rank
    select
        output_id,
        retrieval_ids[retrieval_rank] as document_id,
        any_value(task_type) as task_type,
        any_value(knowledge_version) as knowledge_version,
        any_value(tenant_id) as tenant_id,
        any_value(event_at) as event_at,
        min(retrieval_rank) as retrieval_rank,
        bool_or(list_contains(cited_ids, retrieval_ids[retrieval_rank])) as is_cited
    from ranks
    where retrieval_ids[retrieval_rank] is not null
    group by output_id, retrieval_ids[retrieval_rank]
),

clicks as (
    select
        output_id,
        document_id,
        count(*) as click_events
    from {{ ref('stg_feedback') }}
    where feedback_type = 'doc_click' and document_id is not null
    group by output_id, document_id
),

joined as (
    select
        retrieved.*,
        coalesce(clicks.click_events, 0) as click_events
    from retrieved
    left join clicks
        on retrieved.output_id = clicks.output_id
        and retrieved.document_id = clicks.document_id
),

final as (
    select
        md5(concat_ws('|', document_id, task_type, knowledge_version)) as document_retrieval_id,
        document_id,
        task_type,
        knowledge_version,
        cast(count(*) as bigint) as times_retrieved,
        cast(count(*) filter (where retrieval_rank = 1) as bigint) as times_retrieved_first,
        cast(avg(retrieval_rank) as double) as mean_retrieval_rank,
        cast(count(*) filter (where is_cited) as bigint) as times_cited,
        cast(count(*) filter (where click_events > 0) as bigint) as times_clicked,
        cast(sum(click_events) as bigint) as click_events,
        cast(count(*) filter (where is_cited) as double) / count(*) as citation_rate,
        cast(count(*) filter (where click_events > 0) as double) / count(*) as click_rate,
        cast(count(distinct tenant_id) as bigint) as tenants,
        min(event_at) as first_retrieved_at,
        max(event_at) as last_retrieved_at,
        count(*) filter (where is_cited) = 0 as is_never_cited
    from joined
    group by document_id, task_type, knowledge_version
)

select
    document_retrieval_id,
    document_id,
    task_type,
    knowledge_version,
    times_retrieved,
    times_retrieved_first,
    mean_retrieval_rank,
    times_cited,
    times_clicked,
    click_events,
    citation_rate,
    click_rate,
    tenants,
    first_retrieved_at,
    last_retrieved_at,
    is_never_cited
from final
