"""The one `floop` command: argument parsing, exit codes and one-line errors. Nothing imports
this module; it imports the library (and `orchestration` for `floop run`)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from floop import config, dashboard, export, ingest, simulate
from floop.config import Layout
from floop.errors import FloopError, UsageError
from floop.ingest import replay
from floop.summary import print_summary


def _warehouse(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="DuckDB file (default: $FLOOP_WAREHOUSE or warehouse/floop.duckdb)",
    )


def _landing(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument(
        "--landing",
        type=Path,
        default=None,
        required=required,
        help="landing folder of event files (default: $FLOOP_LANDING or ./landing)",
    )


def _now(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--now",
        default=None,
        help="the clock, ISO 8601 (default: the wall clock); makes runs reproducible",
    )


def _cmd_ingest(args: argparse.Namespace) -> int:
    if args.reason and not args.replay_quarantine:
        raise UsageError("--reason needs --replay-quarantine")
    if args.replay_quarantine:
        return replay.main(
            warehouse=args.warehouse or config.warehouse_path(),
            now=config.parse_now(args.now),
            reasons=args.reason,
            quiet=args.quiet,
        )
    return ingest.main(
        landing=args.landing or config.landing_dir(),
        warehouse=args.warehouse or config.warehouse_path(),
        now=config.parse_now(args.now),
        quiet=args.quiet,
    )


def _cmd_simulate(args: argparse.Namespace) -> int:
    return simulate.main(args)


def _cmd_run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: Dagster and dagster-dbt take ~3.5 s to import, which every
    # other subcommand (and `floop --help`) would pay.
    from orchestration.runner import report_lines, run_job

    landing = Path(args.landing or config.landing_dir()).resolve()
    layout = Layout.for_warehouse(args.warehouse)
    now = config.parse_now(args.now)
    started = time.monotonic()
    print(f"floop run: {landing} -> {layout.warehouse} (clock {now.isoformat()})", flush=True)
    report = run_job(landing, layout, now)
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


def _cmd_export(args: argparse.Namespace) -> int:
    return export.main(args)


def _cmd_dashboard(args: argparse.Namespace) -> int:
    return dashboard.main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="floop", description="floop: the feedback-loop warehouse for AI systems."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("ingest", help="load new landing files into the warehouse, nothing lost")
    _landing(p)
    _warehouse(p)
    _now(p)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--replay-quarantine",
        action="store_true",
        help="instead of loading files, check the quarantined lines again under --now and the "
        "current contract (accepted ones move to their tables, the ledger follows)",
    )
    p.add_argument(
        "--reason",
        action="append",
        metavar="CODE",
        help="with --replay-quarantine: only lines of this reason code (repeatable)",
    )
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("simulate", help="write realistic AI traffic with planted truths")
    p.add_argument("--out", type=Path, required=True, help="landing folder to write into")
    p.add_argument("--days", type=int, default=21, help="days of traffic (default 21)")
    p.add_argument("--tasks-per-day", type=int, default=400, help="tasks per day (default 400)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument(
        "--start", default=None, help="first day, YYYY-MM-DD (default: --days before today)"
    )
    p.add_argument("--bad-rate", type=float, default=0.01, help="share of bad lines (default 0.01)")
    p.add_argument(
        "--duplicate-rate",
        type=float,
        default=0.01,
        help="share of duplicated events (default 0.01)",
    )
    p.add_argument("--truth", type=Path, default=None, help="truth file (default: beside --out)")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("run", help="the main job: ingest, dbt build, checks, exports, analyst copy")
    _landing(p)
    _warehouse(p)
    _now(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("export", help="export a dataset by policy as Parquet with a manifest")
    p.add_argument("--policy", help="policy name (a file in policies/)")
    _warehouse(p)
    p.add_argument("--as-of", default=None, help="as-of date YYYY-MM-DD (default: today)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: ./exports)")
    p.add_argument(
        "--verify", type=Path, default=None, metavar="MANIFEST", help="re-hash a manifest's files"
    )
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("dashboard", help="serve the Streamlit dashboards on 127.0.0.1")
    _warehouse(p)
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.set_defaults(func=_cmd_dashboard)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except FloopError as exc:
        print(f"floop {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"floop {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
