-- Retrieval per document: how often each document was retrieved, at which rank, cited and
-- clicked, per workflow and knowledge version. Over non-shadow responses only (a shadow answer
-- was never shown, so it could not be clicked). One row per document_id x task_type x
-- knowledge_version. Answers "which documents are retrieved but never cited".
with retrievals as (
    select * from {{ ref('int_document_retrievals') }}
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
    from retrievals
    group by document_id, task_type, knowledge_version
)

select * from final
