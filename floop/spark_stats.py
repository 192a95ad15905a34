"""The dbt Python models' tables on Spark: the floop step between the Spark build's phases.

dbt-spark runs Python models on Databricks only (its `session` method has no Python path), so
on the spark target each dbt Python model is disabled and a SQL model of the same name stands
in for it (models/intermediate/<model>.sql, enabled on Spark only). Its rows come from here:
after the first phase has built the model's inputs — small aggregated tables, one row per arm
or per label version and value — this step reads them from Spark's Parquet output with DuckDB,
calls the same function the dbt Python model calls on DuckDB, and writes the result as one
Parquet file in `Layout.spark_python_outputs` (written beside, renamed into place), which the
stand-in reads in the second phase (floop.spark_phases). No row-level data reaches Python.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from floop.config import Layout
from floop.errors import OperationalError
from floop.spark_build import table_dir
from floop.sql import sql_str

# The one file of a model's folder (Spark skips names starting with . or _, as the temp file's).
OUTPUT_FILE = "part-00000-floop.parquet"


@dataclass(frozen=True)
class PythonModel:
    """A dbt Python model: the models it reads, in the order its function takes them, and
    that function as `module:name`. Imported when a stand-in is computed: they pull in scipy
    and pandas (~4 s), which every `floop run` would otherwise import through the dbt assets."""

    inputs: tuple[str, ...]
    function: str

    @property
    def compute(self) -> Callable[..., Any]:
        module, name = self.function.split(":")
        return getattr(importlib.import_module(module), name)


# model -> what its .py file calls, with the same inputs (the stand-in's `depends_on`)
PYTHON_MODELS: dict[str, PythonModel] = {
    "int_experiment_tests": PythonModel(
        ("fct_experiment_arm_stats", "int_experiment_arm_latency"),
        "floop.experiment_results:experiment_tests",
    ),
    "int_bandit_weights": PythonModel(
        ("int_experiment_arm_rewards",), "floop.bandit_weights:bandit_weights"
    ),
    "int_taxonomy_change_tests": PythonModel(
        ("int_label_version_distribution",), "floop.taxonomy_changes:taxonomy_change_tests"
    ),
}


def output_dir(layout: Layout, name: str) -> Path:
    """The folder of model NAME's Parquet file (macros/spark_python.sql reads it)."""
    return layout.spark_python_outputs / name


def _inputs(manifest: dict[str, Any], name: str) -> list[tuple[str, str]]:
    """(schema, table) of each input of stand-in NAME, checked against its SQL model's refs."""
    nodes = {
        n["name"]: n
        for n in manifest.get("nodes", {}).values()
        if n.get("resource_type") == "model"
    }
    declared = PYTHON_MODELS[name].inputs
    refs = sorted(u.rsplit(".", 1)[-1] for u in nodes[name]["depends_on"]["nodes"])
    if refs != sorted(declared):
        raise OperationalError(
            f"{name}: the SQL model reads {refs}, its function {list(declared)}: make them agree"
        )
    return [(nodes[i]["schema"], nodes[i].get("alias") or i) for i in declared]


def _files(layout: Layout, schema: str, table: str) -> str | None:
    folder = table_dir(layout, schema, table)
    return f"{folder.as_posix()}/*.parquet" if any(folder.glob("*.parquet")) else None


def write_outputs(
    layout: Layout, manifest: dict[str, Any], names: Collection[str] | None = None
) -> dict[str, int]:
    """Compute each Python model of NAMES (None: each whose inputs Spark has written) from its
    inputs' Parquet and write its file; returns {model: rows}. A model of NAMES whose input
    has no Parquet files raises OperationalError (build its inputs first)."""
    if names is None:
        models = {n["name"] for n in manifest.get("nodes", {}).values()}
        todo = sorted(n for n in PYTHON_MODELS if n in models)
    else:
        todo = sorted(names)
    import pandas as pd  # here: see PythonModel
    import pyarrow as pa
    import pyarrow.parquet as pq

    written = {}
    with duckdb.connect() as con:
        for name in todo:
            inputs = _inputs(manifest, name)
            files = [_files(layout, schema, table) for schema, table in inputs]
            if None in files:
                if names is None:
                    continue
                missing = [f"{s}.{t}" for (s, t), f in zip(inputs, files, strict=True) if not f]
                raise OperationalError(f"{name}: no Parquet files of {', '.join(missing)} yet")
            relations = [
                con.sql(f"select * from read_parquet({sql_str(f)}, hive_partitioning = false)")
                for f in files
                if f is not None
            ]
            result = PYTHON_MODELS[name].compute(*relations)
            if isinstance(result, pd.DataFrame):
                result = pa.Table.from_pandas(result, preserve_index=False)
            folder = output_dir(layout, name)
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{OUTPUT_FILE}.tmp"
            pq.write_table(result, tmp)
            tmp.replace(folder / OUTPUT_FILE)
            written[name] = result.num_rows
    return written
