"""Writing a chunk's landing files: JSON lines (plain or gzip) in a precomputed order, and
Parquet files per event type. Same seed, same bytes: gzip headers carry mtime 0, Parquet files
carry no timestamps, and every tie in the line order is broken."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from floop.contract import load_contract
from floop.simulate.anomalies import BAD_EDITS, bad_line_sql
from floop.simulate.plan import Plan
from floop.simulate.views import line_sql


class Writer:
    """Streams lines into landing files (gzip with mtime 0: same bytes for the same seed)."""

    def __init__(self, path: Path, fmt: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.raw: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.fh: BinaryIO = self.raw
        if fmt.endswith(".gz"):
            self.fh = gzip.GzipFile(
                filename="", mode="wb", fileobj=self.raw, mtime=0, compresslevel=1
            )  # type: ignore[assignment]
        self.lines = 0

    def close(self) -> None:
        if self.fh is not self.raw:
            self.fh.close()
        self.raw.close()


def sort_keys(tables: dict[str, dict[str, np.ndarray]], types: list[str]) -> None:
    """The position of every JSON line of the chunk (events, duplicate copies, bad lines) in
    file order, computed in numpy so that DuckDB builds lines without sorting them. Ties are
    broken by event type, row and kind: the same bytes every run."""
    cols: list[list[np.ndarray]] = [[], [], [], [], []]  # file, ord, type, kind, row
    spans = []
    for ti, et in enumerate(types):
        t = tables[et]
        js = t["_json"]
        for kind, (mask, fcol, ocol) in enumerate(
            (
                (js, "_file", "_ord"),
                (js & t["_dup"], "_dupfile", "_dupord"),
                (js & (t["_bad"] >= 0), "_file", "_badord"),
            )
        ):
            rows = np.flatnonzero(mask)
            for c, v in zip(
                cols,
                (
                    t[fcol][rows],
                    t[ocol][rows],
                    np.full(len(rows), ti),
                    np.full(len(rows), kind),
                    rows,
                ),
                strict=True,
            ):
                c.append(v)
            spans.append((et, kind, rows))
    f, o, ti_, k, r = (np.concatenate(c) if c else np.zeros(0) for c in cols)
    order = np.lexsort((r, k, ti_, o, f))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    pos = 0
    for et, kind, rows in spans:
        t = tables[et]
        key = ("_k", "_kdup", "_kbad")[kind]
        if key not in t:
            t[key] = np.full(len(t["_ts"]), -1, np.int64)
        t[key][rows] = rank[pos : pos + len(rows)]
        pos += len(rows)


def write_json(
    con: duckdb.DuckDBPyConnection, plan: Plan, types: list[str], counts: dict[int, int]
) -> None:
    """Every JSON line of the chunk (events, duplicate copies, bad lines) into its file, in
    the order `sort_keys` gave; COUNTS gets the lines per file id."""
    reasons = load_contract().reason_codes
    ctes, unions = [], []
    for et in types:
        # each view expands once: a small plan also for small days
        ctes.append(
            f"l_{et} as materialized (select _file, _k, _dup, _dupfile, _kdup, _bad, "
            f"_kbad, {line_sql(et)} as line from e_{et} where _json)"
        )
        unions.append(f"select _k, _file, line from l_{et}")
        unions.append(f"select _kdup, _dupfile, line from l_{et} where _dup")
        if et in BAD_EDITS:
            bad = " ".join(f"when {ki} then {bad_line_sql(et, r)}" for ki, r in enumerate(reasons))
            unions.append(f"select _kbad, _file, case _bad {bad} end from l_{et} where _bad >= 0")
    sql = (
        f"with {', '.join(ctes)} "
        "select _k as k, _file::bigint as f, line || chr(10) as line from ("
        + " union all ".join(unions)
        + ")"
    )
    tbl = con.sql(sql).to_arrow_table()
    if tbl.num_rows == 0:
        return
    # k is a permutation of 0..n-1: put every line at its place (no sort of strings)
    perm = np.empty(tbl.num_rows, np.int64)
    perm[tbl.column("k").to_numpy()] = np.arange(tbl.num_rows)
    tbl = tbl.select(["f", "line"]).take(pa.array(perm))
    reader = tbl.to_batches(max_chunksize=200_000)
    writer: Writer | None = None
    current = -1
    for batch in reader:
        files = batch.column(0).to_numpy()
        lines = batch.column(1)
        if not len(files):
            continue
        bounds = np.flatnonzero(np.diff(files)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(files)]])
        offsets, data = _string_buffers(lines)
        for a, b in zip(starts, ends, strict=True):
            f = int(files[a])
            if f != current:
                if writer is not None:
                    counts[current] = writer.lines
                    writer.close()
                spec = plan.files[f]
                writer = Writer(plan.out / spec.rel(plan.start), spec.fmt)
                current = f
            assert writer is not None
            writer.fh.write(data[offsets[a] : offsets[b]])
            writer.lines += int(b - a)
    if writer is not None:
        counts[current] = writer.lines
        writer.close()


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, memoryview]:
    """Offsets and data of a (large_)string array: slices of data are the lines' bytes."""
    if pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.large_string())
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    return offsets.astype(np.int64), memoryview(bufs[2])


def write_parquet(
    con: duckdb.DuckDBPyConnection, plan: Plan, et: str, file_ids: list[int], counts: dict[str, int]
) -> None:
    """The events of type ET in the Parquet files FILE_IDS; COUNTS gets the rows per path."""
    contract = load_contract()
    cols = ", ".join(f'"{n}"' for n in contract.field_names(et))
    ids = ", ".join(str(f) for f in file_ids)
    if not ids:
        return
    tbl = con.sql(
        f"select _file, {cols} from e_{et} where _file in ({ids}) order by _file, _ord, event_id"
    ).to_arrow_table()
    files = tbl.column("_file").to_numpy()
    tbl = tbl.drop_columns(["_file"])
    for f in file_ids:
        rows = np.flatnonzero(files == f)
        if not len(rows):
            continue
        part = tbl.slice(int(rows[0]), len(rows))
        rel = plan.files[f].rel(plan.start, et)
        path = plan.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, path, compression="zstd", row_group_size=500_000)
        counts[rel] = part.num_rows
