"""`floop forget`: the right to erasure."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from floop import config, hash_key
from floop.cli.args import add_now, add_warehouse, now_of
from floop.config import Layout
from floop.erasure import forget


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "forget",
        help="erase a user: raw, staging, every model, datasets marked, analyst copy",
        description="Erase one user's data: their events (as user, actor or labeler), the "
        "events about their responses and the outcomes of tasks only they worked on, their "
        "quarantined lines and duplicates are removed from raw; dbt rebuilds every model "
        "with --full-refresh; every dataset manifest holding them is marked superseded; the "
        "analyst copy is published again. raw.erasures records the keyed hash, counts and "
        "time (never the id); a tombstone keeps re-ingested landing files from bringing the "
        "user back (their lines count as `erased` in the ledger). Exit 0 done, 1 the dbt "
        "rebuild failed (the analyst copy is removed), 2 bad input or operational error.",
        epilog="example: floop forget --user u42 --tenant acme --reason 'GDPR request #1234'",
    )
    p.add_argument("--user", required=True, metavar="ID", help="the user id as landed")
    p.add_argument("--tenant", default=None, metavar="T", help="only in this tenant")
    p.add_argument(
        "--reason", required=True, help="why (recorded; never write the user id into it)"
    )
    p.add_argument(
        "--purge-landing",
        action="store_true",
        help="also rewrite the landing files without the user's lines",
    )
    p.add_argument(
        "--landing",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --purge-landing: the landing folder (default: $FLOOP_LANDING or ./landing)",
    )
    add_warehouse(p)
    add_now(p)
    p.set_defaults(func=_forget)


def _forget(args: argparse.Namespace) -> int:
    layout = Layout.for_warehouse(args.warehouse)
    key = hash_key.resolve(layout, announce=False)
    print(f"floop forget: {key.describe()}", flush=True)
    landing = None
    if args.purge_landing:
        landing = Path(args.landing or config.landing_dir()).resolve()
    result = forget(
        layout,
        args.user,
        reason=args.reason,
        now=now_of(args),
        tenant=args.tenant,
        landing=landing,
    )
    print("\n".join(f"floop forget: {line}" for line in result.lines()))
    if not result.build_ok:
        print("floop forget: dbt rebuild failed", file=sys.stderr)
        return 1
    return 0
