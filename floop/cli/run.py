"""`floop run`: the main job."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from floop import config, hash_key
from floop.cli.args import add_lake, add_landing, add_now, add_warehouse, now_of
from floop.config import ENGINES, Layout, engine_name
from floop.summary import print_summary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="the main job: ingest, dbt build, checks, exports, analyst copy",
        description="Run floop's Dagster job in-process (the job the daily schedule, the "
        "landing sensor and the UI run): ingest with its quality checks, dbt build with every "
        "test as a check, one export per policy, the analyst copy. A failed blocking check "
        "stops everything downstream. Exit 0 success, 1 the run failed, 2 operational error.",
        epilog="example: floop run --landing landing/ --now 2026-11-20T00:00:00Z; on Spark: "
        "floop run --engine spark --lake lake/ --landing landing/",
    )
    add_landing(p)
    add_warehouse(p)
    add_now(p)
    add_lake(p)
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="where dbt builds the models (default: $FLOOP_ENGINE, else duckdb); spark needs "
        "--lake and builds from the Parquet event log, the analyst copy is then made from "
        "Spark's Parquet tables (docs/scale-out.md)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: Dagster and dagster-dbt take ~3.5 s to import, which every
    # other subcommand (and `floop --help`) would pay.
    from orchestration.runner import report_lines, run_job

    landing = Path(args.landing or config.landing_dir()).resolve()
    layout = Layout.for_warehouse(args.warehouse, args.lake, engine_name(args.engine))
    now = now_of(args)
    started = time.monotonic()
    engine = f", engine {layout.engine}" if layout.engine != "duckdb" else ""
    print(
        f"floop run: {landing} -> {layout.warehouse} (clock {now.isoformat()}{engine})",
        flush=True,
    )
    # the key is resolved (generated on the first run) before anything runs, and said aloud
    print(f"floop run: {hash_key.resolve(layout, announce=False).describe()}", flush=True)
    report = run_job(landing, layout, now, out=sys.stdout)
    print(f"floop run: dagster run {report.run_id} (partition {report.partition})")
    print("\n".join(report_lines(report)))
    if not report.success:
        print(
            f"floop run: FAILED after {time.monotonic() - started:.1f}s; the analyst copy "
            "was not replaced. Details: the run in the Dagster UI (scripts/dagster-ui.sh start)."
        )
        return 1
    print_summary(layout.warehouse)
    print(f"floop run: finished in {time.monotonic() - started:.1f}s", flush=True)
    return 0
