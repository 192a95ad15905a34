"""`floop ingest`: load new landing files into the raw schema, nothing lost.

Every line of every new file ends in exactly one place: its event table (accepted),
`raw.duplicate_events` (an `event_id` accepted before) or `raw.quarantine` (rejected, with one
reason code from the contract). The checks are SQL generated from the contract (`checks`) and
run by DuckDB over the whole file at once: there is no Python loop over events. Each file loads
in one transaction (`load`), so a killed run leaves no half-loaded file and a re-run loads it
exactly once. `readers` turns a landing file into lines; `result` holds what a run did.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import duckdb

from floop import quality as gx_quality
from floop.contract import RAW_SCHEMA, load_contract
from floop.errors import OperationalError
from floop.ingest.checks import CheckSQL
from floop.ingest.load import LoadRequest, is_no_space, load_file, open_warehouse
from floop.ingest.readers import list_landing, sha256_of
from floop.ingest.result import FileResult, IngestResult, format_summary
from floop.ingest.stamp import next_stamp
from floop.landing import file_format
from floop.warehouse import ensure_raw_schema

__all__ = ["FileResult", "IngestResult", "format_summary", "ingest", "main"]


def ingest(
    landing: Path,
    warehouse: Path,
    now: datetime,
    progress: bool = False,
    quality: bool = True,
) -> IngestResult:
    """Load every landing file not loaded before. Raises `floop.errors.OperationalError` for
    failures of the run itself (folder missing, warehouse locked, disk full)."""
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
    files = list_landing(landing)
    con = open_warehouse(warehouse)
    # Checksums of the next files are computed in a thread while DuckDB loads the current one
    # (hashlib and DuckDB both release the GIL): the hashing costs no wall time after file 1.
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floop-sha256")
    try:
        checksums = [hasher.submit(sha256_of, path) for path in files]
        ensure_raw_schema(con)
        _load_new_files(con, checks, result, files, checksums, progress)
        if quality and result.accepted > 0:
            result.quality = gx_quality.validate_load(
                con, result.load_id, result.warehouse, result.now
            )
    except (OSError, duckdb.Error) as exc:
        if is_no_space(exc):
            raise OperationalError(f"no space left on device: {exc}") from exc
        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            raise OperationalError(f"warehouse {warehouse} is locked: {exc}") from exc
        raise
    finally:
        hasher.shutdown(wait=True, cancel_futures=True)
        con.close()
    return result


def _loaded_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The checksums each file path was loaded with before (a changed file loads again)."""
    loaded: dict[str, set[str]] = {}
    for path_s, sha in con.execute(
        f"select file_path, sha256 from {RAW_SCHEMA}.ingest_ledger"
    ).fetchall():
        loaded.setdefault(path_s, set()).add(sha)
    return loaded


def _load_new_files(
    con: duckdb.DuckDBPyConnection,
    checks: CheckSQL,
    result: IngestResult,
    files: list[Path],
    checksums: list[Future[str]],
    progress: bool,
) -> None:
    """Load each file not loaded before with the same checksum, one transaction per file,
    recording it in `result` (loaded or skipped)."""
    loaded = _loaded_checksums(con)
    stamp = next_stamp(con, result.now)  # after every earlier load and replay
    with tempfile.TemporaryDirectory(prefix="floop-ingest-") as tmp:
        for i, (path, checksum) in enumerate(zip(files, checksums, strict=True), start=1):
            fmt = file_format(path)
            assert fmt is not None
            key = path.as_posix()
            sha = checksum.result()
            if sha in loaded.get(key, set()):
                result.skipped.append(key)
                continue
            changed = key in loaded
            if changed and progress:
                print(
                    f"warning: {key} was loaded before with other content; "
                    "loading it as a new file",
                    file=sys.stderr,
                )
            request = LoadRequest(
                path=path,
                fmt=fmt,
                size=path.stat().st_size,
                sha=sha,
                load_id=result.load_id,
                now=result.now,
                stamp=stamp,
                tmpdir=Path(tmp),
            )
            fr = load_file(con, checks, request)
            fr.changed = changed
            loaded.setdefault(key, set()).add(sha)
            result.files.append(fr)
            if progress:
                print(f"[{i}/{len(files)} files] {fr.line()} [{fr.seconds:.1f}s]", file=sys.stderr)


def main(landing: Path, warehouse: Path, now: datetime, quiet: bool = False) -> int:
    """`floop ingest`. Exit 0 also when lines were rejected: they are data, kept in
    quarantine; operational failures raise `OperationalError` (exit 2)."""
    result = ingest(landing, warehouse, now, progress=not quiet)
    if not quiet:
        print(format_summary(result))
    return 0
