"""The raw schema: DDL of every table `floop ingest` writes, and opening the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

from floop.contract import RAW_SCHEMA, load_contract

# Ingest bookkeeping tables (not events). Restricted like the raw events: raw_line may hold
# personal data exactly as landed.
AUX_TABLES: dict[str, list[tuple[str, str]]] = {
    "ingest_ledger": [
        ("load_id", "VARCHAR"),
        ("file_path", "VARCHAR"),
        ("file_format", "VARCHAR"),
        ("file_size_bytes", "BIGINT"),
        ("sha256", "VARCHAR"),
        ("lines", "BIGINT"),
        ("accepted", "BIGINT"),
        ("duplicate", "BIGINT"),
        ("rejected", "BIGINT"),
        ("ingested_at", "TIMESTAMP"),
        ("duration_ms", "DOUBLE"),
        # Added by issue 11 (older warehouses get them from `ensure_raw_schema`):
        ("relative_path", "VARCHAR"),  # the file's path under the landing folder: its identity
        ("status", "VARCHAR"),  # loaded | skipped | failed | tampered (LEDGER_STATUSES)
        ("status_reason", "VARCHAR"),  # why skipped / the error / what changed; null if loaded
        ("start_offset", "BIGINT"),  # first byte of the file this row read (appended files)
        ("bytes_read", "BIGINT"),  # bytes this row read: [start_offset, start_offset + bytes_read)
        ("pending_bytes", "BIGINT"),  # bytes of an unfinished last line left for a later run
        # lines of erased users (`floop forget`): removed since, or dropped at load by a
        # tombstone. lines = accepted + duplicate + rejected + erased
        ("erased", "BIGINT"),
        # The file as stat() saw it before this row's read (null: not recorded, e.g. rows of
        # older floop versions or a file modified just before): a later run skips the file
        # without reading it when its size, mtime and inode still match (floop.ingest.ledger).
        ("file_mtime_ns", "BIGINT"),
        ("file_inode", "BIGINT"),
    ],
    "quarantine": [
        ("load_id", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("line_number", "BIGINT"),
        ("raw_line", "VARCHAR"),
        ("reason_code", "VARCHAR"),
        ("reason_field", "VARCHAR"),
        ("reason_message", "VARCHAR"),
        ("event_type", "VARCHAR"),
        ("event_id", "VARCHAR"),
        ("ingested_at", "TIMESTAMP"),
    ],
    "duplicate_events": [
        ("load_id", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("line_number", "BIGINT"),
        ("event_id", "VARCHAR"),
        ("event_type", "VARCHAR"),
        ("event_timestamp", "TIMESTAMP"),
        ("ingested_at", "TIMESTAMP"),
    ],
    "unknown_fields": [
        ("load_id", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("event_type", "VARCHAR"),
        ("field_name", "VARCHAR"),
        ("events", "BIGINT"),
    ],
    "gx_validations": [
        ("load_id", "VARCHAR"),
        ("validated_at", "TIMESTAMP"),
        ("suite_name", "VARCHAR"),
        ("expectation_type", "VARCHAR"),
        ("event_type", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("success", "BOOLEAN"),
        ("observed_value", "VARCHAR"),
        ("details", "JSON"),
        ("data_docs_path", "VARCHAR"),
        # Which validation of the load (1, 2, ...): a blocked load is validated again.
        ("validation_seq", "BIGINT"),
    ],
    # Blocked loads someone accepted with `floop waive` (floop.quality_gate).
    "load_waivers": [
        ("load_id", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("waived_at", "TIMESTAMP"),
        ("failed_checks", "VARCHAR[]"),
    ],
    # `floop forget`: one audit row per erasure (the keyed hash, never the id; counts; time).
    "erasures": [
        ("erasure_id", "VARCHAR"),
        ("user_hash", "VARCHAR"),  # sha256(key || '|' || id): the user_key of this warehouse
        ("tenant_id", "VARCHAR"),  # null: the id in every tenant
        ("key_fingerprint", "VARCHAR"),  # which hash key made user_hash (floop.hash_key)
        ("reason", "VARCHAR"),
        ("erased_at", "TIMESTAMP"),
        ("events_erased", "BIGINT"),  # accepted events removed from the raw event tables
        ("quarantined_erased", "BIGINT"),  # quarantined lines removed
        ("duplicates_erased", "BIGINT"),  # raw.duplicate_events rows removed
        ("manifests_superseded", "BIGINT"),
        ("landing_files_purged", "BIGINT"),
        ("landing_lines_purged", "BIGINT"),
    ],
    # What re-ingesting a landing file must drop (into the ledger's `erased`): keyed hashes of
    # the erased user's id, and of the ids of the responses ('output:' || output_id) and tasks
    # ('task:' || task_id) erased with them (floop.erasure).
    "erasure_tombstones": [
        ("erasure_id", "VARCHAR"),
        ("hash", "VARCHAR"),
        ("tenant_id", "VARCHAR"),
        ("key_fingerprint", "VARCHAR"),
    ],
}


LEDGER_STATUSES = ("loaded", "skipped", "failed", "tampered")

# Values given to existing rows when a column is added to an older warehouse: ledger rows
# written before statuses existed are all loads.
_BACKFILL: dict[tuple[str, str], str] = {
    ("ingest_ledger", "status"): "'loaded'",
    ("ingest_ledger", "erased"): "0",
}


def raw_ddl_statements() -> list[str]:
    contract = load_contract()
    stmts = [f"create schema if not exists {RAW_SCHEMA}"]
    stmts += [contract.raw_ddl(t) for t in contract.event_types]
    for name, cols in AUX_TABLES.items():
        body = ",\n  ".join(f'"{c}" {t}' for c, t in cols)
        stmts.append(f"create table if not exists {RAW_SCHEMA}.{name} (\n  {body}\n)")
    return stmts


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing, and add columns newer floop versions added to existing tables
    (a warehouse made by an older floop keeps working)."""
    for stmt in raw_ddl_statements():
        con.execute(stmt)
    _add_missing_columns(con)


def _add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate an older warehouse in place: bookkeeping columns added since it was created
    are appended (the order of `AUX_TABLES`, which only ever grows at the end)."""
    for name, cols in AUX_TABLES.items():
        have = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [RAW_SCHEMA, name],
            ).fetchall()
        }
        for col, col_type in cols:
            if col in have:
                continue
            table = f"{RAW_SCHEMA}.{name}"
            con.execute(f'alter table {table} add column if not exists "{col}" {col_type}')
            if (name, col) in _BACKFILL:
                con.execute(f'update {table} set "{col}" = {_BACKFILL[(name, col)]}')


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with UTC as the session time zone (timestamps are stored in UTC)."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    return con


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether `schema.table` (a table or a view) exists in the connected database."""
    schema, name = qualified.split(".")
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def table_columns(con: duckdb.DuckDBPyConnection, qualified: str) -> list[str]:
    """The column names of `schema.table`, in order (empty when it does not exist)."""
    schema, name = qualified.split(".")
    rows = con.execute(
        "select column_name from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [r[0] for r in rows]
