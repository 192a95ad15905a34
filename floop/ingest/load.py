"""Load a batch of landing files in one transaction: every line ends in exactly one place.

A line goes to its event table (accepted), `raw.duplicate_events` (an `event_id` accepted
before) or `raw.quarantine` (rejected, with one reason code from the contract), or, when it
belongs to a user erased by `floop forget`, nowhere (counted `erased`, see `erased`); each file
gets one row in `raw.ingest_ledger`. A killed run leaves no half-loaded file; a file that cannot
be read raises `LandingFileError` when it is staged, with nothing of it written.

Small files are checked together (`Batch`): each file's lines are staged into temp.lines under
its file number, then one transaction judges, de-duplicates and inserts the whole batch. The
checks statement costs ~0.15 s CPU to plan whatever its input, and DuckDB scans a table in
parallel only from ~122k rows: one statement per small file made planning most of the ingest.
In temp.checked a line is keyed by `line_number` = file number << 40 | its line number (the
order files and lines were received in, which duplicate detection relies on: among lines with
one event_id the first received is kept), and carries `source_file` and `file_line`.
"""

from __future__ import annotations

import errno
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from floop.contract import RAW_SCHEMA
from floop.errors import LandingFileError, OperationalError
from floop.ingest.checks import ACCEPTED, DUPLICATE, REJECTED, CheckSQL
from floop.ingest.checks_fields import col
from floop.ingest.erased import mark_erased
from floop.ingest.ledger import LedgerRow
from floop.ingest.readers import CHANGED_WHILE_READ, LINES_COLUMNS, LINES_TABLE, stage_lines
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
    scan: Scan  # the file to read (staged copy or in place), offsets and checksums
    load_id: str
    now: datetime  # judges future timestamps
    stamp: datetime  # ingested_at of every row written (strictly after earlier loads)
    tmpdir: Path  # for repaired copies of the file
    # (key, key fingerprint) when erasure tombstones exist: their lines are dropped as erased
    erasure_key: tuple[str, str] | None = None

    @property
    def source_file(self) -> str:
        return self.path.as_posix()

    @property
    def ingested_at_sql(self) -> str:
        return f"timestamp '{self.stamp.isoformat(sep=' ')}'"


class ChangedWhileRead(Exception):
    """A file read in place no longer had the size that was hashed: scan it again, with a
    staged copy. Nothing of it was written (the transaction rolled back)."""


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


# A batch is loaded once its staged lines reach this many (planning the checks, ~0.15 s CPU, is
# then under a fifth of checking them, ~11 us a line; a killed run loses at most a batch's work,
# and temp.checked stays small) or it holds this many files.
BATCH_LINES = 60_000
BATCH_FILES = 1_000
# A line's key in temp.checked: its file number in these high bits, its line number below.
_FILE_SHIFT = 40


@dataclass
class _Staged:
    request: LoadRequest
    lines: int
    tag: object  # the caller's (e.g. the file's position in the landing folder)


@dataclass
class Batch:
    """Files staged to load together (see the module docstring). `stage` adds one; `load`
    checks and inserts all of them in one transaction and returns their results."""

    con: duckdb.DuckDBPyConnection
    checks: CheckSQL
    staged: list[_Staged] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(s.lines for s in self.staged)

    @property
    def full(self) -> bool:
        return self.lines >= BATCH_LINES or len(self.staged) >= BATCH_FILES

    def stage(self, request: LoadRequest, tag: object = None) -> None:
        """The file's lines into temp.lines. Raises `LandingFileError` (the file cannot be
        read: nothing of it staged) or `ChangedWhileRead`. A text file that is not valid UTF-8
        (read_text refuses it) is read again with its broken lines marked, so they are
        quarantined."""
        if not self.staged:
            self.con.execute(f"create or replace temp table lines ({LINES_COLUMNS})")
        file_no = len(self.staged)
        try:
            n = _stage(self.con, request, file_no, repair_utf8=False)
        except duckdb.Error as exc:
            if "UTF-8" not in str(exc) or CHANGED_WHILE_READ in str(exc):
                raise
            n = _stage(self.con, request, file_no, repair_utf8=True)
        self.staged.append(_Staged(request, n, tag))

    def load(self) -> list[tuple[FileResult, object]]:
        """Every staged file loaded, in one transaction: (its result, its tag), in order."""
        if not self.staged:
            return []
        started = time.perf_counter()
        self.con.begin()
        try:
            results = _load(self.con, self.checks, [s.request for s in self.staged])
            seconds = time.perf_counter() - started
            lines = max(1, self.lines)
            for s, result in zip(self.staged, results, strict=True):
                # the batch's time, shared out by lines (the ledger's duration_ms)
                result.seconds = seconds * s.lines / lines
                _insert_ledger(self.con, s.request, result)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        finally:
            self.con.execute(f"drop table if exists {LINES_TABLE}")
        tags = [s.tag for s in self.staged]
        self.staged = []
        return list(zip(results, tags, strict=True))


def _stage(
    con: duckdb.DuckDBPyConnection, request: LoadRequest, file_no: int, repair_utf8: bool
) -> int:
    scan = request.scan
    path = scan.to_read
    assert path is not None
    size = scan.size if scan.in_place is not None else None
    try:
        return stage_lines(
            con, path, request.fmt, scan.first_line, request.tmpdir, repair_utf8, size, file_no
        )
    except duckdb.Error as exc:
        if CHANGED_WHILE_READ in str(exc):
            raise ChangedWhileRead(request.source_file) from exc
        if is_no_space(exc) or (not repair_utf8 and "UTF-8" in str(exc)):
            raise
        # e.g. a corrupt Parquet file ("No magic bytes found"): this file fails, not the run.
        # The message names the landing file, not its staged copy (the same on every run).
        message = str(exc).splitlines()[0].replace(str(path), request.source_file)
        raise LandingFileError(f"{type(exc).__name__}: {message}") from exc


