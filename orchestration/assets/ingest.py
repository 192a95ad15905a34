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
from floop.warehouse import connect
from orchestration.clock import DAILY, ONE_DAY_PER_RUN, run_now
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
        result = ingest(Path(floop.landing), warehouse, now, progress=False)
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
        yield from gx_check_results(warehouse, result.load_id)

    return floop_ingest


def gx_check_results(warehouse: Path, load_id: str) -> Iterator[dg.AssetCheckResult]:
    """One check result per GX suite, from the rows ingest wrote to raw.gx_validations."""
    rows = _gx_rows(warehouse, load_id)
    error, warn = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
    targets = [
        (raw_key(t), GX_CHECK, f"{SUITE_PREFIX}_{t.removesuffix('_events')}", error)
        for t in event_tables()
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


def _gx_rows(warehouse: Path, load_id: str) -> list[dict[str, Any]]:
    """The GX results ingest wrote for LOAD_ID."""
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
        cur = con.execute(
            "select load_id, suite_name, event_type, expectation_type, column_name, success "
            f"from {RAW_SCHEMA}.gx_validations where load_id = ?",
            [load_id],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
