"""The dataset registry table (`registry.dataset_manifests`), defined once.

`floop export` writes it (floop/export.py); dbt reads it as source `registry` and creates it
(empty) before the first export with the pre-hook of stg_dataset_manifests. That hook calls
macro `registry_ddl()`, which scripts/gen_staging.py generates from `registry_ddl()` below, so
the export and dbt always create the same table.
"""

from __future__ import annotations

REGISTRY_SCHEMA = "registry"
REGISTRY_TABLE = f"{REGISTRY_SCHEMA}.dataset_manifests"
REGISTRY_COLUMNS: list[tuple[str, str]] = [
    ("manifest_id", "VARCHAR"),
    ("policy_name", "VARCHAR"),
    ("policy_hash", "VARCHAR"),
    ("purpose", "VARCHAR"),
    ("as_of_date", "DATE"),
    ("window_start", "DATE"),
    ("window_end", "DATE"),
    ("row_count", "BIGINT"),
    ("train_row_count", "BIGINT"),
    ("eval_row_count", "BIGINT"),
    ("partition_count", "BIGINT"),
    ("row_counts", "JSON"),
    ("source_last_event_at", "TIMESTAMP"),
    ("ingest_ledger_checksum", "VARCHAR"),
    ("dbt_manifest_sha256", "VARCHAR"),
    ("git_commit", "VARCHAR"),
    ("created_at", "TIMESTAMP"),
    ("manifest_path", "VARCHAR"),
    # Set by `floop forget` when the dataset's rows included an erased user: re-export it.
    ("superseded_at", "TIMESTAMP"),
    ("superseded_reason", "VARCHAR"),
]
# Columns added after the table's first version: an older registry gets them on the next
# export or dbt build.
ADDED_COLUMNS = ("superseded_at", "superseded_reason")


def registry_ddl() -> list[str]:
    """The idempotent statements that create the registry schema and table."""
    body = ",\n  ".join(f"{c} {t}" for c, t in REGISTRY_COLUMNS)
    types = dict(REGISTRY_COLUMNS)
    return [
        f"create schema if not exists {REGISTRY_SCHEMA}",
        f"create table if not exists {REGISTRY_TABLE} (\n  {body}\n)",
        *(
            f"alter table {REGISTRY_TABLE} add column if not exists {c} {types[c]}"
            for c in ADDED_COLUMNS
        ),
    ]
