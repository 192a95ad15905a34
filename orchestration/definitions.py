"""The one Dagster `Definitions` of floop.

`dagster dev -m orchestration.definitions` (scripts/dagster-ui.sh) loads `defs`, built for the
default paths (FLOOP_WAREHOUSE, FLOOP_LANDING, ... see floop/config.py). `floop run` and the
tests call `build_defs(...)` for their own paths and run the same job in-process.
"""

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from floop import config
from floop.dbt import dbt_executable
from orchestration.assets import (
    FloopPaths,
    FloopTranslator,
    _manifest,
    build_analyst_copy_asset,
    build_dbt_assets,
    build_export_assets,
    build_ingest_asset,
    dbt_project,
    partition_for,
)

JOB_NAME = "floop_job"
POLICIES_DIR = config.PROJECT_DIR / "policies"
# Files in the landing folder that are not events (editor and copy leftovers).
IGNORED_SUFFIXES = (".tmp", ".part", ".swp")


def landing_files(landing: Path) -> list[str]:
    """Event files under LANDING, as paths relative to it."""
    if not landing.is_dir():
        return []
    return sorted(
        str(p.relative_to(landing))
        for p in landing.rglob("*")
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES)
    )


def build_landing_sensor(job: Any) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        job=job,
        minimum_interval_seconds=30,
        description="Starts the job when new files land. Cursor: the set of files seen, so "
        "each new file triggers exactly one run.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext, floop: FloopPaths) -> dg.SensorResult:
        seen = set(json.loads(context.cursor)) if context.cursor else set()
        files = landing_files(Path(floop.landing))
        new = sorted(set(files) - seen)
        if not new:
            return dg.SensorResult(skip_reason="no new landing files")
        now = datetime.now(UTC).replace(tzinfo=None)
        run_key = hashlib.sha256("\n".join(new).encode()).hexdigest()[:16]
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=run_key,
                    partition_key=partition_for(now),
                    tags={"floop/new_files": str(len(new))},
                )
            ],
            cursor=json.dumps(sorted(seen | set(new))),
        )

    return landing_sensor


def _beside(warehouse: Path, name: str, env: str, default: Path) -> Path:
    """DEFAULT when ENV is set or for the default warehouse; for any other warehouse file, NAME
    beside it, so a scratch warehouse never writes into the project's exports or analyst copy."""
    if os.environ.get(env) or warehouse == config.warehouse_path():
        return default
    return warehouse.with_name(name)


def build_defs(
    warehouse: Path | None = None,
    landing: Path | None = None,
    exports: Path | None = None,
    analyst_copy: Path | None = None,
    policies_dir: Path | None = None,
    prepare: bool = False,
) -> dg.Definitions:
    warehouse = Path(warehouse or config.warehouse_path()).resolve()
    paths = FloopPaths(
        warehouse=str(warehouse),
        landing=str(Path(landing or config.landing_dir()).resolve()),
        exports=str(
            Path(
                exports or _beside(warehouse, "exports", "FLOOP_EXPORTS", config.exports_dir())
            ).resolve()
        ),
        analyst_copy=str(
            Path(
                analyst_copy
                or _beside(
                    warehouse, "analyst.duckdb", "FLOOP_ANALYST_COPY", config.analyst_copy_path()
                )
            ).resolve()
        ),
        policies_dir=str(Path(policies_dir or POLICIES_DIR).resolve()),
    )
    project = dbt_project(warehouse, prepare=prepare)
    manifest = _manifest(project)
    ingest_asset = build_ingest_asset(manifest)
    dbt_defs = build_dbt_assets(project)
    translator = FloopTranslator()
    mart_keys = [
        translator.get_asset_key(node)
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and node.get("schema") == "marts"
    ]
    interactions = [k for k in mart_keys if k.path[-1] == "fct_interactions"]
    export_assets = build_export_assets(Path(paths.policies_dir), interactions or mart_keys)
    publish_asset = build_analyst_copy_asset(
        project, [k for a in export_assets for k in a.keys] + mart_keys
    )

    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all(),
        description="ingest -> dbt build (tests as checks) -> exports -> analyst copy",
    )
    schedule = dg.build_schedule_from_partitioned_job(
        job, name="daily", hour_of_day=0, minute_of_hour=30
    )
    return dg.Definitions(
        assets=[ingest_asset, dbt_defs, *export_assets, publish_asset],
        jobs=[job],
        schedules=[schedule],
        sensors=[build_landing_sensor(job)],
        resources={
            "floop": paths,
            "dbt": DbtCliResource(
                project_dir=project,
                profiles_dir=str(config.PROJECT_DIR),
                dbt_executable=dbt_executable(),
            ),
        },
        # One DuckDB writer at a time: steps run one after another in one process.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by `dagster dev` / the webserver; lazy so importing this module is cheap."""
    return build_defs()
