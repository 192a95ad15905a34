"""`floop triage`: the weekly SME triage queue (marts.fct_triage_queue), printed or as CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

from floop.cli.args import day
from floop.config import Layout
from floop.triage import COLUMNS, QueueFilter, read_progress, read_queue, write_queue_csv

# Columns of the printed table (the CSV has all of COLUMNS).
SHOWN = (
    "triage_week",
    "task_type",
    "queue_rank",
    "assignee",
    "status",
    "output_id",
    "tenant_id",
    "primary_signal",
    "priority",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "triage",
        help="print or write the weekly SME triage queue (impact x volume, with a budget)",
        description="The questionable responses routed to SME labeling, per workflow and "
        "week: a priority-weighted, hash-stable sample within the weekly budget, assigned "
        "round-robin (marts.fct_triage_queue), and each assignee's progress. Reads the "
        "analyst copy (or --warehouse FILE) read-only.",
        epilog="example: floop triage --workflow support_chat --week 2026-11-16 --out queue.csv",
    )
    p.add_argument(
        "--warehouse",
        default=None,
        metavar="FILE",
        help="DuckDB file with the marts (default: the analyst copy)",
    )
    p.add_argument("--workflow", default=None, help="one workflow (task_type); default all")
    p.add_argument(
        "--week",
        type=day,
        default=None,
        help="any day of the ISO week (YYYY-MM-DD); default all weeks",
    )
    p.add_argument("--out", default=None, metavar="CSV", help="write the queue to this CSV file")
    p.set_defaults(func=_triage)


def _triage(args: argparse.Namespace) -> int:
    warehouse = Path(args.warehouse or Layout.for_warehouse().analyst_copy).expanduser()
    flt = QueueFilter(workflow=args.workflow, week=args.week)
    if args.out:
        n = write_queue_csv(warehouse, flt, Path(args.out).expanduser())
        print(f"floop triage: wrote {n} queued items to {args.out}")
        return 0
    rows = read_queue(warehouse, flt)
    idx = [COLUMNS.index(c) for c in SHOWN]
    table = [SHOWN] + [tuple(_cell(r[i]) for i in idx) for r in rows]
    widths = [max(len(str(row[j])) for row in table) for j in range(len(SHOWN))]
    for row in table:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    print(f"\n{len(rows)} queued items. Progress per assignee:")
    for task_type, week, assignee, assigned, labeled, open_ in read_progress(warehouse, flt):
        print(f"  {week} {task_type} {assignee}: {labeled}/{assigned} labeled, {open_} open")
    return 0


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)
