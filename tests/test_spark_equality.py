"""The same landing built on DuckDB and on Apache Spark gives the same rows and the same test
results (issue 17, item 5).

One simulated landing is ingested into a Parquet event log; dbt builds it on DuckDB (sources
over the lake) and on Spark `local[2]` (tables over the lake), with the same hash key and clock.
Every model and seed Spark builds (read from its manifest, so a new model is covered without
editing this file) is read back from Spark's Parquet with DuckDB and compared with DuckDB's
table: EXCEPT ALL both ways, doubles rounded to 9 places. The data tests must give the same
status on both engines. Then a Spark standalone cluster (a master and a worker started here on
127.0.0.1) builds a subset, compared the same way: nothing relies on local mode.

Real DuckDB, real dbt, real JVMs; skipped when `java` is missing. One build per engine for the
module (10.5-12.5 minutes on the shared 2-core machine at load 5-10; about 5-6 idle, estimated from
the builds' CPU time: docs/scale-out.md, section 5).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest

from floop.cli import main
from floop.config import PROJECT_DIR, Layout
from floop.dbt import child_env, key_env, run_dbt
from floop.spark_build import parquet_select
from floop.sql import sql_str

pytestmark = [pytest.mark.slow, pytest.mark.spark]

NOW = datetime(2026, 11, 4)
# the smallest landing that still puts rows in the marts (ramps, shadow pairs, weekly
# comparisons, late outcomes, quarantine, duplicates): 3 days x 120 tasks
SIMULATE = ["--days", "3", "--tasks-per-day", "120", "--seed", "7", "--start", "2026-11-01"]
# the subset the standalone cluster builds: interactions and the daily version outcomes, with
# every model and seed upstream of them
CLUSTER_SELECT = ["+fct_interactions", "+fct_version_outcomes_daily"]
# Models Spark builds that are not compared, each with its reason. Empty: every one compares.
# (fct_dataset_lineage compares, with an empty registry of exports on both engines: no export
# runs here, and Spark's registry is an empty table (macros/spark_sources.sql); its rows are the
# versions' lineage flags, `manifest_not_found`. test_the_registry_is_empty_on_both keeps it so.)
NOT_COMPARED: dict[str, str] = {}
DRIVER = Path(__file__).with_name("spark_build.py")
ROUND_TYPES = ("DOUBLE", "FLOAT", "REAL")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(lake, DuckDB warehouse): the simulated landing ingested into a Parquet event log."""
    if shutil.which("java") is None:
        pytest.skip("no java on PATH (scripts/setup.sh installs openjdk-17-jre-headless as root)")
    root = tmp_path_factory.mktemp("spark_eq")
    assert main(["simulate", "--out", str(root / "landing"), *SIMULATE]) == 0
    warehouse = root / "duck" / "w.duckdb"
    args = ["--landing", str(root / "landing"), "--lake", str(root / "lake")]
    assert main(["ingest", *args, "--warehouse", str(warehouse), "--now", NOW.isoformat()]) == 0
    return root / "lake", warehouse


@pytest.fixture(scope="module")
def duck(lake: tuple[Path, Path]) -> Layout:
    layout = Layout.for_warehouse(lake[1], lake[0])
    run_dbt(["build", "--exclude-resource-type", "unit_test", "--quiet"], layout, now=NOW)
    return layout


class SparkBuild(NamedTuple):
    out: Path  # locations.json: each model's Parquet folder
    target: Path  # dbt's target folder (manifest, run_results)


