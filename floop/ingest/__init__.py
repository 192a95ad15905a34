"""`floop ingest`: load new landing files into the raw schema, nothing lost.

Every line of every new file ends in exactly one place: its event table (accepted),
`raw.duplicate_events` (an `event_id` accepted before) or `raw.quarantine` (rejected, with one
reason code from the contract). The checks are SQL generated from the contract (`checks`) and
run by DuckDB over the whole file at once: there is no Python loop over events. Each file loads
in one transaction (`load`; small files share one, in order), so a killed run leaves no
half-loaded file and a re-run loads it exactly once. Every entry of the landing folder
(`listing`) gets a ledger row (`ledger`): loaded, skipped with a reason, failed with its
error, or tampered; a file that grew is read from its first unread byte (`scan`). `readers`
turns a staged file into lines; `result` holds what a run did.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from floop import hash_key
from floop.config import Layout
from floop.contract import load_contract
from floop.errors import LandingFileError, OperationalError
from floop.ingest import lake as lake_mode
from floop.ingest.checks import CheckSQL
from floop.ingest.erased import TOMBSTONES, has_tombstones
from floop.ingest.ledger import LedgerRow, LedgerState, next_stamp
from floop.ingest.listing import LandingEntry, list_landing
from floop.ingest.load import (
    Batch,
    ChangedWhileRead,
    LoadRequest,
    is_no_space,
    open_warehouse,
)
from floop.ingest.result import FileResult, IngestResult, Progress, format_summary
from floop.ingest.scan import Scan, scan_file
from floop.lake import Lake, create_views, lake_root, reads_lake
from floop.lake_write import write_load
from floop.quality import validate_load
from floop.quality_gate import validate_pending
from floop.warehouse import ensure_raw_schema

__all__ = ["FileResult", "IngestResult", "format_summary", "ingest", "main"]

# What reading a broken landing file raises (gzip.BadGzipFile is an OSError): the file fails.
_READ_ERRORS = (OSError, EOFError, zlib.error, LandingFileError)


def ingest(
    landing: Path,
    warehouse: Path,
    now: datetime,
    progress: bool | Progress = False,
    quality: bool = True,
    lake: Path | None = None,
) -> IngestResult:
    """Load every landing file, or its part, not loaded before. PROGRESS: a line per file and
    per quality suite as it happens, on stderr when True, or to a callable. Raises
    `floop.errors.OperationalError` for failures of the run itself (folder missing or
    unreadable, warehouse or lake locked, disk full); a file that cannot be read fails alone.
    With LAKE, the raw store is that Parquet event log instead of the warehouse's `raw`
    schema (`floop.ingest.lake`); the warehouse's raw tables become views over it."""
    landing = Path(landing).resolve()
    warehouse = Path(warehouse)
    if not landing.is_dir():
        raise OperationalError(f"landing folder {landing} does not exist")
    checks = CheckSQL(load_contract())
    result = IngestResult(
        load_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        landing=landing,
        warehouse=warehouse,
        now=now,
    )
    entries = list_landing(landing)
    report = _reporter(progress)
    try:
        with ExitStack() as stack:
            if lake is None:
                con = stack.enter_context(closing(open_warehouse(warehouse)))
                if reads_lake(con):
                    raise OperationalError(
                        f"warehouse {warehouse} reads its raw data from a lake: ingest with --lake"
                    )
                ensure_raw_schema(con)
            else:
                tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="floop-lake-"))
                con = stack.enter_context(lake_mode.scratch(Lake(lake_root(lake)), Path(tmp)))
            _load_entries(con, checks, result, entries, report)
            if quality:
                _validate(con, result, report, lake_only=lake is not None)
            if lake is not None:
                write_load(con, Lake(lake_root(lake)), result.load_id)
                with closing(open_warehouse(warehouse)) as wcon:
                    create_views(wcon, Lake(lake_root(lake)))
    except (OSError, duckdb.Error) as exc:
        if is_no_space(exc):
            raise OperationalError(f"no space left on device: {exc}") from exc
        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            raise OperationalError(f"warehouse {warehouse} is locked: {exc}") from exc
        raise
    return result


def _validate(
    con: duckdb.DuckDBPyConnection,
    result: IngestResult,
    report: Progress | None,
    lake_only: bool,
) -> None:
    """Great Expectations on this load, loads a crash left unvalidated, and loads still
    blocked. A lake run validates only its own load: the scratch holds no earlier rows."""
    if lake_only:
        if result.lines:
            result.quality = validate_load(
                con, result.load_id, result.warehouse, result.now, report
            )
        return
    for outcome in validate_pending(con, result.warehouse, result.now, report):
        if outcome.load_id == result.load_id:
            result.quality = outcome
        else:
            result.revalidated.append(outcome)


def _reporter(progress: bool | Progress) -> Progress | None:
    """Where progress lines go: stderr (True), a callable, or nowhere (False)."""
    if callable(progress):
        return progress
    if progress:
        return lambda line: print(line, file=sys.stderr, flush=True)
    return None


