"""The dbt project as assets (dagster-dbt), every dbt test an asset check: one step builds
everything but the dataset-lineage models, a second builds those after the exports (they read
the registry the exports write), so the same run's lineage mart lists its manifests."""

from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from floop.dbt import run_dbt
from orchestration.clock import DAILY, ONE_DAY_PER_RUN, run_now
from orchestration.progress import progress_logger
from orchestration.resources import FloopPaths, dbt_for_run
from orchestration.translator import LINEAGE_SELECT, FloopTranslator, registry_models


def _build(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, floop: FloopPaths, project: DbtProject
) -> Iterator[Any]:
    """`dbt build` of the step's selection, streamed: each model and test as it finishes."""
    progress_logger(context)(
        f"dbt build: {len(context.selected_asset_keys):,} assets, "
        f"{len(context.selected_asset_check_keys):,} tests"
    )
    yield from (
        dbt_for_run(dbt, floop.layout(), run_now(context))
        .cli(["build"], context=context, target_path=project.target_path)
        .stream()
    )


def build_dbt_assets(
    project: DbtProject, manifest: dict[str, Any], exports: Sequence[dg.AssetKey]
) -> list[dg.AssetsDefinition]:
    """The main dbt step and the lineage step (downstream of EXPORTS)."""
    translator = FloopTranslator({name: exports for name in registry_models(manifest)})

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        exclude=LINEAGE_SELECT,
        partitions_def=DAILY,
        backfill_policy=ONE_DAY_PER_RUN,
        name="floop_dbt",
    )
    def floop_dbt(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, floop: FloopPaths
    ) -> Iterator[Any]:
        # Same target folder as the CLI: one manifest, one partial-parse state.
        yield from _build(context, dbt, floop, project)
        # The docs site (`floop docs`, dbt docs serve) reflects what was just built.
        progress_logger(context)("dbt docs generate")
        run_dbt(["docs", "generate"], floop.layout(), now=run_now(context), capture=True)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        select=LINEAGE_SELECT,
        partitions_def=DAILY,
        backfill_policy=ONE_DAY_PER_RUN,
        name="floop_dbt_lineage",
    )
    def floop_dbt_lineage(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, floop: FloopPaths
    ) -> Iterator[Any]:
        yield from _build(context, dbt, floop, project)

    return [floop_dbt, floop_dbt_lineage]
