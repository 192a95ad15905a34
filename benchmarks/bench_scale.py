"""The whole loop at production size: ingest, full build, incremental day and a run with no new
data, each against its limit, as one table (and JSON).

    .venv/bin/python benchmarks/bench_scale.py --interactions 1000000 --workdir /tmp/scale

Simulates N interactions once into WORKDIR/simulated (kept: a second call with the same scale
reuses it), then on a fresh warehouse:
  ingest      `floop ingest` (contract checks and GX) of every day but the last, against
              DuckDB's plain `read_json` of the same files (the ingest limit); GX's share:
              the same load validated again, on a copy, in a process of its own;
  full        `dbt run --full-refresh` of every model, against the hand-written SQL of
              benchmarks/hand_written.py (the build limit: the same staging, wide fact
              and version marts); `dbt test` after it; the slowest
              models from dbt's run_results.json;
  memory      the full build again with DuckDB's default memory limit (80% of RAM) and two
              dbt threads, instead of the profile's FLOOP_DUCKDB_MEMORY_LIMIT (4 GB unless
              set) with the threads floop.dbt.dbt_threads gives it (one once the warehouse
              is larger than half the limit);
  incremental the last day ingested, then `dbt run` of what `floop run` would build
              (floop.build_state: the models downstream of the sources that changed);
  no-op       `floop run` twice more on the same landing (nothing new): the second is the
              steady state; Dagster's own share is the run's wall time outside its steps.
Every step runs as a child process: its wall and CPU time (all threads) and peak memory are
its own. Not a timed test: tests/test_bench_scale.py runs it on a few hundred interactions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hand_written import hand_written  # noqa: E402

from floop.build_state import plan_build, record_build  # noqa: E402
from floop.config import Layout, parse_now  # noqa: E402
from floop.dbt import DEFAULT_THREADS, child_env, dbt_executable, key_env  # noqa: E402

INTERACTIONS_PER_TASK = 1.3  # the simulator's average (retries, shadow runs)
START = date(2026, 9, 1)
FLOOP = str(Path(sys.executable).parent / "floop")


def _child(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run CMD; its wall and CPU seconds and peak RSS (MB), from its own rusage."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed (exit {proc.returncode}): {' '.join(cmd)}\n{out[-3000:]}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "output": out,  # type: ignore[dict-item]
    }


def _dbt(args: list[str], layout: Layout, now: str, extra: dict[str, str] | None = None) -> dict:
    env = {**child_env(layout), **key_env(layout), "FLOOP_NOW": now, **(extra or {})}
    return _child([dbt_executable(), *args], env=env)


def simulate_once(work: Path, interactions: int, days: int) -> Path:
    """WORKDIR/simulated for this scale, generated once (a marker file names the scale)."""
    simulated = work / "simulated"
    tasks_per_day = max(1, round(interactions / days / INTERACTIONS_PER_TASK))
    marker = simulated / ".bench_scale.json"
    want = {"days": days, "tasks_per_day": tasks_per_day, "start": START.isoformat(), "seed": 7}
    if marker.exists() and json.loads(marker.read_text()) == want:
        return simulated
    shutil.rmtree(simulated, ignore_errors=True)
    code = (
        "from floop.simulate import simulate; "
        f"simulate({str(simulated)!r}, {days}, {tasks_per_day}, 7, {START.isoformat()!r}, "
        "0.002, 0.002)"
    )
    res = _child([sys.executable, "-c", code])
    marker.write_text(json.dumps(want))
    (work / "simulate.json").write_text(json.dumps({k: v for k, v in res.items() if k != "output"}))
    return simulated


def link_days(simulated: Path, landing: Path, before: date | None) -> None:
    """Hard links of the simulated day folders (before BEFORE, or all) into LANDING: the
    cached files are never moved or changed."""
    for day in sorted(p for p in simulated.iterdir() if p.is_dir()):
        if before is not None and day.name >= before.isoformat():
            continue
        for f in day.rglob("*"):
            target = landing / f.relative_to(simulated)
            if f.is_file() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(f, target)


def _scalar(warehouse: Path, sql: str) -> Any:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]  # type: ignore[index]
    finally:
        con.close()


def slowest_models(layout: Layout, top: int = 12) -> list[tuple[str, float]]:
    nodes = json.loads((layout.dbt_target / "run_results.json").read_text())["results"]
    nodes.sort(key=lambda n: -n["execution_time"])
    return [(n["unique_id"].split(".")[-1], round(n["execution_time"], 2)) for n in nodes[:top]]


def _steps_of(output: str) -> tuple[float, float]:
    """(sum of the step seconds, run seconds) from `floop run`'s printed report: the table of
    a run not streamed, or the streamed `[  7.6s] step: ok in 0.7s` lines (the table was
    not printed then, and the sum was 0)."""
    steps = sum(float(m) for m in re.findall(r"^  \S+\s+(?:ok|skipped|FAILED)\s+([\d.]+)s$",
                                              output, re.M))  # fmt: skip
    steps += sum(float(m.replace(",", "")) for m in re.findall(
        r"^  \[\s*[\d,.]+s\] \S+: (?:ok|FAILED) in ([\d,.]+)s$", output, re.M))  # fmt: skip
    total = re.search(r"finished in ([\d.]+)s", output)
    return steps, float(total.group(1)) if total else 0.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    work: Path = args.workdir
    days = args.days
    simulated = simulate_once(work, args.interactions, days + 1)
    extra_day = START + timedelta(days=days)
    history_now = f"{extra_day}T00:30:00Z"
    extra_now = f"{extra_day + timedelta(days=1)}T00:30:00Z"
    run_dir = work / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    landing, wh = run_dir / "landing", run_dir / "warehouse.duckdb"
    landing.mkdir(parents=True)
    layout = Layout.for_warehouse(wh)
    link_days(simulated, landing, before=extra_day)
    rows: dict[str, dict[str, Any]] = {}

    def step(name: str, res: dict[str, Any], **more: Any) -> dict[str, Any]:
        rows[name] = {k: v for k, v in res.items() if k != "output"} | more
        print(f"{name:<28} {rows[name]}", file=sys.stderr, flush=True)
        return res

    files = sorted(str(p) for p in landing.rglob("*") if p.is_file())
    me = [sys.executable, str(Path(__file__).resolve())]
    step("read_json (limit)", _child([*me, "--_read-json", str(run_dir / "plain.duckdb"), *files]))
    step("ingest", _child([FLOOP, "ingest", "--landing", str(landing), "--warehouse", str(wh),
                           "--now", history_now, "--quiet"]))  # fmt: skip
    step("GX of that load (again)", _child([*me, "--_gx", str(wh), history_now]))
    n = _scalar(wh, "select count(distinct output_id) from raw.interaction_events")
    _dbt(["seed"], layout, history_now)
    threads = int(child_env(layout)["FLOOP_DBT_THREADS"])  # what the build below gets
    step("full build (dbt run)", _dbt(["run", "--full-refresh"], layout, history_now),
         threads=threads)  # fmt: skip
    profile = slowest_models(layout)
    manifest = json.loads((layout.dbt_target / "manifest.json").read_text())
    built = parse_now(history_now)
    record_build(layout, manifest, plan_build(layout, manifest, built), built)
    step("hand-written (limit)", _child([*me, "--_hand", str(wh)], key_env(layout)))
    if "test" not in args.skip:
        step("dbt test", _dbt(["test"], layout, history_now))
    if "memory" not in args.skip:
        # DuckDB's own default, with the threads floop gives a warehouse that fits in it
        unlimited = {"FLOOP_DUCKDB_MEMORY_LIMIT": "80%", "FLOOP_DBT_THREADS": str(DEFAULT_THREADS)}
        step("full build, no 4GB limit", _dbt(["run", "--full-refresh"], layout, history_now,
                                              unlimited), threads=DEFAULT_THREADS)  # fmt: skip
    link_days(simulated, landing, before=None)
    step("ingest extra day", _child([FLOOP, "ingest", "--landing", str(landing), "--warehouse",
                                     str(wh), "--now", extra_now, "--quiet"]))  # fmt: skip
    plan = plan_build(layout, manifest, parse_now(extra_now))
    step("incremental day (dbt run)", _dbt(["run", *plan.select_args], layout, extra_now),
         selected=" ".join(plan.select) or "all")  # fmt: skip
    inc_profile = slowest_models(layout)
    if "runs" not in args.skip:
        floop_runs(run_dir, landing, wh, extra_now, step, rows, "noop" in args.skip)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB, "
        f"load {os.getloadavg()[0]:.1f}",
        "interactions": n,
        "history_days": days,
        "steps": rows,
        "ratios": ratios(rows),
        "slowest_models_full": profile,
        "slowest_models_incremental": inc_profile,
    }


def floop_runs(
    run_dir: Path, landing: Path, wh: Path, now: str, step: Any, rows: dict, one_noop: bool
) -> None:
    """`floop run` catching up, then with no new data (once or twice), and Dagster's import."""
    env = {"DAGSTER_HOME": str(run_dir / "dagster_home")}
    cmd = [FLOOP, "run", "--landing", str(landing), "--warehouse", str(wh), "--now", now]
    step("floop run (catch-up)", _child(cmd, env))
    for i in range(1 if one_noop else 2):
        res = step(f"floop run, no new data #{i + 1}", _child(cmd, env))
        steps, total = _steps_of(str(res["output"]))
        rows[f"floop run, no new data #{i + 1}"]["dagster_overhead_s"] = round(total - steps, 2)
        rows[f"floop run, no new data #{i + 1}"]["steps_s"] = round(steps, 2)
    step("import dagster + assets", _child([sys.executable, "-c", "import orchestration.runner"]))


