"""The Spark build's output, read by DuckDB: where its tables' Parquet files are, the
warehouse's views over them, and what the spark target leaves out.

dbt on the spark target writes every table and seed as a Parquet table under
spark.sql.warehouse.dir (`Layout.spark_warehouse`): `<schema>.db/<table>/part-*.parquet`, or
`<schema>.db/<table>/<column>=<value>/part-*.parquet` for a partitioned one.
After a Spark build the warehouse DuckDB file gets one view per such table, `<schema>.<table>`
over its files (`mirror_tables`), so whatever reads the warehouse after dbt (the exports, the
summary, the analyst copy) reads Spark's output as it reads DuckDB's tables, with DuckDB
scanning the Parquet: no table passes through Python. dbt views (the staging models) have no
files and are not mirrored; nothing after dbt reads staging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from floop.config import Layout
from floop.registry import REGISTRY_COLUMNS, REGISTRY_SCHEMA, REGISTRY_TABLE
from floop.sql import quote_ident, sql_str
from floop.warehouse import connect, table_exists

# dbt materializations that leave Parquet files on Spark (incremental models are tables there).
_WITH_FILES = ("table", "incremental", "seed")
# The one file of Spark's registry table floop writes (Spark skips names starting with . or _).
REGISTRY_FILE = "part-00000-floop-registry.parquet"


@dataclass
class MirrorResult:
    """The views created, and the built tables that had no Parquet files to read."""

    views: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def table_dir(layout: Layout, schema: str, name: str) -> Path:
    """The folder of Spark table SCHEMA.NAME (Spark's default location: lower-case names)."""
    return layout.spark_warehouse / f"{schema.lower()}.db" / name.lower()


def built_tables(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(schema, table) of every enabled model and seed the build leaves as Parquet files."""
    out = []
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") not in ("model", "seed"):
            continue
        if node.get("config", {}).get("materialized") in _WITH_FILES:
            out.append((node["schema"], node.get("alias") or node["name"]))
    return sorted(out)


def disabled_models(manifest: dict[str, Any]) -> list[str]:
    """Names of the models the target disables with nothing in their place. None on Spark: the
    dbt Python models are disabled there, but an enabled SQL model of the same name stands in
    for each (floop.spark_stats)."""
    enabled = {
        node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
    }
    return sorted(
        {
            node["name"]
            for nodes in manifest.get("disabled", {}).values()
            for node in nodes
            if node.get("resource_type") == "model"
        }
        - enabled
    )


def _drop_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """A table of that name (an earlier DuckDB build of this warehouse) gives way to the view:
    the build's tables are derived data, rebuilt by the next build on either engine."""
    kind = con.execute(
        "select table_type from information_schema.tables "
        "where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    if kind is not None and kind[0] == "BASE TABLE":
        con.execute(f'drop table "{schema}"."{name}"')


def parquet_select(
    con: duckdb.DuckDBPyConnection, folder: Path, columns: dict[str, str | None] | None = None
) -> str | None:
    """DuckDB SQL selecting the rows of the Spark table in FOLDER; None when it has no files
    and COLUMNS does not give every column's type.

    A partitioned table (the incremental models on Spark: macros/spark_incremental.sql) keeps
    its files in `column=value` folders, the partition column not in the files: it is read
    back from the folder names, and Spark lists it last, so the columns are put in the order
    of COLUMNS (the model's, from the manifest: name -> DuckDB type) when they are the same
    set. An empty partitioned table has no file at all (an unpartitioned one has a file
    without rows): it is read as no rows of COLUMNS' types (the model's contract)."""
    if any(folder.glob("*.parquet")):
        files = sql_str(f"{folder.as_posix()}/*.parquet")
        return f"select * from read_parquet({files}, hive_partitioning = false)"
    if not any(folder.glob("*=*/*.parquet")):
        if columns and all(columns.values()):
            typed = ", ".join(f"cast(null as {t}) as {quote_ident(c)}" for c, t in columns.items())
            return f"select {typed} limit 0"
        return None
    files = sql_str(f"{folder.as_posix()}/*=*/*.parquet")
    relation = f"read_parquet({files}, hive_partitioning = true)"
    found = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
    if columns and sorted(columns) == sorted(found):
        return f"select {', '.join(quote_ident(c) for c in columns)} from {relation}"
    return f"select * from {relation}"


def _declared_columns(manifest: dict[str, Any]) -> dict[tuple[str, str], dict[str, str | None]]:
    """{(schema, table): {column: DuckDB type or None}} as MANIFEST's YAML declares them."""
    return {
        (node["schema"], node.get("alias") or node["name"]): {
            name: col.get("data_type") for name, col in (node.get("columns") or {}).items()
        }
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") in ("model", "seed")
    }


def mirror_tables(
    layout: Layout, manifest: dict[str, Any], names: set[str] | None = None
) -> MirrorResult:
    """In LAYOUT's warehouse, a view `<schema>.<table>` over the Parquet files of each table
    the Spark build of MANIFEST wrote (or of those among NAMES), replacing a view or table of
    that name."""
    result = MirrorResult()
    declared = _declared_columns(manifest)
    with connect(layout.warehouse) as con:
        for schema, name in built_tables(manifest):
            if names is not None and name not in names:
                continue
            select = parquet_select(
                con, table_dir(layout, schema, name), declared.get((schema, name))
            )
            if select is None:
                result.missing.append(f"{schema}.{name}")
                continue
            con.execute(f'create schema if not exists "{schema}"')
            _drop_table(con, schema, name)
            con.execute(f'create or replace view "{schema}"."{name}" as {select}')
            result.views.append(f"{schema}.{name}")
    return result


def copy_registry(layout: Layout) -> int:
    """The warehouse's `registry.dataset_manifests` (written by the exports) as the Parquet
    file of Spark's table of that name (created empty by macros/spark_sources.sql), so the
    lineage models built on Spark list the manifests. Replaced whole (renamed into place);
    returns the rows."""
    folder = table_dir(layout, REGISTRY_SCHEMA, REGISTRY_TABLE.split(".")[1])
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{REGISTRY_FILE}.tmp"
    # JSON as text: Spark's column is a string
    cols = ", ".join(
        f'cast("{c}" as varchar) as "{c}"' if t == "JSON" else f'"{c}"'
        for c, t in REGISTRY_COLUMNS
    )
    with connect(layout.warehouse, read_only=True) as con:
        if not table_exists(con, REGISTRY_TABLE):
            return 0
        con.execute(
            f"copy (select {cols} from {REGISTRY_TABLE} order by manifest_id) "
            f"to {sql_str(str(tmp))} (format parquet)"
        )
        row = con.execute(f"select count(*) from {REGISTRY_TABLE}").fetchone()
    tmp.replace(folder / REGISTRY_FILE)
    return int(row[0]) if row else 0


def spark_notes(manifest: dict[str, Any]) -> list[str]:
    """What a run on the spark engine leaves out or does differently, one line each (`floop
    run` prints them)."""
    disabled = disabled_models(manifest)
    return [
        "engine spark: dbt unit tests not run (their fixtures are DuckDB SQL); the data tests "
        "ran as checks",
        "engine spark: the dbt Python models' rows computed by floop between two dbt phases "
        "(SQL models of the same names read them); disabled on this target: "
        + (", ".join(disabled) or "none"),
        "engine spark: the dbt docs site is made without a catalog (no column types or row "
        "counts: reading them would start one more JVM)",
    ]
