"""`floop simulate`: the run, chunk by chunk of days (generate, place, plant anomalies, write),
then the truth file."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from floop.contract import load_contract
from floop.errors import OperationalError
from floop.simulate.anomalies import check_bad_edits, plant
from floop.simulate.generate import gen_day, versions
from floop.simulate.generate.versions import FIELDS as VERSION_FIELDS
from floop.simulate.plan import PARQUET, Plan, check_formats, place
from floop.simulate.truth import write_truth
from floop.simulate.views import create_view
from floop.simulate.world import DAY_MS, check_world
from floop.simulate.writers import sort_keys, write_json, write_parquet


@dataclass
class Written:
    """What was written so far, for the truth file."""

    totals: dict[str, int]  # events per type
    line_counts: dict[str, int] = field(default_factory=dict)  # lines (rows) per file
    per_file: dict[str, dict[str, int]] = field(default_factory=dict)  # by ingest result
    truth: dict[str, Any] = field(default_factory=dict)  # what anomalies planted


def _parse_start(start: str | date, days: int) -> date:
    if isinstance(start, date):
        return start
    try:
        return date.fromisoformat(str(start))
    except ValueError:
        raise OperationalError(f"start {start!r} is not a date YYYY-MM-DD") from None


def simulate(
    out: Path,
    days: int,
    tasks_per_day: int,
    seed: int,
    start: str | date,
    bad_rate: float = 0.01,
    duplicate_rate: float = 0.01,
    truth_path: Path | None = None,
    progress: bool = False,
) -> Path:
    """Write `days` of traffic from the day START into the landing folder `out`; return the
    truth file's path."""
    check_world()
    check_bad_edits()
    check_formats()
    if days < 1 or tasks_per_day < 1:
        raise OperationalError("--days and --tasks-per-day must be at least 1")
    if not (0 <= bad_rate < 0.5 and 0 <= duplicate_rate < 0.5):
        raise OperationalError("--bad-rate and --duplicate-rate must be in [0, 0.5)")
    out = Path(out)
    plan = Plan(out, days, tasks_per_day, seed, _parse_start(start, days), bad_rate, duplicate_rate)
    truth_path = _prepare(plan, truth_path)
    contract = load_contract()
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    written = Written(totals={t: 0 for t in contract.event_types})
    registry = versions(plan)
    v_day = np.clip((np.array([v["_ts"] for v in registry]) - plan.start_ms) // DAY_MS, 0, days - 1)
    step = plan.days_per_chunk
    for chunk in range(0, days, step):
        chunk_days = list(range(chunk, min(days, chunk + step)))
        tables = _chunk_tables(plan, chunk_days, registry, v_day)
        rng = np.random.default_rng([seed, chunk, 3])
        for t in tables.values():
            t["_file"], t["_ord"] = place(plan, rng, t["_ts"], t["_d"], chunk)
        plant(plan, chunk, len(chunk_days), tables, rng, written.truth)
        sort_keys(tables, contract.event_types)
        _write_chunk(con, plan, tables, written)
        if progress:
            n_ev = sum(len(t["_ts"]) for t in tables.values())
            print(
                f"simulate: days {chunk + 1}-{chunk_days[-1] + 1}/{days} "
                f"(to {plan.day_iso(chunk_days[-1])}): {n_ev:,} events, "
                f"{len(plan.files)} files so far [{time.perf_counter() - started:.1f}s]",
                file=sys.stderr,
            )
    con.close()
    write_truth(
        plan,
        written.truth,
        written.totals,
        written.line_counts,
        written.per_file,
        registry,
        truth_path,
    )
    if progress:
        print(
            f"simulate: {sum(written.line_counts.values()):,} lines in "
            f"{len(written.line_counts)} files under {out} "
            f"[{time.perf_counter() - started:.1f}s]; truth: {truth_path}",
            file=sys.stderr,
        )
    return truth_path


def _prepare(plan: Plan, truth_path: Path | None) -> Path:
    """Refuse to overwrite landed days or to put the truth inside the landing folder; make
    the folders; return the truth file's path."""
    out = plan.out
    for d in range(plan.days):  # landing files are immutable: never overwrite a landed day
        folder = out / plan.day_iso(d)
        if folder.exists() and any(folder.iterdir()):
            raise OperationalError(f"{folder} already has landing files; use another --out")
    truth_path = Path(truth_path) if truth_path else out.parent / f"{out.name}.truth.json"
    if truth_path.resolve().is_relative_to(out.resolve()):
        raise OperationalError("the truth file must not be inside the landing folder")
    out.mkdir(parents=True, exist_ok=True)
    # before any event file is written: a missing truth folder must not leave a half landing
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    return truth_path


def _chunk_tables(
    plan: Plan, chunk_days: list[int], registry: list[dict[str, Any]], v_day: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
    """The chunk's events as numpy columns per type: the days one by one, then the versions
    registered in the chunk."""
    per_day = [gen_day(plan, d) for d in chunk_days]
    tables = {
        et: {c: np.concatenate([day[et][c] for day in per_day]) for c in per_day[0][et]}
        for et in per_day[0]
    }
    del per_day
    vs = [v for v, vd in zip(registry, v_day, strict=True) if vd in chunk_days]
    tables["version"] = {
        "_d": np.array([vd for vd in v_day if vd in chunk_days], np.int32),
        "_j": np.array([v["_j"] for v in vs], np.int64),
        "_ts": np.array([v["_ts"] for v in vs], np.int64),
        **{c: np.array([v[c] for v in vs], dtype=object) for c in VERSION_FIELDS},
    }
    return tables


def _write_chunk(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    tables: dict[str, dict[str, np.ndarray]],
    written: Written,
) -> None:
    """Register the chunk's tables, write its JSON and Parquet files, count what went where."""
    event_types = load_contract().event_types
    day_files: dict[int, dict[str, int]] = {}
    for et in event_types:
        t = tables[et]
        source = f"t_{et}"
        arrays = {}
        for c, v in t.items():
            arrays[c] = pa.array(v, type=pa.string()) if v.dtype == object else pa.array(v)
        con.register(source, pa.table(arrays))
        create_view(con, et, source, plan.days)
        written.totals[et] += len(t["_ts"])
        _count(day_files, t["_file"], "accepted")
        _count(day_files, t["_dupfile"][t["_dup"]], "duplicate")
        _count(day_files, t["_file"][t["_bad"] >= 0], "rejected")
    json_counts: dict[int, int] = {}
    write_json(con, plan, event_types, json_counts)
    for f, n in json_counts.items():
        rel = plan.files[f].rel(plan.start)
        written.line_counts[rel] = n
        written.per_file[rel] = {"accepted": 0, "duplicate": 0, "rejected": 0} | day_files.get(
            f, {}
        )
    pq_files = sorted({f for f in day_files if plan.files[f].fmt == PARQUET})
    for et in event_types:
        counts: dict[str, int] = {}
        write_parquet(con, plan, et, pq_files, counts)
        for rel, n in counts.items():
            written.line_counts[rel] = n
            written.per_file[rel] = {"accepted": n, "duplicate": 0, "rejected": 0}
    for et in event_types:
        con.unregister(f"t_{et}")


def _count(day_files: dict[int, dict[str, int]], file_ids: np.ndarray, result: str) -> None:
    """Add the lines per file id of one ingest result (accepted, duplicate, rejected)."""
    for f, n in zip(*np.unique(file_ids, return_counts=True), strict=True):
        day_files.setdefault(int(f), {}).setdefault(result, 0)
        day_files[int(f)][result] += int(n)
