"""`floop gate`: the promote / rollback decision of every candidate, for a deploy pipeline."""

from __future__ import annotations

import argparse
from pathlib import Path

from floop.config import Layout
from floop.gates import exit_code, format_decision, read_decisions, to_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gate",
        help="print promote/rollback decisions of candidate versions (exit 0/1/3)",
        description="Print the decision of every candidate version (experiment arms, shadow "
        "versions) against its incumbent from marts.fct_version_gates, with each gate's "
        "result and the reasons, read-only. Exit 0 when every selected candidate is promote, "
        "1 when any is rollback or unhealthy, 3 otherwise (keep_running, insufficient_data, "
        "or no candidate matched), 2 on bad input or a missing file.",
        epilog="example: floop gate --workflow rag_qa --candidate exp-rag-rerank "
        "--json gate.json",
    )
    p.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        metavar="FILE",
        help="DuckDB file to read (default: the analyst copy, $FLOOP_ANALYST_COPY or "
        "warehouse/analyst.duckdb)",
    )
    p.add_argument("--workflow", metavar="W", default=None, help="only this workflow")
    p.add_argument(
        "--candidate",
        metavar="VERSION",
        default=None,
        help="only this candidate: its version, its id or its experiment id",
    )
    p.add_argument(
        "--json", type=Path, default=None, metavar="FILE", help="also write the decisions as JSON"
    )
    p.set_defaults(func=_gate)


def _gate(args: argparse.Namespace) -> int:
    source = (args.warehouse or Layout.for_warehouse().analyst_copy).expanduser().resolve()
    decisions = read_decisions(source, workflow=args.workflow, candidate=args.candidate)
    if args.json is not None:
        args.json.write_text(to_json(decisions, source), encoding="utf-8")
    if not decisions:
        print("no candidate matched: nothing decided yet")
    for d in decisions:
        print(format_decision(d))
    return exit_code(decisions)
