"""The dbt project as assets (dagster-dbt), every dbt test an asset check: one step builds
everything but the dataset-lineage models, a second builds those after the exports (they read
the registry the exports write), so the same run's lineage mart lists its manifests.

A run whose dbt inputs did not change since the last successful build (`floop.build_state`:
the project's files and the raw sources) builds nothing: the main step records the reason as
an observation of each of its assets and yields no materialization, so the exports, the
lineage step and the analyst copy downstream are skipped and stay as they are. A run where
only some sources changed builds what reads them (`BuildPlan.select`); each model left out is
reported materialized with the reason (its table is as current as its inputs), so that the
steps downstream of it and of a rebuilt model still run.

On the spark engine (`FloopPaths.engine`, the dbt resource's target) each step ends by giving
the warehouse DuckDB file a view over every table Spark wrote (`floop.spark_build`), so the
exports and the analyst copy downstream read Spark's Parquet output unchanged. A step that
builds the stand-ins of the dbt Python models runs dbt twice, with the floop step that computes
their rows in between (`floop.spark_phases`); each asset is still materialized once."""

from collections.abc import Iterator, Sequence
from graphlib import TopologicalSorter
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from floop.build_state import BuildPlan, forget_build, plan_build, record_build
from floop.dbt import build_flags, run_dbt
from floop.spark_build import copy_registry, mirror_tables
from floop.spark_phases import run_in_phases, spark_phases
from floop.spark_stats import PYTHON_MODELS
from orchestration.clock import DAILY, ONE_DAY_PER_RUN, run_now
from orchestration.progress import progress_logger
from orchestration.resources import FloopPaths, dbt_for_run
from orchestration.translator import LINEAGE_SELECT, FloopTranslator, registry_models

# Metadata key of the observation a skipped build records on each of its assets.
SKIPPED_BUILD = "dbt_build_skipped"


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    floop: FloopPaths,
    project: DbtProject,
    manifest: dict[str, Any],
    plan: BuildPlan | None = None,
) -> Iterator[Any]:
    """`dbt build` of the step's selection (narrowed to PLAN's), streamed: each model and test
    as it finishes; first the assets PLAN leaves out, as unchanged (Dagster wants a step's
    assets in topological order, and what PLAN leaves out reads nothing it builds)."""
    select = plan.select_args if plan is not None else []
    progress_logger(context)(
        f"dbt build: {len(context.selected_asset_keys):,} assets, "
        f"{len(context.selected_asset_check_keys):,} tests"
        + (f", only {select[1]}" if select else "")
    )
    # dagster-dbt adds its own `--select fqn:*` (a union with a --select here): the plan's
    # selection is given as what it leaves out (excludes are a union too)
    narrow = ["--exclude", " ".join(plan.unchanged)] if plan is not None and plan.unchanged else []
    if plan is not None and narrow:
        yield from _unchanged(context, plan)

    def run(phase: list[str]) -> Iterator[Any]:
        return (
            dbt_for_run(dbt, floop.layout(), run_now(context))
            .cli(
                ["build", *narrow, *phase, *build_flags(floop.engine)],
                context=context,
                target_path=project.target_path,
            )
            .stream()
        )

    stand_ins = _stand_ins(context, plan) if floop.engine == "spark" else []
    if stand_ins:  # dbt Python models' stand-ins to build: two phases and the floop step
        phases = spark_phases(manifest, _indirect_selection(context))
        log = progress_logger(context)
        yield from run_in_phases(run, floop.layout(), manifest, phases, stand_ins, log)
    else:
        yield from run([])
    if floop.engine == "spark":
        _mirror(context, floop, manifest)


def _stand_ins(context: dg.AssetExecutionContext, plan: BuildPlan | None) -> list[str]:
    """The stand-ins of dbt Python models (floop.spark_stats) this step builds."""
    left_out = set(plan.unchanged) if plan is not None else set()
    step = {key.path[-1] for key in context.selected_asset_keys}
    return sorted(n for n in PYTHON_MODELS if n in step and n not in left_out)


def _indirect_selection(context: dg.AssetExecutionContext) -> str:
    """`empty` when dagster-dbt lists the tests itself (some checks of a selected asset left
    out: it then sets dbt's indirect selection to empty), else `cautious` (floop.spark_phases)."""
    selected = context.selected_asset_keys
    left_out = [
        check
        for check in context.assets_def.check_keys
        if check.asset_key in selected and check not in context.selected_asset_check_keys
    ]
    return "empty" if left_out else "cautious"


def _mirror(context: dg.AssetExecutionContext, floop: FloopPaths, manifest: dict[str, Any]) -> None:
    """The warehouse's views over the Parquet tables this step's Spark build wrote
    (floop.spark_build)."""
    log = progress_logger(context)
    step = {key.path[-1] for key in context.selected_asset_keys}
    result = mirror_tables(floop.layout(), manifest, step)
    log(f"spark: {len(result.views):,} tables readable from the warehouse as views")
    if result.missing:
        log(f"spark: no Parquet files for {', '.join(result.missing)}")


def _unchanged(context: dg.AssetExecutionContext, plan: BuildPlan) -> Iterator[Any]:
    """The step's assets PLAN does not rebuild, reported materialized with the reason (their
    tables are as current as their inputs), in topological order."""
    names = set(plan.unchanged)
    keys = {k for k in context.selected_asset_keys if k.path[-1] in names}
    deps = context.assets_def.asset_deps
    order = TopologicalSorter({k: set(deps.get(k, set())) & keys for k in keys}).static_order()
    reason = f"not rebuilt: none of its inputs changed ({plan.reason})"
    for key in order:
        yield dg.MaterializeResult(asset_key=key, metadata={SKIPPED_BUILD: reason})


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
        layout, now = floop.layout(), run_now(context)
        if layout.engine == "spark":
            progress_logger(context)(
                "spark: unit tests excluded; dbt Python models stood in for by SQL over "
                "floop's Parquet: " + ", ".join(sorted(PYTHON_MODELS))
            )
        # Only a build of the whole step may be skipped or recorded as the last build.
        whole = set(context.selected_asset_keys) == set(context.assets_def.keys)
        plan = plan_build(layout, manifest, now) if whole else None
        if plan is not None and not (plan.build and plan.changes_tables):
            # nothing new (or a new day for the tests that read the clock alone: they run with
            # the next build that has new data)
            progress_logger(context)(f"dbt build skipped: {plan.reason}")
            for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
                yield dg.AssetObservation(asset_key=key, metadata={SKIPPED_BUILD: plan.reason})
            return
        forget_build(layout)  # until this build has succeeded
        # Same target folder as the CLI: one manifest, one partial-parse state.
        yield from _build(context, dbt, floop, project, manifest, plan)
        # The docs site (`floop docs`, dbt docs serve) reflects what was just built. On Spark
        # from the build's manifest, without the catalog: compiling or reading the catalog
        # starts one more JVM (~2 min under load, measured) where this takes ~10 s.
        progress_logger(context)("dbt docs generate")
        catalog = ["--no-compile", "--empty-catalog"] if layout.engine == "spark" else []
        run_dbt(["docs", "generate", *catalog], layout, now=now, capture=True)
        if plan is not None:
            record_build(layout, manifest, plan, now)

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
        if floop.engine == "spark":  # Spark reads the registry the exports wrote from Parquet
            rows = copy_registry(floop.layout())
            progress_logger(context)(f"spark: registry of {rows:,} manifests copied as Parquet")
        yield from _build(context, dbt, floop, project, manifest)

    return [floop_dbt, floop_dbt_lineage]
