"""Project defaults, overridable by environment variables, so plain commands just work."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

# The repo root: dbt_project.yml, models/ and the default data folders live here.
PROJECT_DIR = Path(__file__).resolve().parent.parent


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


def warehouse_path() -> Path:
    """The writer's DuckDB file (FLOOP_WAREHOUSE)."""
    return _path("FLOOP_WAREHOUSE", PROJECT_DIR / "warehouse" / "floop.duckdb")


def landing_dir() -> Path:
    """The landing folder, the immutable event log (FLOOP_LANDING)."""
    return _path("FLOOP_LANDING", PROJECT_DIR / "landing")


def exports_dir() -> Path:
    """Where dataset exports are written (FLOOP_EXPORTS)."""
    return _path("FLOOP_EXPORTS", PROJECT_DIR / "exports")


def analyst_copy_path() -> Path:
    """The read-only copy analysts and dashboards read (FLOOP_ANALYST_COPY)."""
    return _path("FLOOP_ANALYST_COPY", warehouse_path().with_name("analyst.duckdb"))


def parse_now(value: str | None) -> datetime:
    """`--now` as a naive UTC datetime; the wall clock when not given."""
    if not value:
        return datetime.now(UTC).replace(tzinfo=None)
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt
