"""`floop import`: traces from OpenTelemetry GenAI, OpenInference and Langfuse exports into the
landing folder as contract events (docs/import.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from floop import config, importers
from floop.cli.args import add_landing


def _import(args: argparse.Namespace) -> int:
    landing = Path(args.landing or config.landing_dir())
    mapping = importers.load_mapping(args.mapping, args.tenant, args.task_type_from)
    result = importers.import_files(args.format, args.inputs, landing, mapping)
    for fi in result.files:
        if fi.error:
            print(f"floop import: error: {fi.source}: {fi.error}", file=sys.stderr)
        else:
            print(fi.line())
    totals = ", ".join(f"{n} {t}" for t, n in sorted(result.events.items())) or "no events"
    print(f"floop import: {len(result.files)} files, {totals} -> {landing}")
    if result.missing:
        missing = ", ".join(f"{f} {n}" for f, n in sorted(result.missing.items()))
        print(
            f"floop import: events missing a required field (ingest will quarantine them): "
            f"{missing}; see --tenant, --task-type-from, --mapping and docs/import.md"
        )
    return 2 if result.errors else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="convert OTel GenAI / OpenInference / Langfuse traces into landing events",
        description="Convert trace exports into contract v1 events, written as NDJSON files "
        "into the landing folder (one per input file, named from its hash, so re-importing "
        "adds nothing); `floop ingest` then checks them like every other event. Fields the "
        "source lacks come from --tenant, --task-type-from or a mapping YAML (docs/import.md); "
        "events still missing one are quarantined by ingest, never dropped. Exit 2 when an "
        "input file cannot be read.",
        epilog="example: floop import otlp traces/ --landing landing/ --tenant acme",
    )
    p.add_argument("format", choices=sorted(importers.KINDS), help="the input's format")
    p.add_argument("inputs", nargs="+", type=Path, metavar="FILE_OR_DIR", help="input files")
    add_landing(p)
    p.add_argument("--tenant", default=None, help="tenant_id when no attribute names one")
    p.add_argument(
        "--task-type-from", default=None, metavar="ATTR", help="attribute that names task_type"
    )
    p.add_argument("--mapping", type=Path, default=None, help="mapping YAML (docs/import.md)")
    p.set_defaults(func=_import)
