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
--
-- Cost (issue 14): the per-response columns and the response's click watermark are set once
-- per response, before the fan-out to its retrieved positions; a document listed twice keeps
-- its first position (its best rank) by a filter instead of a group-by of every position; the
-- clicks are counted per output_id x document_id before they are joined to the positions.
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

clicks as (
    -- the having clause is always true; it lowers DuckDB's row estimate for these few rows
    -- below that of the retrieved positions (underestimated by the filters on staged), so the
    -- join below builds its hash table on the clicks, not on every retrieved position
    select
        output_id,
        document_id,
        count(*) as click_events
    from feedback
    group by output_id, document_id
    having count(*) > 0
),

output_clicks as (
    select
        output_id,
        max(ingested_at) as last_click_ingested_at
    from feedback
    group by output_id
),

responses as (
    -- one row per response, with the newest ingested_at of its interaction and doc_clicks
    select
        interactions.output_id,
        interactions.task_type,
        interactions.knowledge_version,
        interactions.tenant_id,
        interactions.event_at,
        interactions.retrieval_ids,
        interactions.cited_ids,
        greatest(interactions.ingested_at, coalesce(
            output_clicks.last_click_ingested_at, interactions.ingested_at
        )) as last_ingested_at
    from interactions
    left join output_clicks on interactions.output_id = output_clicks.output_id
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
        last_ingested_at,
        {{ list_positions('retrieval_ids', 'retrieval_rank') }}
    from responses
),

retrieved as (
    -- a document's first position in retrieval_ids is its best rank: keeping only that
    -- position counts a document listed twice once
    select
        output_id,
        {{ list_element('retrieval_ids', 'retrieval_rank') }} as document_id,
        task_type,
        knowledge_version,
        tenant_id,
        event_at,
        retrieval_rank,
        {{ list_has('cited_ids', list_element('retrieval_ids', 'retrieval_rank')) }} as is_cited,
        last_ingested_at
    from ranks
    where
        {{ list_element('retrieval_ids', 'retrieval_rank') }} is not null
        and {{ list_index('retrieval_ids', list_element('retrieval_ids', 'retrieval_rank')) }}
        = retrieval_rank
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
        retrieved.last_ingested_at
    from retrieved
    left join clicks
        on retrieved.output_id = clicks.output_id
        and retrieved.document_id = clicks.document_id
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
