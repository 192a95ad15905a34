"""Resources: where floop's files live (`FloopPaths`) and the dbt project and CLI."""

import dataclasses
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from floop.build_state import project_fingerprint
from floop.config import PROJECT_DIR, Layout
from floop.dbt import (
    dbt_executable,
    dbt_target_name,
    launcher_executable,
    launcher_flags,
    run_dbt,
)


class FloopPaths(dg.ConfigurableResource):
    """Where floop's files live, for one deployment (or one test)."""

    warehouse: str
    landing: str
    exports: str
    analyst_copy: str
    policies_dir: str
    lake: str = ""  # the Parquet event log ingest writes and dbt reads ("": schema raw)
    engine: str = "duckdb"  # where dbt builds: duckdb or spark (floop.config.ENGINES)

    def layout(self) -> Layout:
        """The warehouse's Layout, with the exports, analyst copy, lake and engine this
        deployment names."""
        return dataclasses.replace(
            Layout.for_warehouse(self.warehouse, self.lake_path, self.engine),
            exports=Path(self.exports),
            analyst_copy=Path(self.analyst_copy),
            lake=self.lake_path,
        )

    @property
    def lake_path(self) -> Path | None:
        return Path(self.lake) if self.lake else None


def dbt_project(layout: Layout, prepare: bool = False) -> DbtProject:
    """The dbt project with its manifest in the layout's target folder (the same one
    `floop.dbt.run_dbt` uses: one manifest, one partial-parse state). `dbt parse` runs under
    `dagster dev`, when PREPARE is set, or when the manifest is missing — through `run_dbt`, so
    it sees the same profile as the builds (dagster-dbt's own preparer would not). PREPARE
    skips the parse when the manifest was parsed from the same project files for this
    warehouse (dbt's start alone costs ~5 s of CPU: most of a `floop run` with no new data)."""
    project = DbtProject(
        project_dir=PROJECT_DIR, target_path=layout.dbt_target, profiles_dir=PROJECT_DIR
    )
    parsed_from = f"{project_fingerprint()} {layout.warehouse}"
    if layout.engine != "duckdb":  # another target, another manifest (disabled models)
        parsed_from += f" {layout.engine}"
    current = project.manifest_path.exists() and _read_text(layout.dbt_parse_state) == parsed_from
    if (
        (prepare and not current)
        or not project.manifest_path.exists()
        or (os.environ.get("DAGSTER_IS_DEV_CLI"))
    ):
        run_dbt(["parse", "--quiet"], layout, capture=True)
        layout.dbt_parse_state.write_text(parsed_from)
    return project


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def read_manifest(project: DbtProject) -> dict[str, Any]:
    return json.loads(project.manifest_path.read_text())


def dbt_resource(project: DbtProject, engine: str) -> DbtCliResource:
    """dbt on ENGINE: the resource's target is the engine's profile output."""
    return DbtCliResource(
        project_dir=project,
        profiles_dir=str(PROJECT_DIR),
        dbt_executable=dbt_executable(),
        target=dbt_target_name(engine),
    )


def dbt_for_run(dbt: DbtCliResource, layout: Layout, now: datetime) -> DbtCliResource:
    """DBT, launched through `floop-dbt` so that the run's clock and warehouse reach the dbt
    child process only (see floop.dbt.launch)."""
    return DbtCliResource(
        project_dir=dbt.project_dir,
        profiles_dir=dbt.profiles_dir,
        dbt_executable=launcher_executable(),
        target=dbt.target,
        global_config_flags=[*launcher_flags(layout, now), *dbt.global_config_flags],
    )
