"""`floop ingest` as a process: exit codes of operational errors, and a run killed midway."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from ingest_helpers import NOW, line, query, table_counts, write_lines

from floop.contract import load_contract
from floop.ingest import ingest

PROJECT_DIR = Path(__file__).resolve().parent.parent
NOW_ARG = NOW.isoformat() + "Z"


def floop_ingest(landing: Path, warehouse: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "floop.cli",
        "ingest",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
        "--now",
        NOW_ARG,
        *extra,
    ]


def test_missing_landing_exits_2_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        floop_ingest(tmp_path / "missing", tmp_path / "wh.duckdb"), capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "landing folder" in proc.stderr and "does not exist" in proc.stderr


def test_locked_warehouse_exits_2_with_one_line(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(landing / "a.jsonl", [line("outcome", "x1")])
    holder = duckdb.connect(str(wh))  # another writer holds the file
    try:
        proc = subprocess.run(floop_ingest(landing, wh), capture_output=True, text=True)
    finally:
        holder.close()
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "another writer" in proc.stderr
    # once released, the same command works and exits 0 (rejected lines are not an error)
    write_lines(landing / "b.jsonl", ["not json"])
    proc = subprocess.run(floop_ingest(landing, wh, "--quiet"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert table_counts(wh)["quarantine"] == 1


def _bench_generate():  # the benchmark's DuckDB generator: big files fast, no Python loop
    spec = importlib.util.spec_from_file_location(
        "bench_ingest", PROJECT_DIR / "benchmarks" / "bench_ingest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def test_killed_midway_then_rerun_loads_everything_once(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    files = _bench_generate()(landing, 90_000, 15_000)
    assert len(files) == 6
    wh = tmp_path / "killed.duckdb"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        floop_ingest(landing, wh), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env
    )
    assert proc.stderr is not None
    # Kill as soon as the first file is committed (its progress line), mid-way through the next.
    deadline = time.monotonic() + 120
    seen = b""
    while b"[1/6 files]" not in seen and time.monotonic() < deadline:
        chunk = proc.stderr.readline()
        if not chunk:
            break
        seen += chunk
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, seen
    loaded = query(wh, "select count(*) from raw.ingest_ledger")[0][0]
    assert 1 <= loaded < 6  # killed after some files, before the last: none half-loaded
    per_file = query(
        wh,
        "select l.file_path, l.accepted, l.lines, "
        "(select count(*) from raw.quarantine q where q.source_file = l.file_path) "
        "from raw.ingest_ledger l",
    )
    for path, accepted, lines, rejected in per_file:
        tables = " union all ".join(
            f"select _source_file from raw.{t}_events" for t in load_contract().event_types
        )
        in_tables = query(wh, f"select count(*) from ({tables}) where _source_file = ?", [path])[0][
            0
        ]
        assert in_tables == accepted and accepted + rejected <= lines

    rerun = subprocess.run(floop_ingest(landing, wh, "--quiet"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    clean = tmp_path / "clean.duckdb"
    ingest(landing, clean, NOW, quality=False)
    assert table_counts(wh) == table_counts(clean)
    ids = "select event_id from raw.interaction_events order by 1"
    assert query(wh, ids) == query(clean, ids)
