"""`floop ingest` and `floop waive`."""

from __future__ import annotations

import argparse

from floop import config, ingest, quality_gate
from floop.cli.args import add_lake, add_landing, add_now, add_warehouse, now_of
from floop.config import Layout
from floop.errors import OperationalError, UsageError
from floop.ingest import replay
from floop.ingest.load import open_warehouse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ingest",
        help="load new landing files into the warehouse, nothing lost",
        description="Load every landing file not loaded before into the restricted `raw` "
        "schema under the contract: each line is accepted, a duplicate, or rejected into "
        "raw.quarantine with a reason; raw.ingest_ledger says how many of each per file. "
        "Exit 0 when every file loaded (rejected lines are data), 3 when some file failed or "
        "was tampered with, 2 on an operational error.",
        epilog="example: floop ingest --landing landing/ --now 2026-11-20T00:00:00Z",
    )
    add_landing(p)
    add_warehouse(p)
    add_now(p)
    add_lake(p)
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
    p.set_defaults(func=_ingest)

    p = sub.add_parser(
        "waive",
        help="accept a blocked load's failed quality checks, with a recorded reason",
        description="A load whose blocking Great Expectations checks failed blocks `floop run` "
        "(dbt, exports, analyst copy) until it passes on re-validation or is waived here; "
        "the waiver is recorded in raw.load_waivers.",
        epilog="example: floop waive 3f2c9a... --reason 'known bad batch from client v2'",
    )
    p.add_argument("load_id", metavar="LOAD_ID", help="the load id (raw.ingest_ledger.load_id)")
    p.add_argument("--reason", required=True, help="why the failure is accepted (recorded)")
    add_warehouse(p)
    add_now(p)
    p.set_defaults(func=_waive)


def _ingest(args: argparse.Namespace) -> int:
    if args.reason and not args.replay_quarantine:
        raise UsageError("--reason needs --replay-quarantine")
    layout = Layout.for_warehouse(args.warehouse, args.lake)
    if args.replay_quarantine:
        if layout.lake is not None:
            raise UsageError("--replay-quarantine does not work with a lake yet")
        return replay.main(
            warehouse=Layout.for_warehouse(args.warehouse).warehouse,
            now=now_of(args),
            reasons=args.reason,
            quiet=args.quiet,
        )
    return ingest.main(
        landing=args.landing or config.landing_dir(),
        warehouse=layout.warehouse,
        now=now_of(args),
        quiet=args.quiet,
        lake=layout.lake,
    )


def _waive(args: argparse.Namespace) -> int:
    layout = Layout.for_warehouse(args.warehouse)
    if not layout.warehouse.is_file():
        raise OperationalError(f"warehouse {layout.warehouse} does not exist")
    with open_warehouse(layout.warehouse) as con:
        load = quality_gate.waive(con, args.load_id, args.reason, now_of(args))
    print(
        f"floop waive: load {load.load_id} waived ({len(load.failed)} failed expectation(s): "
        f"{', '.join(label for _, label in load.failed)}); reason recorded in raw.load_waivers"
    )
    return 0
