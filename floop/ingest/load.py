"""Load one landing file in one transaction: every line ends in exactly one place.

A line goes to its event table (accepted), `raw.duplicate_events` (an `event_id` accepted
before) or `raw.quarantine` (rejected, with one reason code from the contract); the file gets
one row in `raw.ingest_ledger`. A killed run leaves no half-loaded file; a file that cannot
be read raises `LandingFileError` with nothing of it written.
"""

from __future__ import annotations

import errno
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from floop.contract import RAW_SCHEMA
from floop.errors import LandingFileError, OperationalError
from floop.ingest.checks import ACCEPTED, DUPLICATE, CheckSQL
from floop.ingest.checks_fields import col
from floop.ingest.ledger import LedgerRow
from floop.ingest.readers import stage_lines
from floop.ingest.result import FileResult
from floop.ingest.scan import Scan
from floop.sql import sql_str
from floop.warehouse import connect


@dataclass(frozen=True)
class LoadRequest:
    """One landing file to load (its new lines, staged by `scan`), and what the run stamps
    on its rows."""

    path: Path  # the landing file as found (its rows' source_file)
    relative_path: str  # its path under the landing folder: its name in the ledger
    fmt: str  # a format of floop.landing.FORMATS
    scan: Scan  # the staged copy of the bytes to read, offsets and checksums
    load_id: str
    now: datetime  # judges future timestamps
    stamp: datetime  # ingested_at of every row written (strictly after earlier loads)
    tmpdir: Path  # for repaired copies of the file

    @property
    def source_file(self) -> str:
        return self.path.as_posix()

    @property
    def ingested_at_sql(self) -> str:
        return f"timestamp '{self.stamp.isoformat(sep=' ')}'"


