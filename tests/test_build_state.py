"""Issue 14: a dbt build runs when its inputs changed since the last successful build, and only
then (floop.build_state). A real DuckDB file; the manifest's `sources` as dbt writes them."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from floop.build_state import plan_build, project_fingerprint, record_build
from floop.config import PROJECT_DIR, Layout
from floop.warehouse import connect, ensure_raw_schema

NOW = datetime(2026, 11, 20)


def _source(source_name: str, schema: str, name: str) -> dict[str, str]:
    return {"source_name": source_name, "schema": schema, "name": name, "identifier": name}


MANIFEST = {
    "sources": {
        "source.floop.events.interaction_events": _source("events", "raw", "interaction_events"),
        "source.floop.events.ingest_ledger": _source("events", "raw", "ingest_ledger"),
        "source.floop.events.gx_validations": _source("events", "raw", "gx_validations"),
        "source.floop.registry.dataset_manifests": _source(
            "registry", "registry", "dataset_manifests"
        ),
    },
    "child_map": {"source.floop.events.ingest_ledger": ["model.floop.m"]},
    "nodes": {
        "model.floop.m": {"raw_code": "select 1", "resource_type": "model"},
        "test.floop.t": {
            "name": "warn_stale",
            "raw_code": "select {{ floop_now() }}",
            "resource_type": "test",
        },
    },
}


def _project(tmp_path: Path) -> Path:
    """A copy of the dbt project's files (the fingerprint reads only those)."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, root / name)
    shutil.copytree(PROJECT_DIR / "macros", root / "macros")
    return root


def test_build_only_when_an_input_changed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    layout = Layout.for_warehouse(tmp_path / "wh.duckdb")
    con = connect(layout.warehouse)
    ensure_raw_schema(con)
    con.execute("create schema registry")
    con.execute("create table registry.dataset_manifests (manifest_id varchar)")
    con.close()

    def plan() -> tuple[bool, str]:
        p = plan_build(layout, MANIFEST, NOW, project)
        return p.build, p.reason

    def change(sql: str) -> None:
        with connect(layout.warehouse) as c:
            c.execute(sql)

    first = plan_build(layout, MANIFEST, NOW, project)
    assert first.build and "no record" in first.reason
    record_build(layout, MANIFEST, first, NOW)
    assert plan() == (
        False,
        "nothing new: no source changed since the build of 2026-11-20T00:00:00",
    )

    # rows appended to an event table (its count and last _ingested_at move)
    change(
        "insert into raw.interaction_events (event_id, _ingested_at) "
        "values ('e1', timestamp '2026-11-20 01:00')"
    )
    assert plan() == (True, "sources changed: source:events.interaction_events")
    # only what reads the changed source is built (issue 14: an incremental day)
    assert plan_build(layout, MANIFEST, NOW, project).select_args == [
        "--select",
        "source:events.interaction_events+",
    ]
    # as dagster-dbt gets it: what reads none of the changed sources (m reads the ledger)
    assert plan_build(layout, MANIFEST, NOW, project).unchanged == ["m"]
    record_build(layout, MANIFEST, plan_build(layout, MANIFEST, NOW, project), NOW)
    assert not plan()[0]

    # a bookkeeping table updated in place (no new row): hashed whole
    change("insert into raw.ingest_ledger (load_id, lines) values ('L1', 1)")
    record_build(layout, MANIFEST, plan_build(layout, MANIFEST, NOW, project), NOW)
    change("update raw.ingest_ledger set lines = 2")
    assert plan() == (True, "sources changed: source:events.ingest_ledger")
    record_build(layout, MANIFEST, plan_build(layout, MANIFEST, NOW, project), NOW)

    # the registry (written by exports after every build) is no reason to build
    change("insert into registry.dataset_manifests values ('m1')")
    assert not plan()[0]

    # a new day, nothing new: only the tests that read the clock, no model (issue 14)
    day_after = plan_build(layout, MANIFEST, datetime(2026, 11, 21), project)
    assert (day_after.build, day_after.select, day_after.changes_tables) == (
        True,
        ["warn_stale"],
        False,
    )

    # a project file changed
    before = project_fingerprint(project)
    (project / "macros" / "time.sql").write_text("-- changed\n")
    assert project_fingerprint(project) != before
    assert plan() == (True, "the dbt project changed since the last build")
    change("insert into raw.ingest_ledger (load_id, lines) values ('L2', 1)")
    assert plan_build(layout, MANIFEST, NOW, project).select == []  # the whole project


def test_a_data_only_day_runs_no_view(tmp_path: Path) -> None:
    """Views downstream of a changed source are left out of the `dbt run` selection (their
    definition did not change); the first build and a changed project build them."""
    project = _project(tmp_path)
    layout = Layout.for_warehouse(tmp_path / "wh.duckdb")
    con = connect(layout.warehouse)
    ensure_raw_schema(con)
    con.close()
    manifest = {
        "sources": MANIFEST["sources"],
        "child_map": {
            "source.floop.events.ingest_ledger": ["model.floop.v", "model.floop.other_v"],
            "model.floop.v": ["model.floop.t", "test.floop.not_null_v"],
        },
        "nodes": {
            "model.floop.v": {"name": "v", "resource_type": "model",
                              "config": {"materialized": "view"}},  # fmt: skip
            "model.floop.other_v": {"name": "other_v", "resource_type": "model",
                                    "config": {"materialized": "view"}},  # fmt: skip
            "model.floop.t": {"name": "t", "resource_type": "model",
                              "config": {"materialized": "table"}},  # fmt: skip
            "model.floop.w": {"name": "w", "resource_type": "model",
                              "config": {"materialized": "view"}},  # fmt: skip
        },
    }
    first = plan_build(layout, manifest, NOW, project)
    assert (first.select_args, first.views) == ([], [])  # the whole project, views too
    record_build(layout, manifest, first, NOW)
    con = connect(layout.warehouse)
    con.execute("insert into raw.ingest_ledger (load_id, lines) values ('L1', 1)")
    con.close()
    day = plan_build(layout, manifest, NOW, project)
    assert day.views == ["other_v", "v"]  # not w: it reads no changed source
    assert day.select_args == [
        "--select",
        "source:events.ingest_ledger+",
        "--exclude",
        "other_v v",
    ]
    (project / "macros" / "time.sql").write_text("-- changed\n")
    changed = plan_build(layout, manifest, NOW, project)
    assert (changed.select_args, changed.views) == ([], [])