def ratios(rows: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    def r(a: str, b: str, key: str) -> float | None:
        if a not in rows or b not in rows or not rows[b][key]:
            return None
        return round(rows[a][key] / rows[b][key], 3)

    out = {
        "ingest_speed_vs_read_json_wall": r("read_json (limit)", "ingest", "wall_s"),
        "ingest_speed_vs_read_json_cpu": r("read_json (limit)", "ingest", "cpu_s"),
        "gx_share_of_ingest_wall": r("GX of that load (again)", "ingest", "wall_s"),
        "gx_share_of_ingest_cpu": r("GX of that load (again)", "ingest", "cpu_s"),
        "full_build_vs_limit_wall": r("full build (dbt run)", "hand-written (limit)", "wall_s"),
        "full_build_vs_limit_cpu": r("full build (dbt run)", "hand-written (limit)", "cpu_s"),
        "incremental_vs_full_wall": r(
            "incremental day (dbt run)", "full build (dbt run)", "wall_s"
        ),
        "incremental_vs_full_cpu": r("incremental day (dbt run)", "full build (dbt run)", "cpu_s"),
        "memory_limited_vs_unlimited_wall": r(
            "full build (dbt run)", "full build, no 4GB limit", "wall_s"
        ),
    }
    return out


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['interactions']:,} interactions, {result['date']}, {result['machine']}",
        f"| {'step':<28} | wall s | CPU s | peak MB | notes |",
        f"|{'-' * 30}|-------:|------:|--------:|-------|",
    ]
    for name, row in result["steps"].items():
        notes = ", ".join(f"{k} {v}" for k, v in row.items() if k not in ("wall_s", "cpu_s",
                                                                           "peak_mb"))  # fmt: skip
        lines.append(
            f"| {name:<28} | {row['wall_s']:6.1f} | {row['cpu_s']:5.1f} | {row['peak_mb']:7} "
            f"| {notes} |"
        )
    lines.append("ratios: " + ", ".join(f"{k} {v}" for k, v in result["ratios"].items()))
    lines.append("slowest models (full): " + ", ".join(
        f"{m} {s}s" for m, s in result["slowest_models_full"]))  # fmt: skip
    lines.append("slowest models (incremental): " + ", ".join(
        f"{m} {s}s" for m, s in result["slowest_models_incremental"]))  # fmt: skip
    return "\n".join(lines)


