"""Landing files as lines: which files there are, their checksums, and each one as SQL rows
`(line_number, raw_line)` (NDJSON text, gzipped or not, and Parquet rows as JSON text)."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import uuid
from pathlib import Path

import duckdb

from floop.landing import file_format
from floop.sql import sql_str


def list_landing(landing: Path) -> list[Path]:
    """Every landing file under `landing`, recursively, sorted by path (determinism)."""
    files = [p for p in landing.rglob("*") if p.is_file() and file_format(p)]
    return sorted(files, key=lambda p: p.as_posix())


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def text_lines_sql(path: Path) -> str:
    """(line_number, raw_line) of a text file: exact 1-based line numbers; a trailing newline
    does not make an extra line. A CR before the LF stays (JSON whitespace: CRLF files parse)."""
    return f"""
  select line_number, raw_line
  from (
    select
      unnest(generate_series(1, len(parts))) as line_number,
      unnest(parts) as raw_line,
      len(parts) as n_parts
    from (select string_split(content, chr(10)) as parts from read_text({sql_str(str(path))}))
  )
  where not (line_number = n_parts and raw_line = '')"""


def parquet_lines_sql(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """(line_number, raw_line) of a Parquet file: each row as JSON text, line = row + 1.
    Timestamp columns become RFC 3339 text in UTC (naive ones are taken as UTC)."""
    src = f"read_parquet({sql_str(str(path))}, file_row_number = true)"
    cols = con.execute(f"describe select * from read_parquet({sql_str(str(path))})").fetchall()
    parts = []
    for name, col_type, *_ in cols:
        ident = '"' + name.replace('"', '""') + '"'
        expr = ident
        if col_type.startswith("TIMESTAMP"):
            expr = f"strftime({ident}, '%Y-%m-%dT%H:%M:%S.%fZ')"
        parts.append(f"{ident} := {expr}")  # struct_pack takes identifiers, not strings
    row = f"to_json(struct_pack({', '.join(parts)}))::varchar" if parts else "'{}'"
    return f"select file_row_number + 1 as line_number, {row} as raw_line from {src}"


def _gunzip(path: Path, tmpdir: Path) -> Path:
    """read_text does not decompress: stream it to a temp file (no full copy in memory)."""
    text_path = tmpdir / (uuid.uuid4().hex + ".jsonl")
    with gzip.open(path, "rb") as src, open(text_path, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return text_path


def _lines_from_broken_utf8(con: duckdb.DuckDBPyConnection, path: Path, tmpdir: Path) -> None:
    """temp.lines of a text file that is not valid UTF-8 (rare: read_text refuses it). Bytes
    that do not decode become U+FFFD, and each such line is marked invalid (a leading U+FFFD
    makes it invalid JSON), so it is quarantined as invalid_json instead of accepted with
    altered text. A line loop in Python, but only for such broken files."""
    fixed = tmpdir / (uuid.uuid4().hex + ".jsonl")
    with open(path, "rb") as src, open(fixed, "w", encoding="utf-8", newline="") as dst:
        for raw in src:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = "\ufffd" + raw.decode("utf-8", errors="replace")
            dst.write(text)
    con.execute("create temp table lines as " + text_lines_sql(fixed))


def stage_lines(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, tmpdir: Path, repair_utf8: bool
) -> None:
    """The file's lines into table temp.lines, so that the checks scan them in parallel
    (read_text is one row). `repair_utf8`: the text is not valid UTF-8 (read_text refused it
    in a first attempt)."""
    if fmt == "parquet":
        source_sql = parquet_lines_sql(con, path)
    else:
        text_path = _gunzip(path, tmpdir) if fmt.endswith(".gz") else path
        source_sql = text_lines_sql(text_path)
    con.execute("drop table if exists temp.lines")
    if repair_utf8 and fmt != "parquet":
        _lines_from_broken_utf8(con, text_path, tmpdir)
    else:
        con.execute("create temp table lines as " + source_sql)
