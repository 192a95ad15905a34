-- The version registry: one row per version_id, from version events (kind, parent, dataset
-- manifest, first registered) and from traffic (first and last seen, interactions). Versions
-- seen in traffic but never registered are kept with is_registered = false.
with registrations as (
    select
        version_id,
        version_kind,
        parent_version_id,
        dataset_manifest_id,
        description,
        event_at,
        event_id
    from {{ ref('stg_versions') }}
),

registry as (
    -- a version registered twice: the latest registration describes it, the first dates it
    select
        version_id,
        {{ value_at_max('version_kind', ['event_at', 'event_id']) }} as version_kind,
        {{ value_at_max('parent_version_id', ['event_at', 'event_id']) }} as parent_version_id,
        {{ value_at_max('dataset_manifest_id', ['event_at', 'event_id']) }} as dataset_manifest_id,
        {{ value_at_max('description', ['event_at', 'event_id']) }} as description,
        min(event_at) as first_registered_at,
        count(*) as registration_count
    from registrations
    group by version_id
),

interactions as (
    select prompt_version, model_id, model_version, knowledge_version, is_shadow, interacted_at
    from {{ ref('fct_interactions') }}
),

usage as (
    select
        'prompt' as version_kind,
        prompt_version as version_id,
        null as model_id,
        is_shadow,
        interacted_at
    from interactions
    union all
    select 'model' as version_kind, model_version as version_id, model_id, is_shadow, interacted_at
    from interactions
    union all
    select
        'knowledge' as version_kind,
        knowledge_version as version_id,
        null as model_id,
        is_shadow,
        interacted_at
    from interactions
    where knowledge_version is not null
),

traffic as (
    select
        version_id,
        min(version_kind) as version_kind,
        max(model_id) as model_id,
        min(interacted_at) as first_seen_at,
        max(interacted_at) as last_seen_at,
        count(*) filter (where not is_shadow) as interactions,
        count(*) filter (where is_shadow) as shadow_interactions
    from usage
    group by version_id
),

final as (
    select
        coalesce(registry.version_id, traffic.version_id) as version_id,
        coalesce(registry.version_kind, traffic.version_kind) as version_kind,
        traffic.model_id,
        registry.parent_version_id,
        registry.dataset_manifest_id,
        registry.description,
        registry.version_id is not null as is_registered,
        coalesce(registry.registration_count, 0) as registration_count,
        registry.first_registered_at,
        traffic.first_seen_at,
        traffic.last_seen_at,
        coalesce(traffic.interactions, 0) as interactions,
        coalesce(traffic.shadow_interactions, 0) as shadow_interactions
    from registry
    full outer join traffic on registry.version_id = traffic.version_id
)

select * from final
