{#- The registry table must exist before the first export (DuckDB has no lazy sources), so
    this model creates it idempotently with the DDL floop/export.py runs (macros/registry_ddl.sql,
    generated from floop/registry.py). -#}
{#- On Spark the registry table is created by the on-run-start hook (floop_prepare_sources). -#}
{{ config(pre_hook=registry_pre_hook()) }}

with source as (
    select * from {{ source('registry', 'dataset_manifests') }}
),

deduped as (
    -- One row per manifest id (the export replaces its row; this guards a manual insert).
    select *
    from source
    qualify row_number() over (partition by manifest_id order by created_at desc) = 1
),

final as (
    select
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
        partition_count,
        row_counts,
        source_last_event_at,
        ingest_ledger_checksum,
        dbt_manifest_sha256,
        git_commit,
        created_at,
        manifest_path,
        superseded_at,
        superseded_reason
    from deduped
)

select * from final
