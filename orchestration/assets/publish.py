"""The analyst copy: the read-only file analysts and dashboards read."""

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtProject

from floop.publish import publish_analyst_copy
from orchestration.clock import DAILY, ONE_DAY_PER_RUN
from orchestration.resources import FloopPaths


def build_analyst_copy_asset(
    project: DbtProject, upstream: list[dg.AssetKey]
) -> dg.AssetsDefinition:
    @dg.asset(
        name="analyst_copy",
        group_name="publish",
        deps=upstream,
        partitions_def=DAILY,
        backfill_policy=ONE_DAY_PER_RUN,
        kinds={"duckdb"},
        description="Read-only copy for analysts and dashboards: marts and documented "
        "intermediate models, swapped in atomically.",
    )
    def analyst_copy(context: dg.AssetExecutionContext, floop: FloopPaths) -> dg.MaterializeResult:
        res = publish_analyst_copy(
            Path(floop.warehouse), Path(floop.analyst_copy), project.manifest_path
        )
        return dg.MaterializeResult(
            metadata={
                "path": str(res.path),
                "tables": len(res.tables),
                "rows": res.rows,
                "bytes": res.bytes,
            }
        )

    return analyst_copy
