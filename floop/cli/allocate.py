"""`floop allocate`: the bandits' arm weights as the JSON file a router reads."""

from __future__ import annotations

import argparse
from pathlib import Path

from floop.cli.args import add_warehouse
from floop.config import Layout
from floop.router_weights import write_weights


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "allocate",
        help="write the bandits' arm weights for the router",
        description="Write the arm weights of every bandit experiment (experiments/*.yml with "
        "`mode: bandit`) from marts.fct_bandit_allocations as JSON: workflow -> experiment, "
        "status, data watermark and arm -> weight. Weights come from top-two Thompson "
        "sampling (10,000 seeded draws, at least 1%% per arm) once every arm has its minimum "
        "units, else the planned weights; the same data gives the same file. Run `floop run` "
        "first: this command only reads the warehouse.",
        epilog="example: floop allocate --out weights.json",
    )
    add_warehouse(p)
    p.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="the weights file to write"
    )
    p.set_defaults(func=_allocate)


def _allocate(args: argparse.Namespace) -> int:
    layout = Layout.for_warehouse(args.warehouse)
    doc = write_weights(layout.warehouse, args.out)
    for workflow, entry in sorted(doc["workflows"].items()):
        arms = ", ".join(f"{arm} {w:.1%}" for arm, w in sorted(entry["arms"].items()))
        print(f"{workflow}: {entry['experiment_id']} ({entry['status']}): {arms}")
    print(f"wrote {args.out} (data watermark {doc['data_watermark']})")
    return 0
