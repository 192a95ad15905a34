"""Batch-level quality of each ingest run with Great Expectations (GX).

Row-level validity is the contract's job (SQL in `floop.ingest`); GX judges the batch of rows a
run accepted: null shares of join fields, value sets and ranges, the share of rejected lines,
and the volume per tenant and event type. Thresholds come from the contract's `batch_quality`
section. Results go to `raw.gx_validations` (one row per expectation) and to Data Docs HTML in
`<warehouse dir>/gx/` (GX's own files, kept out of the repository). A failed expectation is
reported and recorded; it never removes data.

GX reads pandas frames: its SQL datasource on DuckDB returns no rows here, and the batches are
small next to the ingest itself. `import great_expectations` is slow, so it is imported lazily.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from floop import data_docs
from floop.config import Layout
from floop.contract import RAW_SCHEMA, Contract, load_contract

if TYPE_CHECKING:
    import pandas as pd

SUITE_PREFIX = "floop_batch"


@dataclass
class ExpectationOutcome:
    suite_name: str
    expectation_type: str
    event_type: str | None
    column_name: str | None
    success: bool
    observed_value: str | None
    details: dict[str, Any]

    def label(self) -> str:
        where = ".".join(x for x in (self.event_type, self.column_name) if x)
        return f"{self.expectation_type}({where})"


@dataclass
class QualityResult:
    load_id: str
    results: list[ExpectationOutcome] = field(default_factory=list)
    data_docs: Path | None = None

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success]

    def summary_lines(self) -> list[str]:
        n, bad = len(self.results), self.failed
        lines = [f"batch quality (Great Expectations): {n - len(bad)}/{n} expectations passed"]
        for r in bad:
            lines.append(f"  FAILED {r.label()}: observed {r.observed_value}")
        if self.data_docs is not None:
            lines.append(f"  Data Docs: {self.data_docs}")
        return lines


@dataclass
class Batch:
    """One dataframe GX validates, and what it expects of it."""

    name: str
    event_type: str | None
    frame: pd.DataFrame
    expectations: list[Any]


def _event_batches(
    con: duckdb.DuckDBPyConnection, contract: Contract, load_id: str, gxe: Any
) -> list[Batch]:
    """One batch per event type with rows accepted in this load."""
    quality = contract.batch_quality
    null_share: dict[str, float] = quality.get("max_null_share", {})
    batches = []
    for event_type in contract.event_types:
        table = contract.raw_table(event_type)
        expectations: list[Any] = []
        columns: list[str] = []
        for spec in contract.fields(event_type):
            key = f"{event_type}.{spec.name}"
            if key in null_share:
                columns.append(spec.name)
                expectations.append(
                    gxe.ExpectColumnValuesToNotBeNull(
                        column=spec.name, mostly=1.0 - float(null_share[key])
                    )
                )
            if spec.type == "string" and spec.enum and spec.name != "event_type":
                columns.append(spec.name)
                expectations.append(
                    gxe.ExpectColumnValuesToBeInSet(
                        column=spec.name, value_set=contract.enums[spec.enum]
                    )
                )
            if spec.type in ("integer", "number") and (
                spec.min is not None or spec.max is not None
            ):
                columns.append(spec.name)
                expectations.append(
                    gxe.ExpectColumnValuesToBeBetween(
                        column=spec.name, min_value=spec.min, max_value=spec.max
                    )
                )
        if not expectations:
            continue
        cols = ", ".join(f'"{c}"' for c in dict.fromkeys(columns))
        frame = con.execute(f"select {cols} from {table} where _load_id = ?", [load_id]).df()
        if len(frame):
            batches.append(Batch(f"{SUITE_PREFIX}_{event_type}", event_type, frame, expectations))
    return batches


def _load_batch(
    con: duckdb.DuckDBPyConnection, contract: Contract, load_id: str, gxe: Any
) -> Batch:
    """The run as a whole: the share of rejected lines."""
    frame = con.execute(
        f"""with files as (
          select sum(lines) as lines, sum(accepted) as accepted, sum(duplicate) as duplicate,
            sum(rejected) as rejected
          from {RAW_SCHEMA}.ingest_ledger where load_id = ?
        ),
        final as (
          select lines, accepted, duplicate, rejected,
            rejected / greatest(lines, 1) as rejected_share
          from files
        )
        select * from final""",
        [load_id],
    ).df()
    max_share = float(contract.batch_quality.get("max_rejected_share", 1.0))
    return Batch(
        f"{SUITE_PREFIX}_load",
        None,
        frame,
        [
            gxe.ExpectColumnValuesToBeBetween(
                column="rejected_share", min_value=0, max_value=max_share
            )
        ],
    )


def _volume_batch(
    con: duckdb.DuckDBPyConnection, contract: Contract, load_id: str, gxe: Any
) -> Batch | None:
    """Events per tenant and event type in this load. Every tenant seen before for an event
    type this load carries is expected again with at least `min_rows_per_tenant_and_type`, so
    a tenant that silently stops sending shows up."""
    typed = [t for t in contract.event_types if "tenant_id" in contract.field_names(t)]
    union = " union all ".join(
        f"select '{t}' as event_type, tenant_id, _load_id from {contract.raw_table(t)}"
        for t in typed
    )
    frame = con.execute(
        f"""with events as (
          {union}
        ),
        this_load as (
          select event_type, tenant_id, count(*) as events
          from events where _load_id = ? group by all
        ),
        expected as (
          select distinct event_type, tenant_id from events
          where event_type in (select event_type from this_load)
        ),
        final as (
          select e.event_type, e.tenant_id, coalesce(t.events, 0) as events
          from expected as e
          left join this_load as t
            on e.event_type = t.event_type and e.tenant_id is not distinct from t.tenant_id
          order by e.event_type, e.tenant_id
        )
        select * from final""",
        [load_id],
    ).df()
    if not len(frame):
        return None
    minimum = int(contract.batch_quality.get("min_rows_per_tenant_and_type", 1))
    return Batch(
        f"{SUITE_PREFIX}_volume",
        None,
        frame,
        [gxe.ExpectColumnValuesToBeBetween(column="events", min_value=minimum)],
    )


def _observed(result: dict[str, Any]) -> str | None:
    if "observed_value" in result:
        return str(result["observed_value"])
    if "unexpected_count" in result:
        parts = [f"{result['unexpected_count']} unexpected"]
        if result.get("unexpected_percent") is not None:
            parts.append(f"({result['unexpected_percent']:.2f}%)")
        if result.get("partial_unexpected_list"):
            parts.append(f"e.g. {result['partial_unexpected_list'][:5]}")
        return " ".join(parts)
    return None


def validate_load(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    warehouse: Path,
    now: datetime,
    progress: Callable[[str], None] | None = None,
) -> QualityResult:
    """Validate the rows load LOAD_ID accepted; record (stamped NOW) and render the results.
    PROGRESS gets a line before GX starts and one per suite validated."""
    say = progress or (lambda _line: None)
    say(f"quality: load {load_id}: starting Great Expectations (import and context, ~5 s)")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no network calls
    # Imported here: Great Expectations takes ~3.5 s to import, paid only by a load to
    # validate (not by `floop --help`, the dashboard or exports).
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.data_context.types.base import ProgressBarsConfig

    contract = load_contract()
    batches = _event_batches(con, contract, load_id, gxe)
    batches.append(_load_batch(con, contract, load_id, gxe))
    volume = _volume_batch(con, contract, load_id, gxe)
    if volume is not None:
        batches.append(volume)

    root = Layout.for_warehouse(warehouse).gx_root
    context = gx.get_context(mode="file", project_root_dir=str(root))
    # No tqdm bars on the terminal: floop prints its own summary.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_or_update_pandas(name="floop_ingest")
    outcome = QualityResult(load_id=load_id)
    for batch in batches:
        try:
            asset = source.get_asset(batch.name)
        except LookupError:
            asset = source.add_dataframe_asset(name=batch.name)
        try:
            definition = asset.get_batch_definition("whole")
        except KeyError:
            definition = asset.add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=batch.name, expectations=batch.expectations)
        )
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=batch.name, data=definition, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=batch.name,
                validation_definitions=[validation],
                actions=[UpdateDataDocsAction(name="update_data_docs")],
                result_format="SUMMARY",
            )
        )
        run = checkpoint.run(
            batch_parameters={"dataframe": batch.frame},
            run_id=gx.RunIdentifier(run_name=load_id),
        )
        say(_suite_line(batch, run))
        for suite_result in run.run_results.values():
            for r in suite_result.results:
                config = r.expectation_config
                kwargs = dict(config.kwargs) if config is not None else {}
                details = r.result or {}
                outcome.results.append(
                    ExpectationOutcome(
                        suite_name=batch.name,
                        expectation_type=config.type if config is not None else "?",
                        event_type=batch.event_type,
                        column_name=kwargs.get("column"),
                        success=bool(r.success),
                        observed_value=_observed(details),
                        details={"kwargs": kwargs, "result": details},
                    )
                )
    urls = context.get_docs_sites_urls()
    if urls and urls[0].get("site_url"):
        outcome.data_docs = Path(str(urls[0]["site_url"]).removeprefix("file://"))
        data_docs.bundle(outcome.data_docs.parent)  # readable offline
    _record(con, outcome, now)
    return outcome


def _suite_line(batch: Batch, run: Any) -> str:
    """One progress line: a suite's expectations passed, over how many rows."""
    results = [r for sr in run.run_results.values() for r in sr.results]
    passed = sum(1 for r in results if r.success)
    return (
        f"quality: suite {batch.name}: {passed:,}/{len(results):,} expectations passed "
        f"({len(batch.frame):,} rows)"
    )


def _record(con: duckdb.DuckDBPyConnection, outcome: QualityResult, now: datetime) -> None:
    rows = [
        (
            outcome.load_id,
            now,
            r.suite_name,
            r.expectation_type,
            r.event_type,
            r.column_name,
            r.success,
            r.observed_value,
            json.dumps(r.details, default=str),
            str(outcome.data_docs) if outcome.data_docs else None,
        )
        for r in outcome.results
    ]
    con.begin()
    seq = con.execute(
        f"select coalesce(max(validation_seq), 0) + 1 from {RAW_SCHEMA}.gx_validations "
        "where load_id = ?",
        [outcome.load_id],
    ).fetchone()[0]
    con.executemany(
        f"""insert into {RAW_SCHEMA}.gx_validations
        (load_id, validated_at, suite_name, expectation_type, event_type, column_name, success,
         observed_value, details, data_docs_path, validation_seq)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [(*row, seq) for row in rows],
    )
    con.commit()
