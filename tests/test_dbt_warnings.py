"""The project's singular dbt tests that watch the loop fire when their condition holds and
stay quiet otherwise, on a copy of the built warehouse (real dbt, real DuckDB): stale goldens,
a labeler below the kappa threshold, an experiment seen without a config, a workflow with fewer
than three goldens."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import TEST_NOW

from floop.config import Layout, parse_now
from floop.dbt import run_dbt

pytestmark = pytest.mark.slow

WATCHERS = (
    "warn_stale_goldens",
    "warn_labeler_kappa_below_threshold",
    "warn_unconfigured_experiments",
    "assert_three_goldens_per_workflow",
)


@pytest.fixture()
def layout(built_warehouse: Path, tmp_path: Path) -> Layout:
    copy = tmp_path / "floop.duckdb"
    shutil.copy(built_warehouse, copy)
    return Layout.for_warehouse(copy)


def _test_results(
    layout: Layout, now: str, vars: dict[str, object] | None = None
) -> dict[str, tuple[str, int]]:
    """Runs the watchers; returns {test name: (status, failing rows)}."""
    run_dbt(["test", "--select", *WATCHERS], layout, now=parse_now(now), vars=vars, check=False)
    results = json.loads((layout.dbt_target / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"] or 0)
        for r in results
        if r["unique_id"].startswith("test.")
    }


def _execute(layout: Layout, sql: str) -> None:
    con = duckdb.connect(str(layout.warehouse))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_the_kappa_watcher_flags_what_the_mart_shows(layout: Layout) -> None:
    """At the default threshold (kappa 0.4) the warning lists exactly the labeler rows below
    it, the lowest being sme-3 (planted at 60% accuracy, against 95% and 80%) on the taxonomy
    with the most items; a handful of items per labeler here keeps the others' kappas noisy.
    Every other watcher passes on the simulated loop."""
    con = duckdb.connect(str(layout.warehouse), read_only=True)
    try:
        below = con.execute(
            "select count(*) from marts.fct_labeler_quality where kappa_vs_majority < 0.4"
        ).fetchall()[0][0]
        weakest = con.execute(
            "select labeler_id from marts.fct_labeler_quality where taxonomy_version = '2' "
            "order by kappa_vs_majority limit 1"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert below > 0 and weakest == "sme-3"
    results = _test_results(layout, TEST_NOW)
    assert results.pop("warn_labeler_kappa_below_threshold") == ("warn", below)
    assert {name: status for name, (status, _) in results.items()} == dict.fromkeys(
        WATCHERS[:1] + WATCHERS[2:], "pass"
    )


def test_stale_goldens_and_a_weak_labeler_warn(layout: Layout) -> None:
    """The goldens seed dates its tasks 2026-10-01 with a 90-day cadence: stale from
    2026-12-31. Every kappa is below 1.01, so each labeler with a majority to compare warns."""
    labelers = duckdb.connect(str(layout.warehouse), read_only=True)
    try:
        weak = labelers.execute(
            "select count(*) from marts.fct_labeler_quality where kappa_vs_majority < 1.01"
        ).fetchall()[0][0]
        goldens = labelers.execute("select count(*) from reference.golden_tasks").fetchall()[0][0]
    finally:
        labelers.close()
    assert weak > 0 and goldens > 0
    results = _test_results(layout, "2027-03-01T00:00:00Z", {"labeler_kappa_warn_threshold": 1.01})
    assert results["warn_stale_goldens"] == ("warn", goldens)
    assert results["warn_labeler_kappa_below_threshold"] == ("warn", weak)
    assert results["assert_three_goldens_per_workflow"][0] == "pass"


def test_an_unconfigured_experiment_warns_and_missing_goldens_fail(layout: Layout) -> None:
    """Removing the bandit's config and two goldens of rag_qa from the seeds' tables: the
    bandit is still seen in events, so it is analysed with the defaults (a warning); rag_qa is
    left with fewer than three goldens (an error)."""
    _execute(
        layout,
        "delete from reference.experiments where experiment_id = 'bandit-support-style';"
        "delete from reference.golden_tasks where golden_task_id in ("
        "  select golden_task_id from reference.golden_tasks where workflow = 'rag_qa'"
        "  order by golden_task_id offset 1)",
    )
    run_dbt(["run", "--select", "int_experiment_config"], layout, now=parse_now(TEST_NOW))
    results = _test_results(layout, TEST_NOW, {"labeler_kappa_warn_threshold": -1.01})
    assert results["warn_unconfigured_experiments"] == ("warn", 1)
    assert results["assert_three_goldens_per_workflow"] == ("fail", 1)
    assert results["warn_stale_goldens"][0] == "pass"
