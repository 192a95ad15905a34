"""`floop forget --purge-landing`: the landing files rewritten without the erased user's lines.

The landing folder is otherwise immutable; this is the one exception, asked for explicitly.
Each file is rewritten by DuckDB (the lines or Parquet rows it keeps, in order, same format)
into a temporary file beside it and swapped in with `os.replace`. The file's ledger then gets
an anchor row (status loaded, 0 lines) with the new content's checksum, so the ingest sees the
new file as the one already loaded (not as tampered) and reads only what is appended later.
Line numbers after a removed line shift by one in the rewritten file; the raw rows keep the
numbers they were loaded with.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from floop.contract import RAW_SCHEMA
from floop.ingest.ledger import LedgerRow, next_stamp
from floop.ingest.readers import text_lines_sql
from floop.ingest.scan import scan_file
from floop.landing import file_format
from floop.sql import sql_str


@dataclass
class Purged:
    files: int = 0
    lines: int = 0
    swaps: list[tuple[Path, Path]] = field(default_factory=list)  # (rewritten copy, file)


def _landing_path(con: duckdb.DuckDBPyConnection, landing: Path, source_file: str) -> Path:
    """Where the file read as SOURCE_FILE is now: its ledger relative_path under LANDING."""
    row = con.execute(
        f"select max(relative_path) from {RAW_SCHEMA}.ingest_ledger where file_path = ?",
        [source_file],
    ).fetchone()
    rel = row[0] if row else None
    return landing / rel if rel else Path(source_file)


def _ints(values: list[int]) -> str:
    return "(" + ", ".join(str(int(v)) for v in values) + ")"


def _rewrite(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, drop: list[int], tmpdir: Path
) -> Path:
    """A copy of PATH without lines (or rows) DROP (1-based), beside it."""
    tmp = path.with_name(f".{path.name}.purge-{uuid.uuid4().hex[:8]}")
    src = sql_str(str(path))
    if fmt == "parquet":
        con.execute(
            f"""copy (
              select * exclude (file_row_number)
              from read_parquet({src}, file_row_number = true)
              where file_row_number + 1 not in {_ints(drop)} order by file_row_number
            ) to {sql_str(str(tmp))} (format parquet)"""
        )
        return tmp
    # one column of raw text: no quoting, no escaping, lines as they were
    compression, text = "", path
    if fmt.endswith(".gz"):
        compression, text = ", compression gzip", tmpdir / f"{uuid.uuid4().hex}.jsonl"
        with gzip.open(path, "rb") as packed, open(text, "wb") as plain:
            shutil.copyfileobj(packed, plain, 1 << 20)
    lines = text_lines_sql(text)
    con.execute(
        f"""copy (
          select raw_line from ({lines}) where line_number not in {_ints(drop)}
          order by line_number
        ) to {sql_str(str(tmp))}
        (format csv, header false, quote '', escape '', delimiter '\x1f'{compression})"""
    )
    return tmp


def _relative(path: Path, landing: Path) -> str:
    try:
        return path.relative_to(landing).as_posix()
    except ValueError:  # a file of a ledger row older than relative paths, elsewhere
        return path.as_posix()


def prepare(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    lines_by_file: dict[str, list[int]],
    erasure_id: str,
    now: datetime,
) -> Purged:
    """Each landing file of LINES_BY_FILE rewritten without those lines into a temporary file
    beside it, with its ledger anchor row (in the caller's transaction); `swap` puts them in
    place once that transaction is committed."""
    out = Purged()
    stamp = next_stamp(con, now)
    with tempfile.TemporaryDirectory(prefix="floop-purge-") as tmpdir:
        for source_file, drop in lines_by_file.items():
            path = _landing_path(con, landing, source_file)
            fmt = file_format(path)
            if fmt is None or not path.is_file():
                continue  # gone from the landing folder already: nothing to purge
            tmp = _rewrite(con, path, fmt, drop, Path(tmpdir))
            out.swaps.append((tmp, path))
            scan = scan_file(tmp, fmt, None, Path(tmpdir))
            if scan.staged is not None:
                scan.staged.unlink(missing_ok=True)
            LedgerRow(
                load_id=f"{erasure_id}-purge",
                file_path=path.as_posix(),
                relative_path=_relative(path, landing),
                status="loaded",
                status_reason=f"rewritten without erased lines by floop forget {erasure_id}",
                ingested_at=stamp,
                file_format=fmt,
                file_size_bytes=scan.size,
                sha256=scan.sha256_to_end,
                bytes_read=scan.end,
            ).insert(con)
            out.files += 1
            out.lines += len(drop)
    return out


def swap(purged: Purged) -> None:
    for tmp, path in purged.swaps:
        os.replace(tmp, path)


def discard(purged: Purged) -> None:
    for tmp, _ in purged.swaps:
        tmp.unlink(missing_ok=True)
