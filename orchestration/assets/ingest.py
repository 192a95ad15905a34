"""The ingest multi-asset: `floop ingest` into the raw tables, with the Great Expectations
results of the accepted batch as asset checks."""

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from floop.contract import RAW_SCHEMA, load_contract
from floop.ingest import ingest
from floop.quality import SUITE_PREFIX
from floop.quality_gate import blocked_loads
from floop.warehouse import connect
from orchestration.clock import DAILY, ONE_DAY_PER_RUN, run_now
from orchestration.progress import progress_logger
from orchestration.resources import FloopPaths
from orchestration.translator import raw_key

GX_CHECK = "gx_contract"
GX_LOAD_CHECK = "gx_load"
# Volume per tenant and event type: an early warning (a tenant gone quiet), not a reason to
# stop the loop. A small sensor-triggered load rarely carries every tenant, so it never blocks.
GX_VOLUME_CHECK = "gx_volume"
LEDGER = "ingest_ledger"


def event_tables() -> list[str]:
    return [f"{et}_events" for et in load_contract().event_types]


def raw_tables(manifest: Mapping[str, Any]) -> list[str]:
    """Raw tables ingest writes: the contract's event tables and every dbt source in raw."""
    tables = [*event_tables(), LEDGER]
    for src in manifest.get("sources", {}).values():
        if src.get("schema") == RAW_SCHEMA:
            name = src.get("identifier") or src["name"]
            if name not in tables:
                tables.append(name)
    return tables


def _check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            GX_CHECK,
            asset=raw_key(t),
            blocking=True,
            description="Great Expectations suite (from the contract) on the batches this run "
            "accepted into this table.",
        )
        for t in event_tables()
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


def build_ingest_asset(manifest: Mapping[str, Any]) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            raw_key(t),
            group_name="raw",
            kinds={"duckdb"},
            description=f"raw.{t}, written only by `floop ingest` (restricted).",
        )
        for t in raw_tables(manifest)
    ]

    @dg.multi_asset(
        name="floop_ingest",
        specs=specs,
        check_specs=_check_specs(),
        partitions_def=DAILY,
        backfill_policy=ONE_DAY_PER_RUN,
        description="`floop ingest`: load new landing files under the contract.",
    )
    def floop_ingest(
        context: dg.AssetExecutionContext, floop: FloopPaths
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        now = run_now(context)
        warehouse = Path(floop.warehouse)
        result = ingest(Path(floop.landing), warehouse, now, progress=progress_logger(context))
        meta = {
            "now": now.isoformat(),
            "load_id": result.load_id,
            "files_loaded": len(result.files),
            "files_skipped": len(result.skipped),
            # failed or tampered files (status in raw.ingest_ledger): their lines are missing
            "files_not_loaded": ", ".join(f"{f.relative_path} ({f.status})" for f in result.failed)
            or "-",
            "lines": result.lines,
            "accepted": result.accepted,
            "duplicate": result.duplicate,
            "rejected": result.rejected,
            "rejected_by_reason": json.dumps(result.rejected_by_reason),
        }
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=meta)
        yield from gx_check_results(warehouse, result.load_id, result.lines)

    return floop_ingest


def gx_check_results(
    warehouse: Path, load_id: str, new_lines: int = 0
) -> Iterator[dg.AssetCheckResult]:
    """One check result per GX suite. The blocking checks fail while ANY load is blocked
    (floop.quality_gate: failed and neither passed on re-validation nor waived), not just this
    run's, so re-running the job cannot turn a failed check into a pass; the volume warning
    judges this run's load. A run that loaded nothing (NEW_LINES 0) says "no new batch"."""
    batch = (
        f"{new_lines:,} new lines in load {load_id}"
        if new_lines
        else "no new batch: nothing new landed, so no suite ran on this load"
    )
    with connect(warehouse, read_only=True) as con:
        blocked = blocked_loads(con)
        volume = con.execute(
            f"""select count(*), count(*) filter (where not success)
            from {RAW_SCHEMA}.gx_validations
            where load_id = ? and suite_name = ? and validation_seq = (
              select max(validation_seq) from {RAW_SCHEMA}.gx_validations where load_id = ?)""",
            [load_id, f"{SUITE_PREFIX}_volume", load_id],
        ).fetchone()
    targets = [
        (raw_key(t), GX_CHECK, f"{SUITE_PREFIX}_{t.removesuffix('_events')}")
        for t in event_tables()
    ]
    targets.append((raw_key(LEDGER), GX_LOAD_CHECK, f"{SUITE_PREFIX}_load"))
    for key, check_name, suite in targets:
        failing = [b for b in blocked if suite in b.suites()]
        labels = sorted({label for b in failing for s, label in b.failed if s == suite})
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=check_name,
            passed=not failing,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "batch": batch,
                "blocked_loads": ", ".join(b.load_id for b in failing) or "-",
                "failed_expectations": ", ".join(labels)[:2000] or "-",
                "to_unblock": "fix the data and re-run, or `floop waive LOAD_ID --reason ...`"
                if failing
                else "",
            },
        )
    expectations, failed = volume
    yield dg.AssetCheckResult(
        asset_key=raw_key(LEDGER),
        check_name=GX_VOLUME_CHECK,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"batch": batch, "expectations": expectations, "failed": failed}
        if expectations
        else {"batch": batch},
    )