def is_no_space(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or (
        "No space left on device" in str(exc)
    )


def open_warehouse(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """A connection set up for loading; `OperationalError` when the file is locked by
    another writer, the disk is full or it cannot be opened."""
    try:
        con = connect(warehouse)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise OperationalError(
                f"warehouse {warehouse} is in use by another writer (could not set lock); "
                "try again when it has finished"
            ) from exc
        if is_no_space(exc):
            raise OperationalError(f"no space left on device opening {warehouse}") from exc
        raise OperationalError(f"cannot open warehouse {warehouse}: {exc}") from exc
    con.execute("set TimeZone = 'UTC'")  # naive UTC timestamps: the cast relies on it
    # A file's large insert is written to disk as new row groups at commit; the checkpoint's
    # vacuum would then merge the previous file's partly filled last row group with them,
    # compressing every row a second time (~30% of the insert CPU at 1M events). Without it a
    # raw table keeps at most one partly filled row group per large file (small files fill
    # the last group as usual). Only this connection's checkpoints are affected.
    con.execute("set max_vacuum_tasks = 0")
    return con


def load_file(con: duckdb.DuckDBPyConnection, checks: CheckSQL, request: LoadRequest) -> FileResult:
    """Load one file in one transaction. A text file that is not valid UTF-8 (read_text
    refuses it) is loaded again with its broken lines marked, so they are quarantined."""
    try:
        return _in_transaction(con, checks, request, repair_utf8=False)
    except duckdb.InvalidInputException as exc:
        if "UTF-8" not in str(exc):
            raise
    return _in_transaction(con, checks, request, repair_utf8=True)


def _in_transaction(
    con: duckdb.DuckDBPyConnection, checks: CheckSQL, request: LoadRequest, repair_utf8: bool
) -> FileResult:
    con.begin()
    try:
        result = _load(con, checks, request, repair_utf8)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return result


def _load(
    con: duckdb.DuckDBPyConnection, checks: CheckSQL, request: LoadRequest, repair_utf8: bool
) -> FileResult:
    started = time.perf_counter()
    scan = request.scan
    assert scan.staged is not None
    try:
        stage_lines(con, scan.staged, request.fmt, scan.first_line, request.tmpdir, repair_utf8)
    except duckdb.Error as exc:
        if is_no_space(exc) or (not repair_utf8 and "UTF-8" in str(exc)):
            raise
        # e.g. a corrupt Parquet file ("No magic bytes found"): this file fails, not the run.
        # The message names the landing file, not its staged copy (the same on every run).
        message = str(exc).splitlines()[0].replace(str(scan.staged), request.source_file)
        raise LandingFileError(f"{type(exc).__name__}: {message}") from exc
    _check_lines(con, checks, request)
    _insert_accepted(con, checks, request)
    _insert_rejected(con, checks, request)
    result = _count(con, request)
    result.seconds = time.perf_counter() - started
    _insert_ledger(con, request, result)
    con.execute("drop table temp.checked")
    con.execute("drop table temp.dups")
    return result


def _check_lines(con: duckdb.DuckDBPyConnection, checks: CheckSQL, request: LoadRequest) -> None:
    """temp.lines judged into temp.checked, its duplicates listed in temp.dups and marked."""
    con.execute("drop table if exists temp.checked")
    con.execute(
        "create temp table checked as "
        + checks.checked_select(
            "select line_number, raw_line from temp.lines", request.now, request.source_file
        )
    )
    con.execute("drop table temp.lines")
    con.execute("drop table if exists temp.dups")
    con.execute("create temp table dups as " + checks.duplicates_sql())
    con.execute(
        "update checked set _is_duplicate = true "
        "where line_number in (select line_number from dups)"
    )


def _insert_accepted(
    con: duckdb.DuckDBPyConnection, checks: CheckSQL, request: LoadRequest
) -> None:
    """Accepted lines into their event tables."""
    meta = f"{sql_str(request.load_id)}, {request.ingested_at_sql}"
    for event_type in checks.contract.event_types:
        con.execute(
            checks.insert_accepted(event_type, "checked c", "c.source_file, c.line_number", meta)
        )


def _insert_rejected(
    con: duckdb.DuckDBPyConnection, checks: CheckSQL, request: LoadRequest
) -> None:
    """Rejected lines into the quarantine, duplicates into duplicate_events, and the unknown
    fields of accepted lines counted into unknown_fields."""
    load_id, ingested_at = sql_str(request.load_id), request.ingested_at_sql
    con.execute(
        f"""insert into {RAW_SCHEMA}.quarantine
        (load_id, source_file, line_number, raw_line, reason_code, reason_field, reason_message,
         event_type, event_id, ingested_at)
        select {load_id}, c.source_file, c.line_number, c.raw_line, c.reason_code,
          c.reason_field, {checks.message_sql()},
          json_extract_string(c._json, '/event_type'), json_extract_string(c._json, '/event_id'),
          {ingested_at}
        from checked c where c.reason_code is not null
        order by c.line_number"""
    )
    con.execute(
        f"""insert into {RAW_SCHEMA}.duplicate_events
        (load_id, source_file, line_number, event_id, event_type, event_timestamp, ingested_at)
        select {load_id}, c.source_file, c.line_number, c.{col("v", "event_id")},
          c.{col("v", "event_type")}, c.{col("v", "timestamp")}, {ingested_at}
        from checked c where {DUPLICATE}
        order by c.line_number"""
    )
    con.execute(
        f"""insert into {RAW_SCHEMA}.unknown_fields
        (load_id, source_file, event_type, field_name, events)
        select {load_id}, source_file, event_type, field_name, count(*)
        from (
          select c.source_file, c.{col("v", "event_type")} as event_type,
            unnest(list_distinct(c._extra_keys)) as field_name
          from checked c where {ACCEPTED} and len(c._extra_keys) > 0
        )
        group by all
        order by all"""
    )


def _count(con: duckdb.DuckDBPyConnection, request: LoadRequest) -> FileResult:
    """The file's counts (they must add up) and their breakdowns."""
    source_file = request.source_file
    scan = request.scan
    result = FileResult(
        path=source_file,
        file_format=request.fmt,
        relative_path=request.relative_path,
        status_reason=_load_note(scan),
    )
    counts = con.execute(
        """select
          count(*),
          count(*) filter (where c.reason_code is null) - (select count(*) from dups),
          (select count(*) from dups),
          count(*) filter (where c.reason_code is not null)
        from checked c"""
    ).fetchone()
    assert counts is not None
    result.lines, result.accepted, result.duplicate, result.rejected = (int(x) for x in counts)
    if result.lines != result.accepted + result.duplicate + result.rejected:
        # Would be a bug in the generated SQL; never commit a file that does not add up.
        raise RuntimeError(f"{source_file}: counts do not add up {counts}")
    result.rejected_by_reason = dict(
        con.execute(
            "select reason_code, count(*) from checked where reason_code is not null "
            "group by 1 order by 2 desc, 1"
        ).fetchall()
    )
    result.accepted_by_type = dict(
        con.execute(
            f"select c.{col('v', 'event_type')}, count(*) from checked c where {ACCEPTED} "
            "group by 1 order by 2 desc, 1"
        ).fetchall()
    )
    result.unknown_fields = dict(
        con.execute(
            f"""select event_type || '.' || field_name, sum(events)::bigint
            from {RAW_SCHEMA}.unknown_fields
            where load_id = ? and source_file = ? group by 1 order by 2 desc, 1""",
            [request.load_id, source_file],
        ).fetchall()
    )
    return result


def _load_note(scan: Scan) -> str | None:
    """What a load left out or continued, for the ledger and the summary (None: the whole
    file)."""
    notes = []
    if scan.start > 0:
        notes.append(f"appended: read from byte {scan.start}")
    if scan.pending:
        notes.append(f"{scan.pending} bytes of an unfinished last line wait for their newline")
    return "; ".join(notes) or None


def _insert_ledger(
    con: duckdb.DuckDBPyConnection, request: LoadRequest, result: FileResult
) -> None:
    scan = request.scan
    LedgerRow(
        load_id=request.load_id,
        file_path=request.source_file,
        relative_path=request.relative_path,
        status="loaded",
        status_reason=result.status_reason,
        ingested_at=request.stamp,
        file_format=request.fmt,
        file_size_bytes=scan.size,
        sha256=scan.sha256_to_end,
        lines=result.lines,
        accepted=result.accepted,
        duplicate=result.duplicate,
        rejected=result.rejected,
        duration_ms=round(result.seconds * 1000, 1),
        start_offset=scan.start,
        bytes_read=scan.end - scan.start,
        pending_bytes=scan.pending,
    ).insert(con)
