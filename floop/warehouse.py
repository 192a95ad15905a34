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
    for name, cols in AUX_TABLES.items():
        for col, typ in cols:
            con.execute(f'alter table {RAW_SCHEMA}.{name} add column if not exists "{col}" {typ}')


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with UTC as the session time zone (timestamps are stored in UTC)."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    return con
