"""Staged landing files as SQL rows `(line_number, raw_line)`: NDJSON text (decompressed and
cut to the new complete lines by `scan`) and Parquet rows as JSON text. DuckDB reads only the
staged copies, whose names are generated: a landing file name is never a glob pattern."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import duckdb

from floop.sql import sql_str


def text_lines_sql(path: Path, first_line: int = 1) -> str:
    """(line_number, raw_line) of a text file: exact line numbers from FIRST_LINE (the lines
    of an appended file go on from those read before); a trailing newline does not make an
    extra line. A CR before the LF stays (JSON whitespace: CRLF files parse)."""
    return f"""
  select line_number + {int(first_line) - 1} as line_number, raw_line
  from (
    select
      unnest(generate_series(1, len(parts))) as line_number,
      unnest(parts) as raw_line,
      len(parts) as n_parts
    from (select string_split(content, chr(10)) as parts from read_text({sql_str(str(path))}))
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


def _lines_from_broken_utf8(
    con: duckdb.DuckDBPyConnection, path: Path, tmpdir: Path, first_line: int
) -> None:
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
    con.execute("create temp table lines as " + text_lines_sql(fixed, first_line))


def stage_lines(
    con: duckdb.DuckDBPyConnection,
    staged: Path,
    fmt: str,
    first_line: int,
    tmpdir: Path,
    repair_utf8: bool,
) -> None:
    """The staged file's lines into table temp.lines, so that the checks scan them in
    parallel (read_text is one row). STAGED is a copy made by `scan` (NDJSON text, already
    decompressed, or Parquet). `repair_utf8`: the text is not valid UTF-8 (read_text refused
    it in a first attempt)."""
    con.execute("drop table if exists temp.lines")
    if fmt == "parquet":
        con.execute("create temp table lines as " + parquet_lines_sql(con, staged))
    elif repair_utf8:
        _lines_from_broken_utf8(con, staged, tmpdir, first_line)
    else:
        con.execute("create temp table lines as " + text_lines_sql(staged, first_line))
