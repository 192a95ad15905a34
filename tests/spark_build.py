"""`python tests/spark_build.py OUT DBT_ARGS...`: run dbt on the spark target in this process
(dbt's own `dbtRunner`), in the two phases of floop.spark_phases with the floop step computing
the dbt Python models' rows between them (as the Dagster asset does; one Spark session for
both, no second JVM start), then, in the same session, say where each model's and seed's rows
are as Parquet, for test_spark_equality to read with DuckDB. run_results.json holds both
phases' results.

Run as a child process by the test, with floop.dbt's environment (warehouse, lake, clock, hash
key, profile, target folder) and the project folder as its working directory. Writes
OUT/locations.json: {name: Parquet folder}. A table's folder is its own (Spark's warehouse
directory); a view has no files, so its rows are written to OUT/views/<name>. Exit status:
dbt's (0 when the build succeeded).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from collections.abc import Iterator
from pathlib import Path

from dbt.cli.main import dbtRunner
from pyspark.sql import SparkSession

from floop.config import Layout
from floop.spark_phases import run_in_phases, spark_phases


def _relations(target: Path) -> dict[str, tuple[str, str]]:
    """{name: (schema.alias, materialization)} of the enabled models and seeds dbt built."""
    manifest = json.loads((target / "manifest.json").read_text())
    built = {
        r["unique_id"]
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["status"] == "success"
    }
    return {
        node["name"]: (f"{node['schema']}.{node['alias']}", node["config"]["materialized"])
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and uid in built
    }


def _location(spark: SparkSession, relation: str) -> str:
    rows = spark.sql(f"describe table extended {relation}").collect()
    location = next(r.data_type for r in rows if r.col_name == "Location")
    return location.removeprefix("file:")


def _build_in_phases(args: list[str], target: Path) -> bool:
    """`dbt ARGS` (a build on the spark target) in floop.spark_phases' two phases; leaves one
    run_results.json with both phases' results. Whether every phase succeeded."""
    runner = dbtRunner()
    if not runner.invoke(["parse", "--target", "spark", "--quiet"]).success:
        return False
    manifest = json.loads((target / "manifest.json").read_text())
    lake = os.environ.get("FLOOP_LAKE") or None
    layout = Layout.for_warehouse(os.environ["FLOOP_WAREHOUSE"], lake)
    results: list[dict] = []
    success = []

    def run(phase: list[str]) -> Iterator[None]:
        success.append(runner.invoke([*args, *phase]).success)
        path = target / "run_results.json"
        if path.exists():
            results.extend(json.loads(path.read_text())["results"])
        yield None

    phases = spark_phases(manifest)
    for _ in run_in_phases(run, layout, manifest, phases):  # stand-ins: those with inputs
        pass
    if not results:
        return False
    merged = json.loads((target / "run_results.json").read_text())
    merged["results"] = results
    (target / "run_results.json").write_text(json.dumps(merged))
    return all(success)


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    target = Path(os.environ["DBT_TARGET_PATH"])
    success = _build_in_phases(argv[1:], target)
    if not (target / "run_results.json").exists():
        return 1
    spark = SparkSession.builder.getOrCreate()  # dbt-spark's session, still running
    locations = {}
    for name, (relation, materialized) in sorted(_relations(target).items()):
        if materialized == "view":
            path = out / "views" / name
            spark.table(relation).write.mode("overwrite").parquet(str(path))
            locations[name] = str(path)
        else:
            locations[name] = _location(spark, relation)
    (out / "locations.json").write_text(json.dumps(locations, indent=1))
    # CPU seconds of the driver's JVM and of this process: the cost of the build apart from
    # the machine's other load (docs/scale-out.md quotes them)
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    jvm_cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    usage = resource.getrusage(resource.RUSAGE_SELF)
    python_cpu = usage.ru_utime + usage.ru_stime
    print(f"spark_build: cpu driver jvm {jvm_cpu:.0f} s, python {python_cpu:.0f} s")
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
