"""The dbt project as assets (dagster-dbt), every dbt test an asset check."""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from floop.dbt import run_dbt
from orchestration.clock import DAILY, ONE_DAY_PER_RUN, run_now
from orchestration.resources import FloopPaths, dbt_for_run
from orchestration.translator import FloopTranslator


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=FloopTranslator(),
        partitions_def=DAILY,
        backfill_policy=ONE_DAY_PER_RUN,
        name="floop_dbt",
    )
    def floop_dbt(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, floop: FloopPaths
    ) -> Iterator[Any]:
        layout = floop.layout()
        now = run_now(context)
        # Same target folder as the CLI: one manifest, one partial-parse state.
        yield from (
            dbt_for_run(dbt, layout, now)
            .cli(["build"], context=context, target_path=project.target_path)
            .stream()
        )
        # The docs site (dbt docs serve) reflects what was just built.
        run_dbt(["docs", "generate"], layout, now=now, capture=True)

    return floop_dbt
