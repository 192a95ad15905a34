-- Dataset lineage: which exported dataset (manifest) each finetune / reranker version was
-- trained on, and in reverse which versions came from each dataset. One row per
-- (version, manifest) pair of a full outer join: versions whose manifest id matches no
-- exported manifest and manifests no version names are kept, and flagged.
with versions as (
    select
        event_id,
        version_kind,
        version_id,
        parent_version_id,
        nullif(trim(dataset_manifest_id), '') as dataset_manifest_id,
        description,
        event_at
    from {{ ref('stg_versions') }}
),

lineage_versions as (
    -- Trained artefacts, plus any other version that names a dataset. A version registered
    -- more than once counts with its latest registration.
    select *
    from versions
    where version_kind in ('finetune', 'reranker') or dataset_manifest_id is not null
    qualify row_number() over (
        partition by version_kind, version_id order by event_at desc, event_id desc
    ) = 1
),

manifests as (
    select * from {{ ref('stg_dataset_manifests') }}
),

joined as (
    select
        v.version_kind,
        v.version_id,
        v.parent_version_id,
        v.description as version_description,
        v.event_at as version_registered_at,
        v.dataset_manifest_id,
        m.manifest_id,
        m.policy_name,
        m.policy_hash,
        m.purpose,
        m.as_of_date,
        m.window_start,
        m.window_end,
        m.row_count,
        m.train_row_count,
        m.eval_row_count,
        m.created_at as manifest_created_at,
        m.manifest_path,
        m.superseded_at as manifest_superseded_at
    from lineage_versions as v
    full outer join manifests as m on v.dataset_manifest_id = m.manifest_id
),

final as (
    select
        md5(concat_ws(
            '|',
            coalesce(version_kind, ''),
            coalesce(version_id, ''),
            coalesce(manifest_id, dataset_manifest_id, '')
        )) as lineage_id,
        version_kind,
        version_id,
        parent_version_id,
        version_description,
        version_registered_at,
        dataset_manifest_id,
        manifest_id,
        policy_name,
        policy_hash,
        purpose,
        as_of_date,
        window_start,
        window_end,
        row_count,
        train_row_count,
        eval_row_count,
        manifest_created_at,
        manifest_path,
        manifest_superseded_at,
        coalesce(manifest_superseded_at is not null, false) as is_manifest_superseded,
        version_id is not null as has_version,
        manifest_id is not null as has_manifest,
        coalesce(dataset_manifest_id is not null and manifest_id is null, false)
            as is_missing_manifest,
        coalesce(version_id is not null and dataset_manifest_id is null, false)
            as is_missing_dataset_reference,
        case
            when version_id is null then 'manifest_without_version'
            when dataset_manifest_id is null then 'version_without_dataset'
            when manifest_id is null then 'manifest_not_found'
            else 'linked'
        end as lineage_status
    from joined
)

select * from final
