"""`floop docs`: the dbt docs site (models, columns, tests, owners, lineage) on 127.0.0.1."""

from __future__ import annotations

import argparse

from floop.cli.args import add_warehouse, port
from floop.config import Layout
from floop.dbt import serve_docs

DEFAULT_PORT = 8580


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "docs",
        help="serve the dbt docs site of a warehouse on 127.0.0.1",
        description="Serve the dbt docs site `floop run` generates for the warehouse (models, "
        "columns, tests, owners, tags, lineage graph) on 127.0.0.1 with `dbt docs serve`, "
        "until Ctrl-C. Opening target/index.html from disk does not work: browsers refuse "
        "its manifest.json from file://. Exit 2 when the docs were never generated.",
        epilog="example: floop docs --port 8580",
    )
    add_warehouse(p)
    p.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    p.set_defaults(func=_docs)


def _docs(args: argparse.Namespace) -> int:
    layout = Layout.for_warehouse(args.warehouse)
    print(
        f"floop docs: {layout.dbt_target} on http://127.0.0.1:{args.port} (Ctrl-C to stop)",
        flush=True,
    )
    serve_docs(layout, args.port)