def spark_build(
    lake: Path, root: Path, args: list[str], extra_env: dict[str, str], out_name: str = "out"
) -> SparkBuild:
    """`dbt build --target spark ARGS` over LAKE, by tests/spark_build.py in a child process.
    Spark's tables stay in ROOT (a second build there is incremental); the locations go to
    ROOT/OUT_NAME."""
    layout = Layout.for_warehouse(root / "spark.duckdb", lake)  # no DuckDB file is made
    out = root / out_name
    out.mkdir(parents=True)
    env = {
        **os.environ,
        **child_env(layout, NOW),
        **key_env(layout),
        # tiny data: a few shuffle partitions, not Spark's 200 (profiles.yml)
        "FLOOP_SPARK_SHUFFLE_PARTITIONS": "2",
        **extra_env,
    }
    cmd = [sys.executable, str(DRIVER), str(out), "build", "--target", "spark"]
    cmd += ["--exclude-resource-type", "unit_test", *args]
    with (out / "dbt.log").open("w") as log:
        subprocess.run(cmd, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    # a failed node is reported by the tests below; no locations at all: see the log
    assert (out / "locations.json").exists(), f"the spark build failed: {out / 'dbt.log'}"
    return SparkBuild(out, layout.dbt_target)


@pytest.fixture(scope="module")
def spark_local(lake: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    # two dbt threads: the driver plans one query while Spark runs another
    return spark_build(lake[0], tmp_path_factory.mktemp("spark_local"), ["--threads", "2"], {})


def results(target: Path) -> dict[str, str]:
    run = json.loads((target / "run_results.json").read_text())
    return {r["unique_id"]: r["status"] for r in run["results"]}


def built_nodes(target: Path) -> dict[str, dict]:
    """The enabled models and seeds of a build's manifest, by name."""
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed") and node["config"].get("enabled", True)
    }


def differences(duck: Layout, spark_out: Path, names: list[str]) -> dict[str, str]:
    """{model: what differs} between DuckDB's table and Spark's Parquet for each of NAMES."""
    locations = json.loads((spark_out / "locations.json").read_text())
    duck_nodes = built_nodes(duck.dbt_target)
    found: dict[str, str] = {}
    with duckdb.connect() as con:
        con.execute(f"attach {sql_str(str(duck.warehouse))} as duck (read_only)")
        for name in names:
            node = duck_nodes.get(name)
            if node is None:
                found[name] = "not built on DuckDB"
                continue
            if name not in locations:
                found[name] = "no Parquet output on Spark"
                continue
            found_here = _compare(con, f"duck.{node['schema']}.{node['alias']}", locations[name])
            if found_here:
                found[name] = found_here
    return found


def _compare(con: duckdb.DuckDBPyConnection, relation: str, folder: str) -> str:
    """'' when RELATION and the Parquet files of FOLDER hold the same rows, else what differs."""
    duck_cols = con.execute(f"describe select * from {relation}").fetchall()
    # a partitioned table (an incremental model) in the model's column order, as the
    # warehouse's views read it
    select = parquet_select(con, Path(folder), {c[0]: c[1] for c in duck_cols})
    assert select is not None  # DuckDB's types are given: an empty table reads as no rows
    spark_rel = f"({select})"
    spark_cols = [c[0] for c in con.execute(f"describe select * from {spark_rel}").fetchall()]
    if [c[0] for c in duck_cols] != spark_cols:
        return f"columns differ: duckdb {[c[0] for c in duck_cols]} spark {spark_cols}"
    duck_sel, spark_sel = [], []
    for name, dtype, *_ in duck_cols:
        col = f'"{name}"'
        if dtype in ROUND_TYPES:
            duck_sel.append(f"round({col}, 9) as {col}")
            spark_sel.append(f"round(cast({col} as double), 9) as {col}")
        elif dtype == "JSON":  # Spark writes JSON as a string: compare the text
            duck_sel.append(f"cast({col} as varchar) as {col}")
            spark_sel.append(f"cast({col} as varchar) as {col}")
        else:
            duck_sel.append(col)
            spark_sel.append(f"cast({col} as {dtype}) as {col}")
    d = f"select {', '.join(duck_sel)} from {relation}"
    s = f"select {', '.join(spark_sel)} from {spark_rel}"
    only_duck = con.execute(f"select * from ({d} except all {s}) limit 3").fetchall()
    only_spark = con.execute(f"select * from ({s} except all {d}) limit 3").fetchall()
    if not only_duck and not only_spark:
        return ""
    return f"only on DuckDB: {only_duck}; only on Spark: {only_spark}"


def ran(build: SparkBuild) -> dict[str, str]:
    """{name: status} of the models and seeds the build ran."""
    nodes = {n["unique_id"]: name for name, n in built_nodes(build.target).items()}
    return {nodes[uid]: status for uid, status in results(build.target).items() if uid in nodes}


def test_every_model_spark_builds_has_duckdbs_rows(duck: Layout, spark_local: SparkBuild) -> None:
    enabled = set(built_nodes(spark_local.target))  # every enabled model and seed
    assert ran(spark_local) == dict.fromkeys(enabled, "success")
    assert len(enabled) > 80  # all but the few disabled on Spark (dbt_project.yml)
    assert differences(duck, spark_local.out, sorted(enabled - set(NOT_COMPARED))) == {}


# The marts built on the dbt Python models (on Spark: floop.spark_stats between two dbt phases):
# the landing gives each rows, so their equality is more than two empty tables.
# fct_taxonomy_changes is empty at this size (no label taxonomy changes version in 3 days);
# tests/test_spark_phases.py checks its function's output through the floop step.
FROM_PYTHON_MODELS = ["fct_bandit_allocations", "fct_experiment_results", "fct_version_gates"]


def test_the_marts_on_python_models_have_rows_on_spark(spark_local: SparkBuild) -> None:
    locations = json.loads((spark_local.out / "locations.json").read_text())
    with duckdb.connect() as con:
        rows = {
            name: con.execute(
                f"select count(*) from read_parquet({sql_str(locations[name] + '/*.parquet')})"
            ).fetchone()[0]  # type: ignore[index]
            for name in FROM_PYTHON_MODELS
        }
    assert all(rows.values()), rows


def test_the_registry_of_exports_is_empty_on_both(duck: Layout, spark_local: SparkBuild) -> None:
    """fct_dataset_lineage's equality holds for its versions only (see NOT_COMPARED)."""
    with duckdb.connect(str(duck.warehouse), read_only=True) as con:
        on_duck = con.execute("select count(*) from registry.dataset_manifests").fetchall()
        folder = json.loads((spark_local.out / "locations.json").read_text())[
            "stg_dataset_manifests"
        ]
        parquet = sql_str(folder + "/*.parquet")
        on_spark = con.execute(f"select count(*) from read_parquet({parquet})").fetchall()
    assert on_duck == on_spark == [(0,)]


def test_the_data_tests_give_the_same_results(duck: Layout, spark_local: SparkBuild) -> None:
    manifest = json.loads((spark_local.target / "manifest.json").read_text())
    tests = {  # a test of a model disabled on Spark is in the manifest, disabled
        uid
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "test" and n["config"].get("enabled", True)
    }
    on_spark = {uid: s for uid, s in results(spark_local.target).items() if uid in tests}
    on_duck = results(duck.dbt_target)
    assert set(on_spark) == tests  # every data test ran on Spark
    assert len(tests) > 300
    assert {u: (on_duck.get(u), s) for u, s in on_spark.items() if on_duck.get(u) != s} == {}
    assert "warn" in on_spark.values()  # a warning is compared too, not only passes


def test_nothing_of_spark_lands_in_the_project_folder(spark_local: SparkBuild) -> None:
    left = [
        p for p in ("metastore_db", "spark-warehouse", "derby.log") if (PROJECT_DIR / p).exists()
    ]
    assert left == []


# -- a Spark standalone cluster: a master and one worker on 127.0.0.1 ---------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(root: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`spark-class ARGS` (pyspark's launcher; it execs the JVM) in a process group of its own,
    so that stopping it also stops the executors a worker starts."""
    spec = importlib.util.find_spec("pyspark")  # the spark extra (pip install -e ".[spark]")
    assert spec is not None and spec.origin is not None, "pyspark is not installed"
    spark_class = Path(spec.origin).parent / "bin" / "spark-class"
    with (root / f"{name}.log").open("w") as log:
        return subprocess.Popen(
            [str(spark_class), *args],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for(root: Path, name: str, proc: subprocess.Popen, text: str, timeout: float) -> None:
    log = root / f"{name}.log"
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        assert proc.poll() is None, f"the Spark {name} exited: {log}"
        assert time.monotonic() < deadline, f"the Spark {name} did not start in {timeout}s: {log}"
        time.sleep(0.5)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Cluster(NamedTuple):
    url: str  # spark://127.0.0.1:PORT
    root: Path  # the master's and worker's logs, the worker's work folder


@pytest.fixture(scope="module")
def cluster(lake: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """spark://127.0.0.1:PORT of a running master with one worker (1 core, 1 GB); both stopped
    after the module, also when a test fails."""
    root = tmp_path_factory.mktemp("spark_cluster")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_WORKER_DIR": str(root / "work")}
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    master_args = ["--host", "127.0.0.1", "--port", str(port), "--webui-port", "0"]
    procs = [_start(root, "master", ["org.apache.spark.deploy.master.Master", *master_args], env)]
    try:
        _wait_for(root, "master", procs[0], "I have been elected leader", 180)
        worker_args = ["--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", "0"]
        worker_args += ["--work-dir", str(root / "work")]
        worker = ["org.apache.spark.deploy.worker.Worker", url, *worker_args]
        procs.append(_start(root, "worker", worker, env))
        _wait_for(root, "worker", procs[1], "Successfully registered with master", 180)
        yield Cluster(url, root)
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture(scope="module")
def spark_cluster(
    lake: tuple[Path, Path], cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> SparkBuild:
    env = {"FLOOP_SPARK_MASTER": cluster.url, "SPARK_LOCAL_IP": "127.0.0.1"}
    # models and seeds only: the data tests ran on Spark already (local mode, compared above)
    select = ["--select", *CLUSTER_SELECT, "--exclude-resource-type", "test"]
    return spark_build(lake[0], tmp_path_factory.mktemp("spark_on_cluster"), select, env)


def test_a_standalone_cluster_builds_the_same_rows(
    duck: Layout, spark_cluster: SparkBuild, cluster: Cluster
) -> None:
    built = ran(spark_cluster)
    assert set(results(spark_cluster.target).values()) == {"success"}
    assert {"fct_interactions", "fct_version_outcomes_daily", "stg_interactions"} <= set(built)
    assert differences(duck, spark_cluster.out, sorted(built)) == {}
    # the queries ran on the worker's executor: the driver was a client of the cluster
    worker_log = (cluster.root / "worker.log").read_text(errors="replace")
    assert "Asked to launch executor" in worker_log
