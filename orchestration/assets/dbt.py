"""The dbt project as assets (dagster-dbt), every dbt test an asset check.

A run whose dbt inputs did not change since the last successful build (`floop.build_state`:
the project's files and the raw sources) builds nothing: the step records the reason as an
observation of each asset and yields no materialization, so the exports and the analyst copy
downstream are skipped and stay as they are (their inputs did not change either)."""

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from floop.build_state import forget_build, plan_build, record_build
from floop.dbt import run_dbt
from orchestration.clock import DAILY, ONE_DAY_PER_RUN, run_now
from orchestration.resources import FloopPaths, dbt_for_run
from orchestration.translator import FloopTranslator

# Metadata key of the observation a skipped build records on each of its assets.
SKIPPED_BUILD = "dbt_build_skipped"


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
        manifest = json.loads(project.manifest_path.read_text())
        # Only a build of the whole project may be skipped or recorded as the last build.
        whole = set(context.selected_asset_keys) == set(context.assets_def.keys)
        plan = plan_build(layout, manifest, now) if whole else None
        if plan is not None and not plan.build:
            context.log.info(f"dbt build skipped: {plan.reason}")
            for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
                yield dg.AssetObservation(asset_key=key, metadata={SKIPPED_BUILD: plan.reason})
            return
        forget_build(layout)  # until this build has succeeded
        # Same target folder as the CLI: one manifest, one partial-parse state.
        yield from (
            dbt_for_run(dbt, layout, now)
            .cli(["build"], context=context, target_path=project.target_path)
            .stream()
        )
        # The docs site (dbt docs serve) reflects what was just built.
        run_dbt(["docs", "generate"], layout, now=now, capture=True)
        if plan is not None:
            record_build(layout, manifest, plan, now)

    return floop_dbt
