"""Landing files as SQL rows `(line_number, raw_line)`: NDJSON text (a new file read whole in
place, or a staged copy decompressed and cut to the new complete lines by `scan`) and Parquet
rows as JSON text. A name DuckDB reads is generated, or free of glob characters (`scan`).
`stage_lines` appends them to the batch table temp.lines (`LINES_TABLE`) under a file number."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import duckdb

from floop.sql import sql_str

# The error a read in place raises when the file is no longer the size that was hashed.
CHANGED_WHILE_READ = "floop: the landing file changed after it was hashed"


def text_lines_sql(path: Path, first_line: int = 1, expect_size: int | None = None) -> str:
    """(line_number, raw_line) of a text file: exact line numbers from FIRST_LINE (the lines
    of an appended file go on from those read before); a trailing newline does not make an
    extra line. A CR before the LF stays (JSON whitespace: CRLF files parse). EXPECT_SIZE: the
    read fails with CHANGED_WHILE_READ unless the file has that many bytes (a file read in
    place: the bytes read are the bytes hashed)."""
    content = "content"
    if expect_size is not None:
        content = (
            f"case when size = {int(expect_size)} then content "
            f"else error({sql_str(CHANGED_WHILE_READ)}) end"
        )
    return f"""
  select line_number + {int(first_line) - 1} as line_number, raw_line
  from (
    select
      unnest(generate_series(1, len(parts))) as line_number,
      unnest(parts) as raw_line,
      len(parts) as n_parts
    from (select string_split({content}, chr(10)) as parts from read_text({sql_str(str(path))}))
  )
  where not (line_number = n_parts and raw_line = '')"""


def parquet_lines_sql(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """(line_number, raw_line) of a Parquet file: each row as a JSON object, line = row + 1.
    A null cell is an absent field (a Parquet file has every column in every row, so a null
    is how a row leaves a field out): it is not written, so it is neither an unknown field
    nor a present one. Timestamp columns become RFC 3339 text in UTC (naive ones are taken
    as UTC)."""
    src = f"read_parquet({sql_str(str(path))}, file_row_number = true)"
    cols = con.execute(f"describe select * from read_parquet({sql_str(str(path))})").fetchall()
    members = []
    for name, col_type, *_ in cols:
        ident = '"' + name.replace('"', '""') + '"'
        expr = ident
        if col_type.startswith("TIMESTAMP"):
            expr = f"strftime({ident}, '%Y-%m-%dT%H:%M:%S.%fZ')"
        key = sql_str(json.dumps(name) + ":")
        members.append(f"case when {ident} is not null then {key} || to_json({expr})::varchar end")
    # concat_ws skips nulls: the object holds the row's non-null cells, in column order
    row = f"'{{' || concat_ws(',', {', '.join(members)}) || '}}'" if members else "'{}'"
    return f"select file_row_number + 1 as line_number, {row} as raw_line from {src}"


# The lines of a batch of files (floop.ingest.load), each file's under its own number.
LINES_TABLE = "temp.lines"
LINES_COLUMNS = "file_no integer, line_number bigint, raw_line varchar"


def _insert_lines(con: duckdb.DuckDBPyConnection, file_no: int, lines_sql: str) -> int:
    """Append the rows of LINES_SQL to temp.lines as file FILE_NO; how many there were."""
    row = con.execute(
        f"insert into {LINES_TABLE} (file_no, line_number, raw_line) "
        f"select {int(file_no)}, line_number, raw_line from ({lines_sql})"
    ).fetchone()
    return int(row[0]) if row else 0


def _lines_from_broken_utf8(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    tmpdir: Path,
    first_line: int,
    size: int,
    file_no: int,
) -> int:
    """The lines of a text file that is not valid UTF-8 (rare: read_text refuses it). Bytes
    that do not decode become U+FFFD, and each such line is marked invalid (a leading U+FFFD
    makes it invalid JSON), so it is quarantined as invalid_json instead of accepted with
    altered text. A line loop in Python, but only for such broken files. SIZE: the bytes to
    read (the file may have grown since it was hashed)."""
    fixed = tmpdir / (uuid.uuid4().hex + ".jsonl")
    with open(path, "rb") as src, open(fixed, "w", encoding="utf-8", newline="") as dst:
        for raw in io.BytesIO(src.read(size)):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = "\ufffd" + raw.decode("utf-8", errors="replace")
            dst.write(text)
    try:
        return _insert_lines(con, file_no, text_lines_sql(fixed, first_line))
    finally:
        fixed.unlink(missing_ok=True)


def stage_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    first_line: int,
    tmpdir: Path,
    repair_utf8: bool,
    size: int | None = None,
    file_no: int = 0,
) -> int:
    """Append the file's lines to temp.lines as file FILE_NO (one statement: a file that
    cannot be read adds nothing), so that the checks scan a batch of files in parallel
    (read_text is one row per file). PATH is a copy staged by `scan` (NDJSON text, already
    decompressed, or Parquet), or an NDJSON landing file read in place, whose hashed SIZE is
    given. `repair_utf8`: the text is not valid UTF-8 (read_text refused it in a first
    attempt). Returns the number of lines."""
    if fmt == "parquet":
        return _insert_lines(con, file_no, parquet_lines_sql(con, path))
    if repair_utf8:
        return _lines_from_broken_utf8(
            con, path, tmpdir, first_line, -1 if size is None else size, file_no
        )
    return _insert_lines(con, file_no, text_lines_sql(path, first_line, size))
