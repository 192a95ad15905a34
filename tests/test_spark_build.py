"""floop.spark_build without a JVM: the warehouse's views over a Spark warehouse folder (the
Parquet files written here by DuckDB, in Spark's layout), and the registry copy. The real
Spark build runs in tests/test_run_spark.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from floop.config import Layout
from floop.export import ensure_registry_schema
from floop.spark_build import REGISTRY_FILE, built_tables, copy_registry, mirror_tables
from floop.sql import sql_str

MANIFEST = {
    "nodes": {
        "model.floop.fct_a": {
            "resource_type": "model",
            "name": "fct_a",
            "alias": "fct_a",
            "schema": "marts",
            "config": {"materialized": "table"},
        },
        "model.floop.stg_a": {
            "resource_type": "model",
            "name": "stg_a",
            "schema": "staging",
            "config": {"materialized": "view"},
        },
        "seed.floop.ref_a": {
            "resource_type": "seed",
            "name": "ref_a",
            "schema": "reference",
            "config": {"materialized": "seed"},
        },
        "model.floop.fct_empty": {
            "resource_type": "model",
            "name": "fct_empty",
            "schema": "marts",
            "config": {"materialized": "incremental"},
        },
    }
}


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Layout:
    monkeypatch.delenv("FLOOP_SPARK_WAREHOUSE_DIR", raising=False)
    return Layout.for_warehouse(tmp_path / "w.duckdb", tmp_path / "lake", "spark")


def _spark_table(layout: Layout, schema: str, name: str, sql: str) -> None:
    folder = layout.spark_warehouse / f"{schema}.db" / name
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").touch()
    # a connection of its own: the module's default one is shared with every earlier test
    with duckdb.connect() as con:
        con.execute(f"copy ({sql}) to {sql_str(str(folder / 'part-00000-x.parquet'))}")


def test_built_tables_are_the_models_and_seeds_with_files() -> None:
    assert built_tables(MANIFEST) == [
        ("marts", "fct_a"),
        ("marts", "fct_empty"),
        ("reference", "ref_a"),
    ]


def test_mirror_views_read_sparks_parquet_and_replace_an_older_table(layout: Layout) -> None:
    _spark_table(layout, "marts", "fct_a", "select range as id from range(5)")
    _spark_table(layout, "reference", "ref_a", "select 'x' as code")
    with duckdb.connect(str(layout.warehouse)) as con:  # an earlier DuckDB build's table
        con.execute("create schema marts; create table marts.fct_a as select 1 as id")
    result = mirror_tables(layout, MANIFEST)
    assert result.views == ["marts.fct_a", "reference.ref_a"]
    assert result.missing == ["marts.fct_empty"]
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_a").fetchone() == (5,)
        assert con.execute(
            "select table_type from information_schema.tables where table_name = 'fct_a'"
        ).fetchone() == ("VIEW",)
    # a step mirrors only its own tables
    assert mirror_tables(layout, MANIFEST, {"ref_a"}).views == ["reference.ref_a"]


def test_copy_registry_writes_the_exports_rows_where_spark_reads_them(layout: Layout) -> None:
    with duckdb.connect(str(layout.warehouse)) as con:
        ensure_registry_schema(con)
        con.execute(
            "insert into registry.dataset_manifests (manifest_id, row_counts, created_at) "
            """values ('m1', '{"a": 1}', timestamp '2026-11-03 00:00:00')"""
        )
    assert copy_registry(layout) == 1
    path = layout.spark_warehouse / "registry.db" / "dataset_manifests" / REGISTRY_FILE
    with duckdb.connect() as con:
        rows = con.execute(
            f"select manifest_id, row_counts, typeof(row_counts) from read_parquet('{path}')"
        ).fetchall()
    assert rows == [("m1", '{"a": 1}', "VARCHAR")]


def test_a_partitioned_table_is_read_with_its_partition_column_in_the_models_order(
    layout: Layout,
) -> None:
    """An incremental model on Spark: files in `column=value` folders, without that column;
    the view puts it back where the model has it (Spark's table lists it last)."""
    folder = layout.spark_warehouse / "staging.db" / "stg_p"
    with duckdb.connect() as con:
        for day, ids in (("2026-11-01", "range(2)"), ("2026-11-02", "range(2, 5)")):
            (folder / f"event_date={day}").mkdir(parents=True)
            target = sql_str(str(folder / f"event_date={day}" / "part-00000-x.parquet"))
            con.execute(f"copy (select range as id, 'v' as x from {ids}) to {target}")
    manifest = {
        "nodes": {
            "model.floop.stg_p": {
                "resource_type": "model",
                "name": "stg_p",
                "schema": "staging",
                "config": {"materialized": "incremental"},
                "columns": {"id": {}, "event_date": {}, "x": {}},
            }
        }
    }
    assert mirror_tables(layout, manifest).views == ["staging.stg_p"]
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        described = con.execute("describe staging.stg_p").fetchall()
        assert [(c[0], c[1]) for c in described] == [
            ("id", "BIGINT"),
            ("event_date", "DATE"),
            ("x", "VARCHAR"),
        ]
        rows = con.execute(
            "select event_date, count(*) from staging.stg_p group by all order by all"
        ).fetchall()
    assert [(str(d), n) for d, n in rows] == [("2026-11-01", 2), ("2026-11-02", 3)]


def test_an_empty_partitioned_table_is_no_rows_of_its_contract_types(layout: Layout) -> None:
    """Spark writes no file at all for an empty partitioned table (a model with no rows yet,
    e.g. no labels): the view is empty, typed by the model's declared columns."""
    (layout.spark_warehouse / "staging.db" / "stg_e").mkdir(parents=True)
    node = {
        "resource_type": "model",
        "name": "stg_e",
        "schema": "staging",
        "config": {"materialized": "incremental"},
        "columns": {"id": {"data_type": "varchar"}, "event_date": {"data_type": "date"}},
    }
    assert mirror_tables(layout, {"nodes": {"model.floop.stg_e": node}}).views == ["staging.stg_e"]
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        described = con.execute("describe staging.stg_e").fetchall()
        assert [(c[0], c[1]) for c in described] == [("id", "VARCHAR"), ("event_date", "DATE")]
        assert con.execute("select count(*) from staging.stg_e").fetchone() == (0,)
