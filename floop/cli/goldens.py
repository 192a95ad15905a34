"""`floop goldens propose`: candidate golden tasks from real traffic."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from floop.cli.args import add_warehouse
from floop.config import Layout
from floop.goldens import propose


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "goldens",
        help="golden tasks: propose candidates from real traffic",
        description="Golden tasks are declared in seeds/goldens/golden_tasks.csv (owner, refresh "
        "cadence); their results are marts.fct_golden_results. `propose` lists real sessions "
        "worth turning into new golden tasks: their outcome arrived, one per distinct input, "
        "spread across tenants and successes / failures, not golden already.",
        epilog="example: floop goldens propose --workflow support_chat --limit 10",
    )
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    pp = verbs.add_parser(
        "propose",
        help="list candidate sessions for new golden tasks",
        description="List candidate sessions of a workflow for new golden tasks (printed, or "
        "written as CSV with --out).",
        epilog="example: floop goldens propose --workflow rag_qa --out candidates.csv",
    )
    pp.add_argument("--workflow", required=True, help="the workflow (task_type)")
    pp.add_argument("--limit", type=_positive, default=20, help="how many (default 20)")
    pp.add_argument("--out", type=Path, default=None, metavar="CSV", help="write a CSV file")
    add_warehouse(pp)
    pp.set_defaults(func=_propose)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _propose(args: argparse.Namespace) -> int:
    layout = Layout.for_warehouse(args.warehouse)
    result = propose(layout.warehouse, args.workflow, args.limit)
    if args.out is not None:
        with open(args.out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(result.columns)
            writer.writerows(result.rows)
        print(f"{len(result.rows)} candidates for {result.workflow} -> {args.out}")
        return 0
    writer = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows(result.rows)
    print(f"{len(result.rows)} candidates for {result.workflow}", file=sys.stderr)
    return 0
