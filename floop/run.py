"""`floop run`: the main job. Ingest new landing files, dbt build (models + tests), dbt docs,
then print what the warehouse now knows."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path

from floop import config
from floop.cli import OperationalError


def _step(name: str, started: float) -> None:
    print(f"floop run: {name} done in {time.monotonic() - started:.1f}s", flush=True)


def run_steps(landing: Path, warehouse: Path, now: datetime) -> None:
    """Ingest, dbt build, dbt docs generate, in sequence (one DuckDB writer at a time)."""
    from floop.dbt import run_dbt
    from floop.ingest import ingest

    if not landing.is_dir():
        raise OperationalError(f"landing folder not found: {landing}")
    t = time.monotonic()
    ingest(landing, warehouse, now, progress=False)
    _step("ingest", t)

    dbt_vars = {"now": now.isoformat()}
    t = time.monotonic()
    run_dbt(["build"], warehouse, vars=dbt_vars)
    _step("dbt build", t)

    t = time.monotonic()
    run_dbt(["docs", "generate"], warehouse, vars=dbt_vars, capture=True)
    _step("dbt docs generate", t)


def print_summary(warehouse: Path) -> None:
    try:
        from floop.summary import print_summary as _print
    except ImportError:  # summary module not there yet: list what was built
        from floop.warehouse import connect

        con = connect(warehouse, read_only=True)
        try:
            rows = con.execute(
                "select table_schema, count(*) from information_schema.tables group by 1 order by 1"
            ).fetchall()
        finally:
            con.close()
        for schema, n in rows:
            print(f"  {schema}: {n} tables/views")
        return
    _print(warehouse)


def main(args: argparse.Namespace) -> int:
    landing = Path(args.landing or config.landing_dir()).resolve()
    warehouse = Path(args.warehouse or config.warehouse_path()).resolve()
    now = config.parse_now(args.now)
    started = time.monotonic()
    run_steps(landing, warehouse, now)
    print_summary(warehouse)
    print(f"floop run: finished in {time.monotonic() - started:.1f}s", flush=True)
    return 0
