"""The one Dagster `Definitions` of floop: this module only assembles.

`dagster dev -m orchestration.definitions` (scripts/dagster-ui.sh) loads `defs`, built for the
default paths and engine (FLOOP_WAREHOUSE, FLOOP_LANDING, FLOOP_LAKE, FLOOP_ENGINE, ... see
floop/config.py). `floop run` and the tests call `build_defs(...)` for their own paths and
run the same job in-process. The engine reaches the assets only through the resources: the
dbt resource's target and `FloopPaths.engine`.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from floop import config
from floop.config import Layout
from orchestration.assets.dbt import build_dbt_assets
from orchestration.assets.exports import build_export_assets
from orchestration.assets.ingest import build_ingest_asset
from orchestration.assets.publish import build_analyst_copy_asset
from orchestration.resources import FloopPaths, dbt_project, dbt_resource, read_manifest
from orchestration.sensors import build_landing_sensor
from orchestration.translator import mart_keys

JOB_NAME = "floop_job"
REGISTRY_KEY = dg.AssetKey(["registry", "dataset_manifests"])


def build_defs(
    warehouse: Path | None = None,
    landing: Path | None = None,
    exports: Path | None = None,
    analyst_copy: Path | None = None,
    policies_dir: Path | None = None,
    prepare: bool = False,
    lake: Path | None = None,
    engine: str | None = None,
) -> dg.Definitions:
    layout = Layout.for_warehouse(warehouse, lake, config.engine_name(engine))
    paths = FloopPaths(
        warehouse=str(layout.warehouse),
        landing=str(Path(landing or config.landing_dir()).resolve()),
        exports=str(Path(exports or layout.exports).resolve()),
        analyst_copy=str(Path(analyst_copy or layout.analyst_copy).resolve()),
        policies_dir=str(Path(policies_dir or config.POLICIES_DIR).resolve()),
        lake=str(layout.lake or ""),
        engine=layout.engine,
    )
    project = dbt_project(layout, prepare=prepare)
    manifest = read_manifest(project)
    marts = mart_keys(manifest)
    interactions = [k for k in marts if k.path[-1] == "fct_interactions"]
    export_assets = build_export_assets(Path(paths.policies_dir), interactions or marts)
    export_keys = [k for a in export_assets for k in a.keys]
    publish_asset = build_analyst_copy_asset(
        project, export_keys + marts
    )
    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all(),
        description="ingest -> dbt build (tests as checks) -> exports -> analyst copy",
    )
    return dg.Definitions(
        assets=[
            build_ingest_asset(manifest),
            *build_dbt_assets(project, manifest, export_keys),
            dg.AssetSpec(
                REGISTRY_KEY,
                deps=export_keys,
                group_name="exports",
                kinds={"duckdb"},
                description="registry.dataset_manifests: one row per manifest, written by "
                "the exports (floop/registry.py).",
            ),
            *export_assets,
            publish_asset,
        ],
        jobs=[job],
        schedules=[
            dg.build_schedule_from_partitioned_job(
                job, name="daily", hour_of_day=0, minute_of_hour=30
            )
        ],
        sensors=[build_landing_sensor(job)],
        resources={"floop": paths, "dbt": dbt_resource(project, layout.engine)},
        # One DuckDB writer at a time: steps run one after another in one process.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded by `dagster dev` / the webserver; lazy so importing this module is cheap."""
    return build_defs()
