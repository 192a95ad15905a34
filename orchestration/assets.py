"""floop's Dagster assets: ingest (with the Great Expectations results as checks), the dbt
project (dbt tests as checks), one export per dataset policy, and the analyst copy.

All assets share one daily partitioning. Partition day D means "the run after day D": its clock
(`now`, passed to ingest and to dbt as the var `now`) is the end of D, or the wall clock when
that is earlier; `floop run --now T` pins the clock with the run tag `floop/now`.
"""

import contextlib
import json
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from floop import config
from floop.contract import RAW_SCHEMA, load_contract
from floop.dbt import dbt_env
from floop.quality import SUITE_PREFIX

# backfill_policy on @asset is flagged beta; floop relies on it only for one-day backfills.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

NOW_TAG = "floop/now"
PARTITIONS_START = os.environ.get("FLOOP_PARTITIONS_START", "2025-01-01")
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)

# Marts are rebuilt by the daily schedule: warn after a day without a materialization,
# fail after a day and a few hours of slack.
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=30), warn_window=timedelta(hours=25)
)
GX_CHECK = "gx_contract"
GX_LOAD_CHECK = "gx_load"
# Volume per tenant and event type: an early warning (a tenant gone quiet), not a reason to
# stop the loop. A small sensor-triggered load rarely carries every tenant, so it never blocks.
GX_VOLUME_CHECK = "gx_volume"
LEDGER = "ingest_ledger"
# Backfills run one day per run: each day's models see that day's clock.
ONE_DAY_PER_RUN = dg.BackfillPolicy.multi_run(1)


class FloopPaths(dg.ConfigurableResource):
    """Where floop's files live, for one deployment (or one test)."""

    warehouse: str
    landing: str
    exports: str
    analyst_copy: str
    policies_dir: str


def run_now(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> datetime:
    """The clock of this run, as a naive UTC datetime."""
    tagged = context.run.tags.get(NOW_TAG)
    if tagged:
        return config.parse_now(tagged)
    wall = datetime.now(UTC).replace(tzinfo=None)
    if context.has_partition_key:
        end = context.partition_time_window.end.astimezone(UTC).replace(tzinfo=None)
        return min(end, wall)
    return wall


def partition_for(now: datetime) -> str:
    """The partition whose run has clock NOW: the day that NOW ends (midnight ends the day
    before)."""
    return (now - timedelta(microseconds=1)).date().isoformat()


@contextlib.contextmanager
def warehouse_env(warehouse: Path, now: datetime | None = None) -> Iterator[None]:
    """FLOOP_WAREHOUSE (and the clock, FLOOP_NOW) for dbt subprocesses started by dagster-dbt
    (it copies os.environ), and the virtualenv's bin on PATH (its preparer looks for `dbt`
    there)."""
    env = dbt_env(Path(warehouse))
    new = {
        "FLOOP_WAREHOUSE": env["FLOOP_WAREHOUSE"],
        "DBT_PROFILES_DIR": env["DBT_PROFILES_DIR"],
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    if now is not None:
        # an env var, not a dbt var: see macros/time.sql (no full re-parse on every run)
        new["FLOOP_NOW"] = now.isoformat()
    old = {k: os.environ.get(k) for k in new}
    os.environ.update(new)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def dbt_target_path(warehouse: Path) -> Path:
    """The dbt target folder of WAREHOUSE: the same one `floop.dbt.run_dbt` uses."""
    return Path(dbt_env(Path(warehouse))["DBT_TARGET_PATH"])


def dbt_project(warehouse: Path, prepare: bool = False) -> DbtProject:
    """The dbt project with its manifest prepared by dagster-dbt (`dbt parse`): under
    `dagster dev` always (prepare_if_dev), otherwise when PREPARE or the manifest is missing."""
    project = DbtProject(
        project_dir=config.PROJECT_DIR,
        target_path=dbt_target_path(warehouse),
        profiles_dir=config.PROJECT_DIR,
    )
    with warehouse_env(warehouse):
        project.prepare_if_dev()
        if (prepare or not project.manifest_path.exists()) and project.preparer:
            project.preparer.prepare(project)
    return project


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_SCHEMA, table])


class FloopTranslator(DagsterDbtTranslator):
    """dbt sources in schema raw are the tables `floop ingest` writes; marts get freshness."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if (
            dbt_resource_props.get("resource_type") == "source"
            and dbt_resource_props.get("schema") == RAW_SCHEMA
        ):
            return raw_key(dbt_resource_props.get("identifier") or dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") == "model" and props.get("schema") == "marts":
            spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
        return spec


def _manifest(project: DbtProject) -> dict[str, Any]:
    return json.loads(project.manifest_path.read_text())


def raw_tables(manifest: Mapping[str, Any]) -> list[str]:
    """Raw tables ingest writes: the contract's event tables and every dbt source in raw."""
    tables = [f"{et}_events" for et in load_contract().event_types] + [LEDGER]
    for src in manifest.get("sources", {}).values():
        if src.get("schema") == RAW_SCHEMA:
            name = src.get("identifier") or src["name"]
            if name not in tables:
                tables.append(name)
    return tables


