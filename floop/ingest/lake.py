"""`floop ingest --lake DIR`: the same load, with the Parquet event log as the raw store.

Why a scratch database: the checks, the dedupe, the ledger logic and the quality checks are
SQL over the `raw` tables of one DuckDB connection (`floop.ingest.load`), and they stay the one
implementation. In lake mode that connection is a scratch DuckDB file that starts with the
history the load reads (`hydrate`): the committed ledger rows, and of every committed event
only `event_id` (dedupe), `tenant_id` (the volume expectation), `_load_id` and `_ingested_at`
(the load's stamp). The load runs unchanged; its own rows, complete, are then written to the
lake (`floop.lake_write.write_load`) and the scratch file is thrown away. The lake never holds
a DuckDB file, and nothing reads the scratch afterwards.

What this costs: each run reads the event ids of the whole lake back (a projection of a few
columns, which Parquet reads without touching the others), as the file mode keeps them in its
tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from floop.contract import RAW_SCHEMA, load_contract
from floop.ingest.load import open_warehouse
from floop.lake import LEDGER, Lake, committed_sql
from floop.lake_write import ensure_schema_files, locked
from floop.warehouse import ensure_raw_schema


@contextmanager
def scratch(lake: Lake, tmpdir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A scratch warehouse in TMPDIR holding the lake's history, while this process holds the
    lake's writer lock (uncommitted files of a killed writer are removed first)."""
    with locked(lake):
        con = open_warehouse(tmpdir / "lake-scratch.duckdb")
        try:
            ensure_raw_schema(con)
            ensure_schema_files(con, lake)
            hydrate(con, lake)
            yield con
        finally:
            con.close()


def hydrate(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """The lake's committed history, as far as a load reads it, into CON's raw tables."""
    root = lake.root.as_posix()
    # ledger rows in the order they were written: LedgerState takes a file's last row
    con.execute(
        f"""insert into {RAW_SCHEMA}.{LEDGER} by name
        select * exclude (filename, file_row_number)
        from (
          select * from read_parquet('{root}/{LEDGER}/**/*.parquet',
            union_by_name = true, hive_partitioning = false,
            filename = true, file_row_number = true)
        )
        order by ingested_at, load_id, filename, file_row_number"""
    )
    contract = load_contract()
    for event_type in contract.event_types:
        table = contract.raw_table(event_type)
        cols = ["event_id", "_load_id", "_ingested_at"]
        if "tenant_id" in contract.field_names(event_type):
            cols.insert(1, "tenant_id")
        names = ", ".join(cols)
        relation = committed_sql(root, f"{event_type}_events")
        con.execute(f"insert into {table} ({names}) select {names} from {relation}")
