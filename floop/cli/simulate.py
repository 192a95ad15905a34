"""`floop simulate`: realistic AI traffic with planted truths."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from floop.cli.args import day, positive_int, share
from floop.config import wall_clock
from floop.simulate import simulate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="write realistic AI traffic with planted truths",
        description="Write days of simulated traffic of three AI workflows (support chat, "
        "code assistant, RAG Q&A) into a landing folder, in every landing format, with planted "
        "truths (a prompt rollout that helps, A/B tests, a poisoning burst, late outcomes, bad "
        "lines of every reason, duplicates, personal data) recorded in a truth file. "
        "Deterministic to the byte for the same arguments.",
        epilog="example: floop simulate --out landing/ --days 21 --tasks-per-day 300 "
        "--start 2026-11-01",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="landing folder")
    p.add_argument("--days", type=positive_int, default=21, help="days of traffic (default 21)")
    p.add_argument(
        "--tasks-per-day", type=positive_int, default=400, help="tasks per day (default 400)"
    )
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument(
        "--start", type=day, default=None, help="first day, YYYY-MM-DD (default: --days ago)"
    )
    p.add_argument("--bad-rate", type=share, default=0.01, help="share of bad lines (0.01)")
    p.add_argument(
        "--duplicate-rate", type=share, default=0.01, help="share of duplicated events (0.01)"
    )
    p.add_argument(
        "--truth",
        type=Path,
        default=None,
        metavar="FILE",
        help="truth file (default: beside --out)",
    )
    p.set_defaults(func=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    start = args.start or wall_clock().date() - timedelta(days=args.days)
    truth = simulate(
        out=args.out,
        days=args.days,
        tasks_per_day=args.tasks_per_day,
        seed=args.seed,
        start=start,
        bad_rate=args.bad_rate,
        duplicate_rate=args.duplicate_rate,
        truth_path=args.truth,
        progress=True,
    )
    print(f"wrote {args.out} (truth: {truth})")
    return 0
