"""Shared fixtures. The expensive one, `built_warehouse`, is built once per test session:
simulated traffic -> floop ingest -> dbt build, on a real DuckDB file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from floop.cli import main
from floop.config import parse_now
from floop.dbt import run_dbt

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_DIR.parent / "shared"

# A fixed clock for every test that judges time.
TEST_NOW = "2026-11-20T00:00:00Z"
SIM_START = "2026-10-30"
SIM_DAYS = 21

os.environ.setdefault("DAGSTER_TELEMETRY_DISABLED", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
# One hash key for the whole suite, so that warehouses built apart (incremental vs full, lake vs
# file) hash ids alike; tests of the key itself (test_hash_key.py, test_forget.py) unset it.
os.environ.setdefault("FLOOP_HASH_KEY", "floop-test-suite-hash-key")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED_DIR / "spec" / "events-v1.md").exists():
        pytest.skip(f"../shared not found at {SHARED_DIR}: tests on the shared spec/real data skip")
    return SHARED_DIR


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated landing folder (same seed every session)."""
    root = tmp_path_factory.mktemp("demo")
    landing = root / "landing"
    rc = main(
        [
            "simulate",
            "--out",
            str(landing),
            "--days",
            str(SIM_DAYS),
            "--tasks-per-day",
            "60",
            "--seed",
            "11",
            "--start",
            SIM_START,
        ]
    )
    assert rc == 0
    return landing


@pytest.fixture(scope="session")
def built_warehouse(demo_landing: Path) -> Iterator[Path]:
    """Ingested and dbt-built warehouse on the demo landing. Read-only for tests: copy it
    (``tmp_copy``) before writing."""
    wh = demo_landing.parent / "floop.duckdb"
    assert (
        main(
            [
                "ingest",
                "--landing",
                str(demo_landing),
                "--warehouse",
                str(wh),
                "--now",
                TEST_NOW,
                "--quiet",
            ]
        )
        == 0
    )
    run_dbt(["build"], wh, now=parse_now(TEST_NOW))
    yield wh