def build_ingest_asset(manifest: Mapping[str, Any]) -> dg.AssetsDefinition:
    event_tables = [f"{et}_events" for et in load_contract().event_types]
    specs = [
        dg.AssetSpec(
            raw_key(t),
            group_name="raw",
            kinds={"duckdb"},
            description=f"raw.{t}, written only by `floop ingest` (restricted).",
        )
        for t in raw_tables(manifest)
    ]
    checks = [
        dg.AssetCheckSpec(
            GX_CHECK,
            asset=raw_key(t),
            blocking=True,
            description="Great Expectations suite (from the contract) on the batches this run "
            "accepted into this table.",
        )
        for t in event_tables
    ] + [
        dg.AssetCheckSpec(
            GX_LOAD_CHECK,
            asset=raw_key(LEDGER),
            blocking=True,
            description="Great Expectations suite on the load as a whole: the share of "
            "rejected lines.",
        ),
        dg.AssetCheckSpec(
            GX_VOLUME_CHECK,
            asset=raw_key(LEDGER),
            blocking=False,
            description="Great Expectations suite on events per tenant and event type in the "
            "load: warns when a tenant seen before sends nothing (never blocks).",
        ),
    ]

    @dg.multi_asset(
        name="floop_ingest",
        specs=specs,
        check_specs=checks,
        partitions_def=DAILY,
        backfill_policy=ONE_DAY_PER_RUN,
        description="`floop ingest`: load new landing files under the contract.",
    )
    def floop_ingest(
        context: dg.AssetExecutionContext, floop: FloopPaths
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        from floop.ingest import ingest

        now = run_now(context)
        warehouse = Path(floop.warehouse)
        result = ingest(Path(floop.landing), warehouse, now, progress=False)
        meta = {
            "now": now.isoformat(),
            "load_id": result.load_id,
            "files_loaded": len(result.files),
            "files_skipped": len(result.skipped),
            "lines": result.lines,
            "accepted": result.accepted,
            "duplicate": result.duplicate,
            "rejected": result.rejected,
            "rejected_by_reason": json.dumps(result.rejected_by_reason),
        }
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=meta)
        rows = _gx_rows(warehouse, result.load_id)
        error, warn = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
        targets = [
            (raw_key(t), GX_CHECK, f"{SUITE_PREFIX}_{t.removesuffix('_events')}", error)
            for t in event_tables
        ]
        targets.append((raw_key(LEDGER), GX_LOAD_CHECK, f"{SUITE_PREFIX}_load", error))
        targets.append((raw_key(LEDGER), GX_VOLUME_CHECK, f"{SUITE_PREFIX}_volume", warn))
        for key, check_name, suite, severity in targets:
            mine = [r for r in rows if r["suite_name"] == suite]
            failed = [r for r in mine if not r["success"]]
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=check_name,
                passed=not failed,
                severity=severity,
                metadata={
                    "expectations": len(mine),
                    "failed": len(failed),
                    "failed_expectations": ", ".join(
                        sorted({f"{r['expectation_type']}({r['column_name']})" for r in failed})
                    )[:2000]
                    or "-",
                    "note": "no new batch" if not mine else "",
                },
            )

    return floop_ingest


def _gx_query(warehouse: Path, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    from floop.warehouse import connect

    if not warehouse.exists():
        return []
    con = connect(warehouse, read_only=True)
    try:
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? "
            "and table_name = 'gx_validations'",
            [RAW_SCHEMA],
        ).fetchone()[0]
        if not exists:
            return []
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _gx_rows(warehouse: Path, load_id: str) -> list[dict[str, Any]]:
    """The GX results ingest wrote for LOAD_ID."""
    return _gx_query(
        warehouse,
        f"select load_id, suite_name, event_type, expectation_type, column_name, success "
        f"from {RAW_SCHEMA}.gx_validations where load_id = ?",
        [load_id],
    )


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
        from floop.dbt import run_dbt

        warehouse = Path(floop.warehouse)
        now = run_now(context)
        with warehouse_env(warehouse, now):
            # Same target folder as the CLI: one manifest, one partial-parse state.
            yield from dbt.cli(
                ["build"],
                context=context,
                target_path=project.target_path,
            ).stream()
        # The docs site (dbt docs serve) reflects what was just built.
        run_dbt(["docs", "generate"], warehouse, vars={"now": now.isoformat()}, capture=True)

    return floop_dbt


def _policy_names(policies_dir: Path) -> list[str]:
    return sorted(p.stem for p in Path(policies_dir).glob("*.yml"))


def build_export_assets(
    policies_dir: Path, upstream: list[dg.AssetKey]
) -> list[dg.AssetsDefinition]:
    """One asset per dataset policy, downstream of the marts it reads."""
    return [_export_asset(name, upstream) for name in _policy_names(policies_dir)]


def _export_asset(policy: str, upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        name=policy,
        key_prefix=["exports"],
        group_name="exports",
        deps=upstream,
        partitions_def=DAILY,
        backfill_policy=ONE_DAY_PER_RUN,
        kinds={"parquet"},
        description=f"Dataset export by policy policies/{policy}.yml, with its manifest.",
    )
    def export_asset(context: dg.AssetExecutionContext, floop: FloopPaths) -> dg.MaterializeResult:
        from floop.export import export_dataset, verify

        as_of = _as_of(context)
        manifest = export_dataset(
            Path(floop.policies_dir) / f"{policy}.yml",
            Path(floop.warehouse),
            as_of,
            Path(floop.exports),
        )
        problems = verify(manifest)
        if problems:
            raise dg.Failure(f"export {policy} does not verify: {problems[:5]}")
        return dg.MaterializeResult(
            metadata={"manifest": str(manifest), "as_of": as_of.isoformat()}
        )

    return export_asset


def _as_of(context: dg.AssetExecutionContext) -> date:
    """The export's as-of date: the day this run's clock ends."""
    return date.fromisoformat(partition_for(run_now(context)))


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
        from floop.publish import publish_analyst_copy

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