def _read_json(db: str, files: list[str]) -> None:
    """The ingest limit: DuckDB's own readers, no checks (NDJSON, gzipped or not, and the
    Parquet files of the landing); the simulator's malformed lines are skipped."""
    con = duckdb.connect(db)
    text = [f for f in files if not f.endswith(".parquet")]
    parquet = [f for f in files if f.endswith(".parquet")]
    if text:
        con.execute(
            "create or replace table events as select * from read_json(?, "
            "format = 'newline_delimited', union_by_name = true, ignore_errors = true)",
            [text],
        )
    if parquet:
        con.execute(
            "create or replace table events_parquet as select * from read_parquet(?, "
            "union_by_name = true)",
            [parquet],
        )
    con.close()


def _hand(warehouse: str) -> None:
    """The build limit (benchmarks/hand_written.py), with the build's hash key."""
    hand_written(Path(warehouse), os.environ["FLOOP_HASH_KEY"])


def _gx(warehouse: str, now: str) -> None:
    """GX on the last load of WAREHOUSE, on a copy (its results are not kept)."""
    from floop.quality import validate_load  # here: its import is part of what is measured

    copy = Path(warehouse).with_name("gx-copy.duckdb")
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        load_id = con.execute(
            "select load_id from raw.ingest_ledger order by ingested_at desc limit 1"
        ).fetchone()[0]  # type: ignore[index]
        validate_load(con, load_id, copy, parse_now(now))
    finally:
        con.close()
        copy.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--_gx"]:
        _gx(argv[1], argv[2])
        return 0
    if argv[:1] == ["--_read-json"]:
        _read_json(argv[1], argv[2:])
        return 0
    if argv[:1] == ["--_hand"]:
        _hand(argv[1])
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--interactions", type=int, default=1_000_000, help="the scale knob")
    p.add_argument("--days", type=int, default=28, help="days of history before the extra day")
    p.add_argument("--workdir", type=Path, required=True, help="cache and scratch folder")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument(
        "--skip",
        default="",
        help="comma-separated: test, memory, noop (the second no-op run), runs (every floop run)",
    )
    args = p.parse_args(argv)
    args.skip = set(filter(None, args.skip.split(",")))
    args.workdir.mkdir(parents=True, exist_ok=True)
    result = run(args)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
