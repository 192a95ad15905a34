"""The analyst copy: allow-list of schemas, restricted columns, atomic swap."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import duckdb
import pytest

from floop.errors import OperationalError
from floop.publish import RESTRICTED_COLUMNS, publish_analyst_copy


def _warehouse(path: Path, marts_rows: int = 3) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create schema staging; create schema intermediate")
    con.execute("create schema marts; create schema registry")
    con.execute("create table raw.interaction_events as select 'u1' as user_id, 'x' as raw_line")
    con.execute("create table staging.stg_interactions as select 'k' as user_key")
    con.execute("create table registry.dataset_manifests as select 1 as id")
    con.execute("create table intermediate.int_documented as select 1 as a")
    con.execute("create table intermediate.int_undocumented as select 2 as b")
    con.execute("create table intermediate.int_protected as select 3 as c")
    con.execute(f"create table marts.fct_x as select range as n from range({marts_rows})")
    con.execute("create view marts.v_x as select n * 2 as m from marts.fct_x")
    con.close()
    return path


def _manifest(path: Path) -> Path:
    nodes = {
        "model.floop.int_documented": {
            "resource_type": "model",
            "schema": "intermediate",
            "name": "int_documented",
            "access": "public",
            "description": "One row per thing.",
            "columns": {"a": {"description": "The a."}},
        },
        "model.floop.int_protected": {
            "resource_type": "model",
            "schema": "intermediate",
            "name": "int_protected",
            "access": "protected",
            "description": "Documented, but not public: a building block of the marts.",
            "columns": {},
        },
        "model.floop.int_undocumented": {
            "resource_type": "model",
            "schema": "intermediate",
            "name": "int_undocumented",
            "description": "",
            "columns": {},
        },
        "model.floop.fct_x": {
            "resource_type": "model",
            "schema": "marts",
            "name": "fct_x",
            "description": "Numbers.",
            "columns": {"n": {"description": "A number."}},
        },
    }
    path.write_text(json.dumps({"nodes": nodes}))
    return path


def _schemas_and_columns(copy: Path) -> tuple[set[str], set[str]]:
    con = duckdb.connect(str(copy), read_only=True)
    try:
        schemas = {
            r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()
        }
        cols = {
            r[0].lower() for r in con.execute("select column_name from duckdb_columns()").fetchall()
        }
    finally:
        con.close()
    return schemas, cols


def test_copy_holds_marts_and_public_documented_intermediates_only(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb")
    res = publish_analyst_copy(wh, tmp_path / "analyst.duckdb", _manifest(tmp_path / "m.json"))
    assert sorted(res.tables) == ["intermediate.int_documented", "marts.fct_x", "marts.v_x"]
    schemas, cols = _schemas_and_columns(res.path)
    assert schemas == {"intermediate", "marts", "main"}
    assert not cols & RESTRICTED_COLUMNS
    con = duckdb.connect(str(res.path), read_only=True)
    assert con.execute("select count(*) from marts.fct_x").fetchone() == (3,)
    comment = con.execute(
        "select comment from duckdb_tables() where table_name = 'fct_x'"
    ).fetchone()
    assert comment == ("Numbers.",)
    con.close()
    assert not list(tmp_path.glob(".analyst.duckdb.tmp*"))


def test_restricted_column_in_a_mart_stops_the_publish(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb")
    dest = tmp_path / "analyst.duckdb"
    publish_analyst_copy(wh, dest)
    before = dest.read_bytes()
    con = duckdb.connect(str(wh))
    con.execute("create table marts.fct_leak as select 'u1' as user_id")
    con.close()
    with pytest.raises(OperationalError, match="marts.fct_leak.user_id"):
        publish_analyst_copy(wh, dest)
    assert dest.read_bytes() == before  # the previous copy stays
    assert not list(tmp_path.glob(".analyst.duckdb.tmp*"))


def test_reader_keeps_working_while_a_publish_swaps_the_file(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", marts_rows=3)
    dest = tmp_path / "analyst.duckdb"
    publish_analyst_copy(wh, dest)
    reader = duckdb.connect(str(dest), read_only=True)
    wh2 = _warehouse(tmp_path / "wh2.duckdb", marts_rows=50_000)

    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_loop() -> None:
        try:
            while not stop.is_set():
                seen.append(reader.execute("select count(*) from marts.fct_x").fetchone()[0])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    t = threading.Thread(target=read_loop)
    t.start()
    try:
        for _ in range(3):
            publish_analyst_copy(wh2, dest)
    finally:
        stop.set()
        t.join()
    assert not errors
    # The open reader saw the old file the whole time, never a partial one.
    assert seen and set(seen) == {3}
    reader.close()
    # A new reader sees the new copy.
    fresh = duckdb.connect(str(dest), read_only=True)
    assert fresh.execute("select count(*) from marts.fct_x").fetchone() == (50_000,)
    fresh.close()
