"""Writing the Parquet event log (`floop.lake`): one writer at a time, whole files only.

Every file is written by DuckDB's `COPY ... TO` under a hidden temporary name in its final
folder, flushed to disk, and renamed into place (`os.replace` is atomic within a file
system), so no reader ever sees half a file. A load writes its event files, then its
bookkeeping files, then its ledger file, which commits it; a writer killed before that
leaves files no reader takes (`floop.lake.committed_sql`), and the next writer, holding the
lock, removes them before it starts.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from floop.contract import RAW_SCHEMA, load_contract
from floop.errors import OperationalError
from floop.lake import (
    BOOKKEEPING,
    LEDGER,
    PARQUET_OPTIONS,
    SCHEMA_FILE,
    Lake,
    lake_tables,
    load_column,
)
from floop.sql import sql_str


@contextmanager
def locked(lake: Lake) -> Iterator[Lake]:
    """Hold the lake's writer lock (`OperationalError` when another writer has it) and
    remove what a killed writer left: temporary files and files of uncommitted loads."""
    lake.root.mkdir(parents=True, exist_ok=True)
    with open(lake.lock_file, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OperationalError(
                f"lake {lake.root} is in use by another writer; try again when it has finished"
            ) from None
        try:
            remove_uncommitted(lake)
            yield lake
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_uncommitted(lake: Lake) -> list[Path]:
    """Delete temporary files and the files of loads without a ledger file (call only while
    holding the lock). Returns what was removed."""
    committed = lake.committed_load_ids()
    removed = []
    for path in sorted(lake.root.rglob("*")):
        if not path.is_file() or path.name in (SCHEMA_FILE, lake.lock_file.name):
            continue
        stale_tmp = path.name.startswith(".") and path.name.endswith(".tmp")
        orphan = path.suffix == ".parquet" and path.stem not in committed
        if stale_tmp or orphan:
            path.unlink()
            removed.append(path)
    return removed


def ensure_schema_files(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """An empty file with the columns of every lake table (from CON's raw schema), so a table
    no load has written yet still reads as empty."""
    for table in lake_tables():
        path = lake.schema_file(table)
        if not path.exists():
            publish(con, f"select * from {RAW_SCHEMA}.{table} limit 0", path)


def write_load(con: duckdb.DuckDBPyConnection, lake: Lake, load_id: str) -> list[Path]:
    """The rows of LOAD_ID in CON's raw tables as lake files: events by type and event date,
    then the bookkeeping tables, then the ledger (the commit). Nothing when the load has no
    ledger row. Returns the files written, in order."""
    if not _count(con, LEDGER, load_id):
        return []
    written = []
    contract = load_contract()
    for event_type in contract.event_types:
        table = contract.raw_table(event_type)
        dates = con.execute(
            f'select distinct cast("timestamp" as date)::varchar from {table} '
            "where _load_id = ? order by 1",
            [load_id],
        ).fetchall()
        for (day,) in dates:
            query = (
                f"select * from {table} where _load_id = {sql_str(load_id)} "
                f'and cast("timestamp" as date) = date {sql_str(day)} '
                "order by _source_file, _line_number"
            )
            written.append(publish(con, query, lake.event_file(event_type, day, load_id)))
    for table in [*BOOKKEEPING, LEDGER]:
        if table != LEDGER and not _count(con, table, load_id):
            continue
        query = f"select * from {RAW_SCHEMA}.{table} where load_id = {sql_str(load_id)}"
        written.append(publish(con, query, lake.load_file(table, load_id)))
    return written


def _count(con: duckdb.DuckDBPyConnection, table: str, load_id: str) -> int:
    row = con.execute(
        f"select count(*) from {RAW_SCHEMA}.{table} where {load_column(table)} = ?", [load_id]
    ).fetchone()
    return int(row[0]) if row else 0


def publish(con: duckdb.DuckDBPyConnection, query: str, dest: Path) -> Path:
    """QUERY's rows as the Parquet file DEST, which appears whole or not at all."""
    if dest.exists():
        # load ids are unique: an existing file means two writers or a reused id
        raise OperationalError(f"lake file {dest} exists already; the lake is append-only")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    con.execute(f"copy ({query}) to {sql_str(tmp.as_posix())} ({PARQUET_OPTIONS})")
    _fsync(tmp)
    os.replace(tmp, dest)
    _fsync(dest.parent)  # the rename itself survives a power cut
    return dest


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
