"""The raw store as a Parquet event log (`--lake DIR`): where its files are and how to read it.

    DIR/<event_type>/event_date=YYYY-MM-DD/<load_id>.parquet   accepted events of one load
    DIR/<table>/<load_id>.parquet       ingest_ledger, quarantine, duplicate_events,
                                        unknown_fields, gx_validations of one load
    DIR/<dir>/_schema.parquet           no rows: every table's columns, so a table no load
                                        wrote yet still reads (as empty)
    DIR/.lock                           held by the one writer (`floop ingest --lake`)

Append-only: a load adds files and never changes one. A load's ledger file is written last
and is its commit: every reader takes only the rows of loads the ledger names
(`committed_sql`), so the files of a load killed midway are never seen, and the next writer
removes them (`floop.lake_write`). In the warehouse, schema `raw` becomes views over the
lake (`create_views`), except `load_waivers`: people write it (`floop waive`), not ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from floop.config import lake_path
from floop.contract import RAW_SCHEMA, load_contract
from floop.errors import OperationalError
from floop.warehouse import ensure_raw_schema

LEDGER = "ingest_ledger"
# Bookkeeping tables a load writes before its ledger (the ledger file commits the load).
BOOKKEEPING = ("quarantine", "duplicate_events", "unknown_fields", "gx_validations")
SCHEMA_FILE = "_schema.parquet"
LOCK_FILE = ".lock"
# Fixed writer settings: the bytes of a file depend only on its rows and DuckDB's version.
PARQUET_OPTIONS = "format parquet, compression zstd, compression_level 3, row_group_size 131072"
_READ_OPTIONS = "union_by_name = true, hive_partitioning = false"


def lake_root(value: str | Path) -> Path:
    """DIR as an absolute path (`floop.config.lake_path` refuses unsafe characters)."""
    path = lake_path(value)
    assert path is not None
    return path


def event_tables() -> dict[str, str]:
    """raw table name -> event type, for the contract's event types."""
    return {f"{t}_events": t for t in load_contract().event_types}


def lake_tables() -> list[str]:
    """Every raw table the lake holds, events first, the ledger last."""
    return [*event_tables(), *BOOKKEEPING, LEDGER]


def load_column(table: str) -> str:
    """The column naming the load of a row (event tables carry bookkeeping with `_`)."""
    return "_load_id" if table in event_tables() else "load_id"


@dataclass(frozen=True)
class Lake:
    """One lake folder. Build it with `Lake(lake_root(path))`."""

    root: Path

    def table_dir(self, table: str) -> Path:
        """Event tables live under their event type's name, the others under the table's."""
        return self.root / event_tables().get(table, table)

    def schema_file(self, table: str) -> Path:
        return self.table_dir(table) / SCHEMA_FILE

    def event_file(self, event_type: str, event_date: str, load_id: str) -> Path:
        return self.root / event_type / f"event_date={event_date}" / f"{load_id}.parquet"

    def load_file(self, table: str, load_id: str) -> Path:
        return self.table_dir(table) / f"{load_id}.parquet"

    @property
    def lock_file(self) -> Path:
        return self.root / LOCK_FILE

    def committed_load_ids(self) -> set[str]:
        """Loads whose ledger file exists: the committed ones."""
        folder = self.table_dir(LEDGER)
        if not folder.is_dir():
            return set()
        return {p.stem for p in folder.glob("*.parquet") if p.name != SCHEMA_FILE}


def scan_sql(root: str, table: str) -> str:
    """Every row of TABLE's files under ROOT (a lake path, or a placeholder the caller
    substitutes), committed or not."""
    folder = event_tables().get(table, table)
    return f"read_parquet('{root}/{folder}/**/*.parquet', {_READ_OPTIONS})"


def committed_sql(root: str, table: str) -> str:
    """A relation (a parenthesised query) of TABLE's committed rows under ROOT: the rows of
    loads the ledger names. What `floop ingest --lake` reads back and what dbt's sources read
    (scripts/gen_staging.py renders it with the lake path as a placeholder)."""
    if table == LEDGER:
        return f"(select * from {scan_sql(root, table)})"
    ledger = scan_sql(root, LEDGER)
    return (
        f"(select * from {scan_sql(root, table)} "
        f"where {load_column(table)} in (select load_id from {ledger}))"
    )


def raw_relation(table: str) -> str:
    """The warehouse's raw table: the source when no lake is given."""
    return f"(select * from {RAW_SCHEMA}.{table})"


def create_views(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """Schema `raw` of the warehouse CON as views over the lake's committed rows: what the
    Python readers (the summary, the quality gate, an export's watermark, dbt's unit tests'
    column types) know as the raw tables. `load_waivers` stays a table (people write it).
    A raw table that holds rows is never replaced: `OperationalError`."""
    ensure_raw_schema(con)  # creates load_waivers; the empty tables below become views
    for table in lake_tables():
        kind = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, table],
        ).fetchone()
        if kind is not None and kind[0] == "BASE TABLE":
            row = con.execute(f"select count(*) from {RAW_SCHEMA}.{table}").fetchone()
            if row and row[0]:
                raise OperationalError(
                    f"{RAW_SCHEMA}.{table} of this warehouse holds rows loaded without a lake: "
                    "build a lake's warehouse in a new file"
                )
            con.execute(f"drop table {RAW_SCHEMA}.{table}")
        relation = committed_sql(lake.root.as_posix(), table)
        con.execute(f"create or replace view {RAW_SCHEMA}.{table} as select * from {relation}")


def reads_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse CON's raw tables are views over a lake (`create_views`)."""
    row = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ? and table_type = 'VIEW'",
        [RAW_SCHEMA, LEDGER],
    ).fetchone()
    return bool(row and row[0])
