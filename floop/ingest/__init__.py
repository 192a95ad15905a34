"""`floop ingest`: load new landing files into the raw schema, nothing lost.

Every line of every new file ends in exactly one place: its event table (accepted),
`raw.duplicate_events` (an `event_id` accepted before) or `raw.quarantine` (rejected, with one
reason code from the contract). The checks are SQL generated from the contract (`checks`) and
run by DuckDB over the whole file at once: there is no Python loop over events. Each file loads
in one transaction (`load`), so a killed run leaves no half-loaded file and a re-run loads it
exactly once. Every entry of the landing folder (`listing`) gets a ledger row (`ledger`):
loaded, skipped with a reason, failed with its error, or tampered; a file that grew is read
from its first unread byte (`scan`). `readers` turns a staged file into lines; `result` holds
what a run did.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from floop.contract import load_contract
from floop.errors import LandingFileError, OperationalError
from floop.ingest.checks import CheckSQL
from floop.ingest.ledger import LedgerRow, LedgerState, next_stamp
from floop.ingest.listing import LandingEntry, list_landing
from floop.ingest.load import LoadRequest, is_no_space, load_file, open_warehouse
from floop.ingest.result import FileResult, IngestResult, Progress, format_summary
from floop.ingest.scan import Scan, scan_file
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
) -> IngestResult:
    """Load every landing file, or its part, not loaded before. PROGRESS: a line per file and
    per quality suite as it happens, on stderr when True, or to a callable. Raises
    `floop.errors.OperationalError` for failures of the run itself (folder missing or
    unreadable, warehouse locked, disk full); a file that cannot be read fails alone."""
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
    con = open_warehouse(warehouse)
    try:
        ensure_raw_schema(con)
        _load_entries(con, checks, result, entries, report)
        if quality:
            # this load, loads a crash left unvalidated, and loads still blocked
            for outcome in validate_pending(con, result.warehouse, result.now, report):
                if outcome.load_id == result.load_id:
                    result.quality = outcome
                else:
                    result.revalidated.append(outcome)
    except (OSError, duckdb.Error) as exc:
        if is_no_space(exc):
            raise OperationalError(f"no space left on device: {exc}") from exc
        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            raise OperationalError(f"warehouse {warehouse} is locked: {exc}") from exc
        raise
    finally:
        con.close()
    return result


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
        )
        _each_entry(run, entries, report)


def _each_entry(run: _Run, entries: list[LandingEntry], report: Progress | None) -> None:
    # closing(): a scan still running ends before the run's temp folder is removed
    with closing(_scans_ahead([e for e in entries if e.readable], run.scan)) as scans:
        for i, entry in enumerate(entries, start=1):
            fr = run.load(entry, next(scans)) if entry.readable else run.not_read(entry)
            if report is not None and fr is not None:
                timing = f" [{fr.seconds:.1f}s]" if fr.status == "loaded" else ""
                report(f"[{i:,}/{len(entries):,} files] {fr.line()}{timing}")


@dataclass
class _Run:
    """What every file of one run shares: the connection, the checks, the ledger as it was
    when the run started, the run's stamp and its temp folder for staged copies."""

    con: duckdb.DuckDBPyConnection
    checks: CheckSQL
    result: IngestResult
    state: LedgerState
    stamp: datetime
    tmpdir: Path

    def scan(self, entry: LandingEntry) -> Scan:
        assert entry.fmt is not None
        return scan_file(entry.path, entry.fmt, self.state.prior(entry.relative), self.tmpdir)

    def load(self, entry: LandingEntry, future: Future[Scan]) -> FileResult | None:
        """One landing file: its new lines loaded, or nothing new, or failed or tampered."""
        try:
            scan = future.result()
        except _READ_ERRORS as exc:
            return self.not_read(entry, error=exc)
        try:
            if scan.tampered:
                return self.not_read(entry, scan=scan)
            if self.state.prior(entry.relative) is None and self.state.loaded_elsewhere(
                scan.sha256
            ):
                self._anchor_moved_file(entry, scan)
                self.result.skipped.append(entry.relative)
                return None
            if not scan.has_new_lines:
                self.result.skipped.append(entry.relative)
                if scan.pending:
                    self.result.waiting.append(f"{entry.relative}: {scan.pending} bytes")
                return None
            return self._load_new_lines(entry, scan)
        finally:
            if scan.staged is not None:
                scan.staged.unlink(missing_ok=True)

    def _load_new_lines(self, entry: LandingEntry, scan: Scan) -> FileResult:
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
        )
        try:
            fr = load_file(self.con, self.checks, request)
        except LandingFileError as exc:
            return self.not_read(entry, scan=scan, error=exc)
        self.result.files.append(fr)
        return fr

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
        ).insert(self.con)

    def not_read(
        self,
        entry: LandingEntry,
        scan: Scan | None = None,
        error: BaseException | None = None,
    ) -> FileResult:
        """An entry that is not loaded: skipped, failed or tampered, with its reason. A ledger
        row unless the file's last row says the same already; always in the run's result."""
        if error is not None and is_no_space(error):
            raise OperationalError(f"no space left on device: {error}") from error
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
        return fr


def main(landing: Path, warehouse: Path, now: datetime, quiet: bool = False) -> int:
    """`floop ingest`. Exit 0 when every landing file is loaded (also with rejected lines:
    they are data, kept in quarantine) or skipped by design; 3 when some file failed or was
    tampered with (the others are loaded); operational failures raise `OperationalError`
    (exit 2)."""
    result = ingest(landing, warehouse, now, progress=not quiet)
    if not quiet:
        # the per-file lines were printed as progress already
        print(format_summary(result, per_file=False))
    if result.failed:
        names = ", ".join(f"{f.relative_path} ({f.status})" for f in result.failed)
        print(f"floop ingest: {len(result.failed)} file(s) not loaded: {names}", file=sys.stderr)
    return result.exit_code
