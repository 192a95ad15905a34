"""The dbt profile's DuckDB settings survive a spill (issue 14, found by the 10M benchmark).

dbt-duckdb runs the profile's `settings` as `SET` statements on every cursor it opens (one per
dbt thread and hook), but DuckDB refuses `SET temp_directory` once the current temporary
directory has been used, even to the same folder: the first model that spilled made every
later model of the build fail. The database-wide options (memory_limit, temp_directory) are
therefore `config_options`, applied once when the file is opened. The test opens the warehouse
through dbt-duckdb's own environment with floop's rendered profile, spills, and opens another
cursor as the next model would.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.environments.local import LocalEnvironment
from dbt.config.renderer import ProfileRenderer
from dbt_common.context import set_invocation_context

from floop.config import Layout
from floop.dbt import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, child_env, memory_limit_bytes

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    layout = Layout.for_warehouse(tmp_path / "floop.duckdb")
    for name, value in child_env(layout).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FLOOP_DUCKDB_MEMORY_LIMIT", "64MB")  # small enough to spill below
    set_invocation_context(dict(os.environ))  # what dbt's env_var() reads
    dev = yaml.safe_load((ROOT / "profiles.yml").read_text())["floop"]["outputs"]["dev"]
    rendered = ProfileRenderer({}).render_data(dev)  # as dbt renders the profile
    return layout, DuckDBCredentials.from_dict({**rendered, "database": "floop", "schema": "main"})


def test_a_spill_does_not_break_the_next_cursor(credentials) -> None:
    layout, creds = credentials
    env = LocalEnvironment(creds)
    first = env.handle().cursor()
    # a grouping of ~60 MB of distinct strings under a 64 MB limit: spills to the temp folder
    first.execute(
        "create table spilled as select md5(i::varchar) as k, count(*) as n "
        "from range(1500000) as r(i) group by k"
    )
    assert any(layout.duckdb_temp.iterdir()), "the query did not spill: the test proves nothing"
    second = env.handle().cursor()  # the next model's cursor: runs the profile's settings again
    assert second.execute("select count(*) from spilled").fetchall() == [(1_500_000,)]
    limit = second.execute("select current_setting('memory_limit')").fetchall()[0][0]
    assert limit.endswith("MiB") and float(limit.split()[0]) < 70  # the profile's limit applies


def test_database_wide_options_are_set_once_when_the_file_opens() -> None:
    dev = yaml.safe_load((ROOT / "profiles.yml").read_text())["floop"]["outputs"]["dev"]
    assert {"memory_limit", "temp_directory"} <= set(dev["config_options"])
    assert not {"memory_limit", "temp_directory"} & set(dev.get("settings", {}))


def test_the_profile_and_floop_share_their_defaults() -> None:
    """floop.dbt judges the threads against the same default limit the profile applies, and
    the profile's own fallback is floop's default thread count (plain `dbt` without floop)."""
    dev = yaml.safe_load((ROOT / "profiles.yml").read_text())["floop"]["outputs"]["dev"]
    limit = dev["config_options"]["memory_limit"]
    assert f"env_var('FLOOP_DUCKDB_MEMORY_LIMIT', '{DEFAULT_MEMORY_LIMIT}')" in limit
    assert f"env_var('FLOOP_DBT_THREADS', '{DEFAULT_THREADS}')" in dev["threads"]


def _rendered_threads(layout: Layout) -> object:
    set_invocation_context({**os.environ, **child_env(layout)})  # a dbt child's environment
    dev = yaml.safe_load((ROOT / "profiles.yml").read_text())["floop"]["outputs"]["dev"]
    return ProfileRenderer({}).render_data(dev)["threads"]


def test_models_build_one_at_a_time_once_the_warehouse_outgrows_the_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt's threads share one DuckDB memory_limit: two large models at once ran out of 4 GB at
    10M interactions where each fits alone, so a warehouse over half the limit gets one."""
    monkeypatch.delenv("FLOOP_DBT_THREADS", raising=False)
    layout = Layout.for_warehouse(tmp_path / "floop.duckdb")
    layout.warehouse.write_bytes(b"\0" * 3000)  # the size is all that is read
    monkeypatch.setenv("FLOOP_DUCKDB_MEMORY_LIMIT", "6KB")
    assert _rendered_threads(layout) == 2
    monkeypatch.setenv("FLOOP_DUCKDB_MEMORY_LIMIT", "5KB")
    assert _rendered_threads(layout) == 1
    monkeypatch.setenv("FLOOP_DBT_THREADS", "3")  # the user's choice wins
    assert _rendered_threads(layout) == 3


def test_memory_limit_texts() -> None:
    assert memory_limit_bytes("4GB") == 4 * 10**9
    assert memory_limit_bytes(" 512 MiB ") == 512 * 2**20
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert memory_limit_bytes("80%") == int(0.8 * total)
    assert memory_limit_bytes("lots") is None
