"""The `spark` target of profiles.yml (groundwork of issue 17): dbt-spark's session method
finds pyspark and a JVM, and the project parses against it. The build on Spark over the lake
and its equality with DuckDB: test_spark_equality.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from floop.config import Layout
from floop.dbt import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.spark]


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    if shutil.which("java") is None:
        pytest.skip("no java on PATH (scripts/setup.sh installs openjdk-17-jre-headless as root)")
    return Layout.for_warehouse(tmp_path_factory.mktemp("spark") / "w.duckdb")


def test_the_project_parses_for_spark(layout: Layout) -> None:
    proc = run_dbt(["parse", "--target", "spark"], layout, capture=True)
    assert "Registered adapter: spark=1.11.0" in proc.stdout
    assert (layout.dbt_target / "manifest.json").is_file()


def test_dbt_debug_starts_a_local_spark_session(layout: Layout) -> None:
    """A real JVM (local[2] by default): the connection test runs a query in it."""
    proc = run_dbt(["debug", "--target", "spark"], layout, capture=True)
    assert "All checks passed!" in proc.stdout
    # nothing of Spark's lands in the project folder (dbt runs there)
    project = Path(__file__).resolve().parent.parent
    left = [p for p in ("metastore_db", "spark-warehouse", "derby.log") if (project / p).exists()]
    assert left == []


def test_spark_settings_come_from_the_environment() -> None:
    profile = (Path(__file__).resolve().parent.parent / "profiles.yml").read_text()
    assert "env_var('FLOOP_SPARK_MASTER', 'local[2]')" in profile
