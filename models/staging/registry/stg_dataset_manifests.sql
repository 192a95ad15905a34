{#- The registry table must exist before the first export (DuckDB has no lazy sources), so
    this model creates it idempotently; floop/export.py runs the same DDL
    (tests/test_export.py checks both agree). -#}
{{
    config(
        pre_hook=[
            "create schema if not exists registry",
            "create table if not exists registry.dataset_manifests (
                manifest_id VARCHAR,
                policy_name VARCHAR,
                policy_hash VARCHAR,
                purpose VARCHAR,
                as_of_date DATE,
                window_start DATE,
                window_end DATE,
                row_count BIGINT,
                train_row_count BIGINT,
                eval_row_count BIGINT,
                partition_count BIGINT,
                row_counts JSON,
                source_last_event_at TIMESTAMP,
                ingest_ledger_checksum VARCHAR,
                dbt_manifest_sha256 VARCHAR,
                git_commit VARCHAR,
                created_at TIMESTAMP,
                manifest_path VARCHAR
            )",
        ]
    )
}}
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
        manifest_path
    from deduped
)

select * from final
