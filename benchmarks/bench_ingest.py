"""Benchmark `floop ingest` against DuckDB's own `read_json` of the same files.

    .venv/bin/python benchmarks/bench_ingest.py --events 1000000

Generates NDJSON events with DuckDB (`copy ... to` from a generated series: no Python loop over
events) into a temporary landing of several files, then measures
  (a) `read_json` of the files into a plain table (no checks), and
  (b) `floop ingest` (contract checks, dedup, quarantine, ledger; GX timed separately),
and prints events/second for each and the ratio (b)/(a). With `--repeat N` both are run N times,
alternating, each into a fresh database, and the best (lowest) wall and CPU time of each side is
kept: on a shared machine the other users' load then disturbs both sides less.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb

from floop import quality
from floop.ingest import ingest

# Per event type: the JSON fields of one generated event (SQL expressions over i, the series).
ENVELOPE = """
  'e' || case when i % 200 = 1 then i - 1 else i end as event_id,  -- 0.5% duplicates
  '{event_type}' as event_type,
  case when i % 10 = 0 then '1.1' else '1' end as schema_version,
  strftime(timestamp '2026-11-01' + to_seconds(i % 1500000), '%Y-%m-%dT%H:%M:%SZ') as timestamp,
  'tenant-' || (i % 7) as tenant_id
"""
BODIES = {
    "interaction": """
  't' || i as trace_id, 's' || (i // 3) as session_id, 'u' || (i % 5000) as user_id,
  'support_chat' as task_type, 'task-' || (i // 2) as task_id, 'DE' as country,
  ['analytics', 'training'] as consent_scope, 'o' || i as output_id,
  md5(i::varchar)[:8] as input_hash, 'support-v7' as prompt_version, 'gpt-x' as model_id,
  '2026-10-01' as model_version, ['kb-1', 'kb-2'] as retrieval_ids, ['kb-1'] as cited_ids,
  'kb-2026-11-01' as knowledge_version, 800 + i % 100 as input_tokens,
  100 + i % 50 as output_tokens, 1500.5 + i % 300 as client_latency_ms,
  1200 + i % 200 as server_latency_ms""",
    "feedback": """
  't' || i as trace_id, 'o' || (i - 1) as output_id, 'thumbs' as feedback_type,
  -- 1% out of range
  case when i % 100 = 7 then 3 when i % 2 = 0 then 1 else -1 end as feedback_value,
  'end_user' as actor_role, 'u' || (i % 5000) as actor_id""",
    "evaluation": """
  't' || i as trace_id, 'o' || (i - 2) as output_id, 'groundedness' as evaluator_id,
  '3' as evaluator_version, 'groundedness' as eval_metric, (i % 100) / 100.0 as eval_value,
  i % 3 > 0 as eval_passed""",
    "outcome": """
  'support_chat' as task_type, 'task-' || (i // 2) as task_id,
  'resolved' as outcome_metric_name, (i % 2)::double as outcome_metric_value""",
}
FILE_TYPES = ["interaction", "feedback", "interaction", "evaluation", "interaction", "outcome"]


def generate(landing: Path, events: int, per_file: int) -> list[Path]:
    con = duckdb.connect()
    files = []
    n_files = max(1, -(-events // per_file))
    for k in range(n_files):  # a loop over files, not events
        lo, hi = k * per_file, min(events, (k + 1) * per_file)
        event_type = FILE_TYPES[k % len(FILE_TYPES)]
        path = landing / f"events-{k:03d}-{event_type}.ndjson"
        select = (
            f"select {ENVELOPE.format(event_type=event_type)}, {BODIES[event_type]} "
            f"from range({lo}, {hi}) t(i)"
        )
        con.execute(f"copy ({select}) to '{path}' (format json)")
        files.append(path)
    con.close()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=125_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; best is kept")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (debug)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="floop-bench-")) if args.keep is None else args.keep
    landing = work / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        files = generate(landing, args.events, args.per_file)
        gen_s = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in files)
        print(
            f"generated {args.events} events in {len(files)} files ({size / 1e6:.0f} MB) "
            f"in {gen_s:.1f}s",
            file=sys.stderr,
        )

        file_list = ", ".join(f"'{f}'" for f in files)
        now = datetime(2026, 11, 20)
        plain_s = plain_cpu = ingest_s = ingest_cpu = float("inf")
        for run in range(args.repeat):
            for db in ("plain.duckdb", "plain.duckdb.wal", "floop.duckdb", "floop.duckdb.wal"):
                (work / db).unlink(missing_ok=True)  # every run starts from an empty database

            # (a) DuckDB read_json into a plain table, no checks.
            con = duckdb.connect(str(work / "plain.duckdb"))
            t0, c0 = time.perf_counter(), time.process_time()
            con.execute(
                f"create table events as select * from read_json([{file_list}], "
                "format = 'newline_delimited', union_by_name = true)"
            )
            plain_s = min(plain_s, time.perf_counter() - t0)
            plain_cpu = min(plain_cpu, time.process_time() - c0)
            plain_rows = con.execute("select count(*) from events").fetchone()[0]  # type: ignore[index]
            con.close()

            # (b) floop ingest (GX batch quality is timed on its own).
            t0, c0 = time.perf_counter(), time.process_time()
            result = ingest(landing, work / "floop.duckdb", now, progress=run == 0, quality=False)
            ingest_s = min(ingest_s, time.perf_counter() - t0)
            ingest_cpu = min(ingest_cpu, time.process_time() - c0)
        con = duckdb.connect(str(work / "floop.duckdb"))
        t0 = time.perf_counter()
        qres = quality.validate_load(con, result.load_id, work / "floop.duckdb", now)
        gx_s = time.perf_counter() - t0
        con.close()

        out = {
            "events": args.events,
            "repeat": args.repeat,
            "files": len(files),
            "megabytes": round(size / 1e6, 1),
            "read_json_seconds": round(plain_s, 2),
            "read_json_events_per_second": round(plain_rows / plain_s),
            "ingest_seconds": round(ingest_s, 2),
            "ingest_events_per_second": round(result.lines / ingest_s),
            "ratio": round(plain_s / ingest_s, 3),
            # CPU seconds (all threads): comparable when the machine is shared
            "read_json_cpu_seconds": round(plain_cpu, 2),
            "ingest_cpu_seconds": round(ingest_cpu, 2),
            "cpu_ratio": round(plain_cpu / ingest_cpu, 3),
            "accepted": result.accepted,
            "duplicate": result.duplicate,
            "rejected": result.rejected,
            "gx_seconds": round(gx_s, 2),
            "gx_expectations_failed": sum(1 for r in qres.results if not r.success),
        }
        print(json.dumps(out, indent=2))
        if args.json:
            args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(
            f"read_json: {out['read_json_events_per_second']:,} events/s; "
            f"floop ingest: {out['ingest_events_per_second']:,} events/s; "
            f"ratio {out['ratio']:.2f}",
            file=sys.stderr,
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
