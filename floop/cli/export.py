"""`floop export`: a dataset by policy, or `--verify` of an exported one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from floop.cli.args import add_warehouse, day
from floop.config import Layout, wall_clock
from floop.dataset_manifest import verify
from floop.errors import OperationalError
from floop.export import export_dataset


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a dataset by policy as Parquet with a manifest",
        description="Export a training or evaluation dataset chosen by a policy "
        "(policies/NAME.yml: consent, window, workflows, tenants, feedback filter, columns, "
        "split, partitioning) from marts.fct_interactions as Parquet with a reproducible "
        "manifest; or re-hash an export's files with --verify (exit 1 naming every changed, "
        "missing or extra file).",
        epilog="examples: floop export --policy support_finetune --as-of 2026-11-20\n"
        "          floop export --verify exports/support_finetune/<id16>/manifest.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--policy", metavar="NAME", help="policy name (a file in policies/)")
    add_warehouse(p)
    p.add_argument("--as-of", type=day, default=None, help="as-of date YYYY-MM-DD (default: today)")
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="output folder (default: exports/)"
    )
    p.add_argument(
        "--verify", type=Path, default=None, metavar="MANIFEST", help="re-hash a manifest's files"
    )
    p.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    if args.verify is not None:
        return _verify(args.verify)
    if not args.policy:
        raise OperationalError("give --policy NAME (a file in policies/) or --verify MANIFEST")
    layout = Layout.for_warehouse(args.warehouse)
    manifest_path = export_dataset(
        args.policy,
        layout.warehouse,
        args.as_of or wall_clock().date(),
        args.out or layout.exports,
    )
    m = json.loads(manifest_path.read_text())
    rows = m["rows"]
    print(
        f"exported {m['policy']['name']} as of {m['as_of']} "
        f"(window {m['window']['start']}..{m['window']['end']}): {rows['total']:,} rows "
        f"(train {rows['by_split']['train']:,}, eval {rows['by_split']['eval']:,}) "
        f"in {len(m['files']):,} files"
    )
    if rows["total"] == 0:
        print("warning: no row matched the policy (window, workflows, tenants, consent, filters)")
    print(f"manifest {m['manifest_id']}")
    print(f"  {manifest_path}")
    return 0


def _verify(manifest: Path) -> int:
    problems = verify(manifest)
    if problems:
        print(f"{manifest}: FAILED, {len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    n = len(json.loads(Path(manifest).read_text())["files"])
    print(f"{manifest}: OK ({n:,} files match their sha256)")
    return 0
