"""The Spark build's phases and the floop step between them, without a JVM: which nodes each
phase builds, the dbt Python models' tables computed from Parquet in Spark's layout (written
here by DuckDB) by the same functions the .py models call, and dbt's partial-parse state
forgotten when a twin model changes. The real Spark build: tests/test_spark_equality.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from floop.config import Layout
from floop.dbt import forget_partial_parse_of_twins
from floop.errors import OperationalError
from floop.spark_build import disabled_models, table_dir
from floop.spark_phases import run_in_phases, spark_phases
from floop.spark_stats import output_dir, write_outputs
from floop.sql import sql_str
from floop.taxonomy_changes import taxonomy_change_tests


def _node(kind: str, name: str, *parents: str, schema: str = "intermediate") -> dict[str, Any]:
    return {
        "resource_type": kind,
        "name": name,
        "alias": name,
        "schema": schema,
        "depends_on": {"nodes": list(parents)},
        "config": {"materialized": "table"},
    }


def _manifest() -> dict[str, Any]:
    dist, stand_in = (
        "model.floop.int_label_version_distribution",
        "model.floop.int_taxonomy_change_tests",
    )
    mart, other = "model.floop.fct_taxonomy_changes", "model.floop.fct_other"
    nodes = {
        dist: _node("model", "int_label_version_distribution"),
        stand_in: _node("model", "int_taxonomy_change_tests", dist),
        mart: _node("model", "fct_taxonomy_changes", stand_in, schema="marts"),
        other: _node("model", "fct_other", dist, schema="marts"),
        "test.floop.t_dist": _node("test", "t_dist", dist),
        "test.floop.t_mart": _node("test", "t_mart", mart),
        "test.floop.t_mixed": _node("test", "t_mixed", mart, other),
    }
    children: dict[str, list[str]] = {uid: [] for uid in nodes}
    for uid, node in nodes.items():
        for parent in node["depends_on"]["nodes"]:
            children[parent].append(uid)
    return {"nodes": nodes, "child_map": children, "disabled": {}}


def test_the_phases_split_the_stand_ins_and_their_descendants_from_the_rest() -> None:
    phases = spark_phases(_manifest())
    # a test that reads a model of each phase runs in the second, after both are built
    assert phases.first == [
        "--exclude",
        "fct_taxonomy_changes int_taxonomy_change_tests t_mart t_mixed",
    ]
    assert phases.second == [
        "--exclude",
        "fct_other int_label_version_distribution t_dist",
        "--indirect-selection",
        "cautious",
    ]
    assert phases.second_models == ["fct_taxonomy_changes", "int_taxonomy_change_tests"]
    assert phases.stand_ins == ["int_taxonomy_change_tests"]


DISTRIBUTION = """
select * from (values
    ('intent', 'v1', 'billing', true, 30, timestamp '2026-11-01 08:00:00', null),
    ('intent', 'v1', 'bug', true, 10, timestamp '2026-11-01 08:00:00', null),
    ('intent', 'v2', 'billing', true, 12, timestamp '2026-11-02 09:30:00', 'v1'),
    ('intent', 'v2', 'bug', true, 20, timestamp '2026-11-02 09:30:00', 'v1'),
    ('intent', 'v2', 'refund', false, 5, timestamp '2026-11-02 10:00:00', 'v1')
) as t(label_name, taxonomy_version, label_value, is_declared_value, label_count,
       version_first_labeled_at, previous_taxonomy_version)
"""


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout.for_warehouse(tmp_path / "w.duckdb")


def test_the_floop_step_writes_what_the_python_model_computes(layout: Layout) -> None:
    folder = table_dir(layout, "intermediate", "int_label_version_distribution")
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy ({DISTRIBUTION}) to {sql_str(str(folder / 'part-0.parquet'))}")
        expected = taxonomy_change_tests(con.sql(DISTRIBUTION))
    assert len(expected) == 1
    phase_args: list[list[str]] = []

    def run(args: list[str]) -> Any:
        phase_args.append(args)
        yield len(phase_args)

    manifest = _manifest()
    phases = spark_phases(manifest)
    assert list(run_in_phases(run, layout, manifest, phases, log=lambda _: None)) == [1, 2]
    assert phase_args == [phases.first, phases.second]
    out = output_dir(layout, "int_taxonomy_change_tests")
    assert [p.name for p in out.iterdir()] == ["part-00000-floop.parquet"]  # no temp file left
    with duckdb.connect() as con:
        written = con.sql(f"select * from read_parquet({sql_str(str(out / '*.parquet'))})").df()
    assert written.astype(object).equals(expected.astype(object))


def test_without_the_stand_ins_inputs_the_second_phase_is_skipped(layout: Layout) -> None:
    """A build of a selection without them (the standalone cluster's subset)."""
    ran: list[list[str]] = []

    def run(args: list[str]) -> Any:
        ran.append(args)
        yield None

    phases = spark_phases(_manifest())
    list(run_in_phases(run, layout, _manifest(), phases, log=lambda _: None))
    assert ran == [phases.first]


def test_a_stand_in_asked_for_without_its_inputs_is_an_error(layout: Layout) -> None:
    assert write_outputs(layout, _manifest()) == {}  # none asked: those with inputs (none)
    with pytest.raises(OperationalError, match="int_label_version_distribution"):
        write_outputs(layout, _manifest(), ["int_taxonomy_change_tests"])


def test_a_stood_in_python_model_is_not_reported_disabled() -> None:
    manifest = _manifest()
    manifest["disabled"] = {
        "model.floop.int_taxonomy_change_tests": [_node("model", "int_taxonomy_change_tests")],
        "model.floop.fct_gone": [_node("model", "fct_gone")],
    }
    assert disabled_models(manifest) == ["fct_gone"]


def test_a_changed_twin_model_forgets_dbts_partial_parse(tmp_path: Path) -> None:
    models, target = tmp_path / "models", tmp_path / "target"
    models.mkdir()
    (models / "int_a.py").write_text("def model(dbt, session): ...\n")
    (models / "int_a.sql").write_text("select 1 as a\n")
    (models / "int_b.sql").write_text("select 1 as b\n")
    state = target / "partial_parse.msgpack"

    def parsed_again() -> bool:
        state.parent.mkdir(exist_ok=True)
        state.write_bytes(b"saved")
        forget_partial_parse_of_twins(target, tmp_path)
        return not state.exists()

    assert parsed_again()  # no fingerprint yet
    assert not parsed_again()
    (models / "int_b.sql").write_text("select 2 as b\n")  # no twin: partial parsing copes
    assert not parsed_again()
    (models / "int_a.sql").write_text("select 2 as a\n")
    assert parsed_again()