def _scans_ahead(
    entries: list[LandingEntry], scan: Callable[[LandingEntry], Scan]
) -> Iterator[Future[Scan]]:
    """The scans of ENTRIES in order, each started while the file before it loads (hashlib,
    file copies and DuckDB all release the GIL): reading costs no wall time after file 1, and
    at most two staged copies exist at once."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="floop-scan") as pool:
        ahead = [pool.submit(scan, e) for e in entries[:1]]
        for nxt in [*entries[1:], None]:
            current = ahead.pop()
            if nxt is not None:
                ahead.append(pool.submit(scan, nxt))
            yield current


def _load_entries(
    con: duckdb.DuckDBPyConnection,
    checks: CheckSQL,
    result: IngestResult,
    entries: list[LandingEntry],
    report: Progress | None,
) -> None:
    """Each entry of the landing folder: loaded (one transaction per file), already loaded,
    or recorded as skipped, failed or tampered."""
    with tempfile.TemporaryDirectory(prefix="floop-ingest-") as tmp:
        run = _Run(
            con,
            checks,
            result,
            LedgerState(con, result.landing.as_posix()),
            next_stamp(con, result.now),
            Path(tmp),
            _erasure_key(con, result.warehouse),
            Batch(con, checks),
            _Reporter(report, len(entries)),
        )
        _each_entry(run, entries)


def _erasure_key(con: duckdb.DuckDBPyConnection, warehouse: Path) -> tuple[str, str] | None:
    """(key, fingerprint) to match erasure tombstones with; None when there are none. The
    key that made them is needed: without it an erased user would come back."""
    if not has_tombstones(con):
        return None
    key = hash_key.resolve(Layout.for_warehouse(warehouse), create=False)
    others = con.execute(
        f"select count(*) from {TOMBSTONES} where key_fingerprint <> ?", [key.fingerprint]
    ).fetchone()
    if others and others[0]:
        raise OperationalError(
            "erasure tombstones were made with another hash key than the current one: "
            "restore that key (README: key rotation) so that erased users stay erased"
        )
    return key.value, key.fingerprint


def _each_entry(run: _Run, entries: list[LandingEntry]) -> None:
    # files whose stat matches their last load are not read (ledger.LedgerState.unchanged)
    unchanged = {e.relative for e in entries if e.readable and run.state.unchanged(e)}
    to_scan = [e for e in entries if e.readable and e.relative not in unchanged]
    # closing(): a scan still running ends before the run's temp folder is removed
    with closing(_scans_ahead(to_scan, run.scan)) as scans:
        for i, entry in enumerate(entries, start=1):
            if entry.relative in unchanged:
                run.result.skipped.append(entry.relative)
            elif entry.readable:
                run.load(entry, next(scans), i)
            else:
                run.not_read(entry, index=i)
        run.load_batch()


@dataclass
class _Reporter:
    """A progress line per file done, numbered by its place in the landing folder."""

    report: Progress | None
    total: int

    def __call__(self, fr: FileResult, index: int) -> None:
        if self.report is not None:
            timing = f" [{fr.seconds:.1f}s]" if fr.status == "loaded" else ""
            self.report(f"[{index:,}/{self.total:,} files] {fr.line()}{timing}")


@dataclass
class _Run:
    """What every file of one run shares: the connection, the checks, the ledger as it was
    when the run started, the run's stamp, its temp folder for staged copies and the batch
    of files staged but not loaded yet (`floop.ingest.load.Batch`). Ledger rows and results
    stay in landing order: a file not loaded first loads the batch before it."""

    con: duckdb.DuckDBPyConnection
    checks: CheckSQL
    result: IngestResult
    state: LedgerState
    stamp: datetime
    tmpdir: Path
    erasure_key: tuple[str, str] | None
    batch: Batch
    report: _Reporter

    def scan(self, entry: LandingEntry, in_place: bool = True) -> Scan:
        assert entry.fmt is not None
        prior = self.state.prior(entry.relative)
        scan = scan_file(entry.path, entry.fmt, prior, self.tmpdir, in_place)
        scan.mtime_ns, scan.inode = entry.mtime_ns, entry.inode
        return scan

    def load(self, entry: LandingEntry, future: Future[Scan], index: int) -> None:
        """One landing file: its new lines staged (loaded with its batch), or nothing new, or
        failed or tampered."""
        try:
            scan = future.result()
        except _READ_ERRORS as exc:
            self.not_read(entry, error=exc, index=index)
            return
        try:
            if scan.tampered:
                self.not_read(entry, scan=scan, index=index)
            elif self.state.prior(entry.relative) is None and self.state.loaded_elsewhere(
                scan.sha256
            ):
                self.load_batch()
                self._anchor_moved_file(entry, scan)
                self.result.skipped.append(entry.relative)
            elif not scan.has_new_lines:
                self.result.skipped.append(entry.relative)
                if scan.pending:
                    self.result.waiting.append(f"{entry.relative}: {scan.pending} bytes")
            else:
                self._stage_new_lines(entry, scan, index)
        finally:
            if scan.staged is not None:
                scan.staged.unlink(missing_ok=True)

    def load_batch(self) -> None:
        """Load the files staged so far (one transaction), and report them."""
        for fr, index in self.batch.load():
            self.result.files.append(fr)
            self.report(fr, index)

    def _stage_new_lines(self, entry: LandingEntry, scan: Scan, index: int) -> None:
        try:
            self._stage_scanned(entry, scan, index)
            return
        except ChangedWhileRead:
            pass
        # A writer appended to the file between its hash and its read in place: scan it
        # again, this time into a staged copy, which stays as hashed.
        again = self.scan(entry, in_place=False)
        try:
            if again.has_new_lines:
                self._stage_scanned(entry, again, index)
            elif again.tampered:
                self.not_read(entry, scan=again, index=index)
        finally:
            if again.staged is not None:
                again.staged.unlink(missing_ok=True)

    def _stage_scanned(self, entry: LandingEntry, scan: Scan, index: int) -> None:
        assert entry.fmt is not None
        request = LoadRequest(
            path=entry.path,
            relative_path=entry.relative,
            fmt=entry.fmt,
            scan=scan,
            load_id=self.result.load_id,
            now=self.result.now,
            stamp=self.stamp,
            tmpdir=self.tmpdir,
            erasure_key=self.erasure_key,
        )
        try:
            self.batch.stage(request, tag=index)
        except LandingFileError as exc:
            self.not_read(entry, scan=scan, error=exc, index=index)
            return
        if self.batch.full:
            self.load_batch()

    def _anchor_moved_file(self, entry: LandingEntry, scan: Scan) -> None:
        """A file loaded by a run that recorded no relative paths, found again in a moved
        landing folder: a row of 0 lines names it by its relative path, so that what is
        appended to it later loads from its first unread byte."""
        LedgerRow(
            load_id=self.result.load_id,
            file_path=entry.path.as_posix(),
            relative_path=entry.relative,
            status="loaded",
            status_reason="loaded before under another path (a row without relative_path)",
            ingested_at=self.stamp,
            file_format=entry.fmt,
            file_size_bytes=scan.size,
            sha256=scan.sha256,
            bytes_read=scan.size,
            file_mtime_ns=scan.mtime_ns,
            file_inode=scan.inode,
        ).insert(self.con)

    def not_read(
        self,
        entry: LandingEntry,
        scan: Scan | None = None,
        error: BaseException | None = None,
        index: int = 0,
    ) -> FileResult:
        """An entry that is not loaded: skipped, failed or tampered, with its reason. A ledger
        row unless the file's last row says the same already; always in the run's result."""
        if error is not None and is_no_space(error):
            raise OperationalError(f"no space left on device: {error}") from error
        self.load_batch()  # the files before it first: ledger and results in landing order
        if isinstance(error, LandingFileError):
            status, reason = "failed", str(error)
        elif error is not None:
            status, reason = "failed", f"{type(error).__name__}: {str(error).splitlines()[0]}"
        elif scan is not None and scan.tampered:
            status, reason = "tampered", scan.tampered
        elif entry.error is not None:
            status, reason = "failed", entry.error
        else:
            status, reason = "skipped", entry.skip_reason
        row = LedgerRow(
            load_id=self.result.load_id,
            file_path=entry.path.as_posix(),
            relative_path=entry.relative,
            status=status,
            status_reason=reason,
            ingested_at=self.stamp,
            file_format=entry.fmt,
            file_size_bytes=scan.size if scan else entry.size,
            sha256=scan.sha256 if scan else None,
        )
        if not self.state.repeats(row):
            row.insert(self.con)
        fr = FileResult(
            path=row.file_path,
            file_format=entry.fmt,
            relative_path=entry.relative,
            status=status,
            status_reason=reason,
        )
        self.result.not_loaded.append(fr)
        self.report(fr, index)
        return fr


def main(
    landing: Path, warehouse: Path, now: datetime, quiet: bool = False, lake: Path | None = None
) -> int:
    """`floop ingest`. Exit 0 when every landing file is loaded (also with rejected lines:
    they are data, kept in quarantine) or skipped by design; 3 when some file failed or was
    tampered with (the others are loaded); operational failures raise `OperationalError`
    (exit 2)."""
    result = ingest(landing, warehouse, now, progress=not quiet, lake=lake)
    if not quiet:
        # the per-file lines were printed as progress already
        print(format_summary(result, per_file=False))
    if result.failed:
        names = ", ".join(f"{f.relative_path} ({f.status})" for f in result.failed)
        print(f"floop ingest: {len(result.failed)} file(s) not loaded: {names}", file=sys.stderr)
    return result.exit_code
