{{
    config(
        materialized=floop_incremental(),
        incremental_strategy='delete+insert',
        unique_key='output_id',
        on_schema_change='fail',
        post_hook="{% if is_incremental() %}delete from {{ this }} where document_id is null{% endif %}"
    )
}}
-- One row per document retrieved in a shown (non-shadow) response: output_id x document_id,
-- at its best rank (a document listed twice in one response counts once), whether the answer
-- cited it and how often the user clicked it.
--
-- Incremental (delete+insert of whole responses, issue 14): a run redoes the responses whose
-- staged interaction or a doc_click on them was ingested since the last run (the newest
-- last_ingested_at here), from all their rows. A response that no longer retrieves anything
-- (its interaction re-sent) gets a placeholder row (document_id null), so delete+insert
-- clears it; the post-hook deletes the placeholder.
with staged as (
    select
        output_id,
        task_type,
        knowledge_version,
        tenant_id,
        event_at,
        retrieval_ids,
        cited_ids,
        is_shadow,
        ingested_at
    from {{ ref('stg_interactions') }}
),

staged_clicks as (
    select
        output_id,
        document_id,
        ingested_at
    from {{ ref('stg_feedback') }}
    where feedback_type = 'doc_click'
),

{% if is_incremental() %}
touched_outputs as (
    select output_id from staged
    where ingested_at > {{ watermark('last_ingested_at') }}
    union
    select output_id from staged_clicks
    where ingested_at > {{ watermark('last_ingested_at') }}
),
{% endif %}

interactions as (
    select
        output_id,
        task_type,
        coalesce(knowledge_version, '(none)') as knowledge_version,
        tenant_id,
        event_at,
        retrieval_ids,
        coalesce(cited_ids, {{ empty_string_list() }}) as cited_ids,
        ingested_at
    from staged
    {% if is_incremental() %}
    where
        not is_shadow and {{ list_length('retrieval_ids') }} > 0
        and output_id in (select touched_outputs.output_id from touched_outputs)
    {% else %}
    where not is_shadow and {{ list_length('retrieval_ids') }} > 0
    {% endif %}
),

feedback as (
    select
        output_id,
        document_id,
        ingested_at
    from staged_clicks
    where
        document_id is not null
        and output_id in (select interactions.output_id from interactions)
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
        ingested_at,
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
        any_value(ingested_at) as ingested_at,
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

output_clicks as (
    select
        output_id,
        max(ingested_at) as last_click_ingested_at
    from feedback
    group by output_id
),

rows_of_outputs as (
    select
        retrieved.output_id,
        retrieved.document_id,
        retrieved.task_type,
        retrieved.knowledge_version,
        retrieved.tenant_id,
        retrieved.event_at,
        retrieved.retrieval_rank,
        retrieved.is_cited,
        coalesce(clicks.click_events, 0) as click_events,
        greatest(retrieved.ingested_at, coalesce(
            output_clicks.last_click_ingested_at, retrieved.ingested_at
        )) as last_ingested_at
    from retrieved
    left join clicks
        on retrieved.output_id = clicks.output_id
        and retrieved.document_id = clicks.document_id
    left join output_clicks on retrieved.output_id = output_clicks.output_id
),

{% if is_incremental() %}
placeholders as (
    select
        output_id,
        cast(null as {{ string_type() }}) as document_id,
        cast(null as {{ string_type() }}) as task_type,
        cast(null as {{ string_type() }}) as knowledge_version,
        cast(null as {{ string_type() }}) as tenant_id,
        cast(null as timestamp) as event_at,
        cast(null as bigint) as retrieval_rank,
        cast(null as boolean) as is_cited,
        cast(null as bigint) as click_events,
        cast(null as timestamp) as last_ingested_at
    from {{ this }}
    where
        output_id in (select touched_outputs.output_id from touched_outputs)
        and output_id not in (select rows_of_outputs.output_id from rows_of_outputs)
),

final as (
    select * from rows_of_outputs
    union all
    select * from placeholders
)
{% else %}
final as (
    select * from rows_of_outputs
)
{% endif %}

select * from final