def _load(
    con: duckdb.DuckDBPyConnection, checks: CheckSQL, requests: list[LoadRequest]
) -> list[FileResult]:
    _check_lines(con, checks, requests)
    _insert_accepted(con, checks, requests[0])
    _insert_rejected(con, checks, requests[0])
    results = _count(con, requests)
    con.execute("drop table temp.checked")
    con.execute("drop table temp.dups")
    con.execute("drop table temp.batch_files")
    return results


def _check_lines(
    con: duckdb.DuckDBPyConnection, checks: CheckSQL, requests: list[LoadRequest]
) -> None:
    """temp.lines judged into temp.checked, its duplicates listed in temp.dups and marked.
    The checks judge against one clock: every request of a run has the same `now`."""
    con.execute("create or replace temp table batch_files (file_no integer, source_file varchar)")
    con.executemany(
        "insert into temp.batch_files values (?, ?)",
        [[i, r.source_file] for i, r in enumerate(requests)],
    )
    con.execute("drop table if exists temp.checked")
    key = f"(file_no::bigint << {_FILE_SHIFT}) | line_number"
    select = checks.checked_select(
        f"select {key} as line_number, raw_line, line_number = 1 as _first from {LINES_TABLE}",
        requests[0].now,
        source_file="",
        file_start="_first",
    )
    mask = (1 << _FILE_SHIFT) - 1
    con.execute(
        f"""create temp table checked as
        select c.* exclude (source_file), f.source_file, c.line_number & {mask} as file_line
        from ({select}) c
        join temp.batch_files f on f.file_no = c.line_number >> {_FILE_SHIFT}"""
    )
    con.execute(f"drop table {LINES_TABLE}")
    if requests[0].erasure_key is not None:
        mark_erased(con, *requests[0].erasure_key)
    con.execute("drop table if exists temp.dups")
    con.execute("create temp table dups as " + checks.duplicates_sql())
    con.execute(
        "update checked set _is_duplicate = true "
        "where line_number in (select line_number from dups)"
    )


def _insert_accepted(
    con: duckdb.DuckDBPyConnection, checks: CheckSQL, request: LoadRequest
) -> None:
    """Accepted lines into their event tables (REQUEST: any of the batch, for the run's load
    id and stamp)."""
    meta = f"{sql_str(request.load_id)}, {request.ingested_at_sql}"
    for event_type in checks.contract.event_types:
        con.execute(
            checks.insert_accepted(event_type, "checked c", "c.source_file, c.file_line", meta)
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
        select {load_id}, c.source_file, c.file_line, c.raw_line, c.reason_code,
          c.reason_field, {checks.message_sql()},
          json_extract_string(c._json, '/event_type'), json_extract_string(c._json, '/event_id'),
          {ingested_at}
        from checked c where {REJECTED}
        order by c.line_number"""
    )
    con.execute(
        f"""insert into {RAW_SCHEMA}.duplicate_events
        (load_id, source_file, line_number, event_id, event_type, event_timestamp, ingested_at)
        select {load_id}, c.source_file, c.file_line, c.{col("v", "event_id")},
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


def _count(con: duckdb.DuckDBPyConnection, requests: list[LoadRequest]) -> list[FileResult]:
    """Each file's counts (they must add up) and their breakdowns: one grouped query each
    for the batch."""
    results = [
        FileResult(
            path=r.source_file,
            file_format=r.fmt,
            relative_path=r.relative_path,
            status_reason=_load_note(r.scan),
        )
        for r in requests
    ]
    by_file = {r.source_file: res for r, res in zip(requests, results, strict=True)}
    for source_file, *counts in con.execute(
        f"""select
          c.source_file,
          count(*),
          count(*) filter (where {ACCEPTED}),
          count(*) filter (where {DUPLICATE}),
          count(*) filter (where {REJECTED}),
          count(*) filter (where c._is_erased)
        from checked c group by 1"""
    ).fetchall():
        res = by_file[source_file]
        (res.lines, res.accepted, res.duplicate, res.rejected, res.erased) = (
            int(x) for x in counts
        )
    for res in results:
        if res.lines != res.accepted + res.duplicate + res.rejected + res.erased:
            # Would be a bug in the generated SQL; never commit a file that does not add up.
            raise RuntimeError(f"{res.path}: counts do not add up {res}")
    for source_file, reason, n in con.execute(
        f"select c.source_file, reason_code, count(*) from checked c where {REJECTED} "
        "group by 1, 2 order by 1, 3 desc, 2"
    ).fetchall():
        by_file[source_file].rejected_by_reason[reason] = n
    for source_file, event_type, n in con.execute(
        f"select c.source_file, c.{col('v', 'event_type')}, count(*) from checked c "
        f"where {ACCEPTED} group by 1, 2 order by 1, 3 desc, 2"
    ).fetchall():
        by_file[source_file].accepted_by_type[event_type] = n
    for source_file, name, n in con.execute(
        f"""select source_file, event_type || '.' || field_name, sum(events)::bigint
        from {RAW_SCHEMA}.unknown_fields
        where load_id = ? and source_file in (select source_file from temp.batch_files)
        group by 1, 2 order by 1, 3 desc, 2""",
        [requests[0].load_id],
    ).fetchall():
        by_file[source_file].unknown_fields[name] = n
    return results


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
        erased=result.erased,
        duration_ms=round(result.seconds * 1000, 1),
        start_offset=scan.start,
        bytes_read=scan.end - scan.start,
        pending_bytes=scan.pending,
        file_mtime_ns=scan.mtime_ns,
        file_inode=scan.inode,
    ).insert(con)
