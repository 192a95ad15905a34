"""`floop dashboard`: the Streamlit app on 127.0.0.1."""

from __future__ import annotations

import argparse
from pathlib import Path

from floop import dashboard
from floop.cli.args import port
from floop.config import Layout


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dashboard",
        help="serve the dashboards on 127.0.0.1 (reads the analyst copy, read-only)",
        description="Serve the Streamlit dashboards on 127.0.0.1 from the analyst copy "
        "(written by `floop run`) or any DuckDB file with the marts, read-only.",
        epilog="example: floop dashboard --port 8600",
    )
    p.add_argument(
        "--warehouse",
        default=None,
        metavar="FILE",
        help="DuckDB file to read (default: the analyst copy `floop run` publishes, "
        f"{Layout.for_warehouse().analyst_copy}: $FLOOP_ANALYST_COPY, else analyst.duckdb "
        "beside $FLOOP_WAREHOUSE)",
    )
    p.add_argument("--port", type=port, default=8501, help="port (default 8501)")
    p.set_defaults(func=_dashboard)


def _dashboard(args: argparse.Namespace) -> int:
    warehouse = args.warehouse or Layout.for_warehouse().analyst_copy
    return dashboard.serve(Path(warehouse).expanduser().resolve(), args.port)
