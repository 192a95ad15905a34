"""Batch-level quality of each ingest run with Great Expectations (GX).

Row-level validity is the contract's job (SQL in `floop.ingest`); GX judges the batch of rows a
run accepted: null shares of join fields, value sets and ranges, the share of rejected lines,
and the volume per tenant and event type. Thresholds come from the contract's `batch_quality`
section. Results go to `raw.gx_validations` (one row per expectation) and to Data Docs HTML in
`<warehouse dir>/gx/` (GX's own files, kept out of the repository). A failed expectation is
reported and recorded; it never removes data.

GX reads pandas frames (its SQL datasource on DuckDB returns no rows here): DuckDB computes
the aggregates the expectations judge and large batches reach GX as bounded representative
frames (`floop.quality_batches`). Data Docs are rendered once per validation, not once per
suite (the renderer costs more than the checks). `import great_expectations` is slow, so it is
imported lazily.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from floop import data_docs
from floop.config import Layout
from floop.contract import RAW_SCHEMA, load_contract
from floop.quality_batches import SUITE_PREFIX, Batch, event_batches, load_batch, volume_batch

__all__ = ["SUITE_PREFIX", "ExpectationOutcome", "QualityResult", "validate_load"]

# GX expectation type -> the check kind `floop.quality_batches` counts exactly
_KINDS = {
    "expect_column_values_to_not_be_null": "not_null",
    "expect_column_values_to_be_in_set": "in_set",
    "expect_column_values_to_be_between": "between",
}


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
    # validate (not by `floop --help`, the dashboard or exports). GX imports pyspark when it
    # is installed (the spark extra), which warns about pandas 3: GX never uses it here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    contract = load_contract()
    batches = event_batches(con, contract, load_id, gxe)
    batches.append(load_batch(con, contract, load_id, gxe))
    volume = volume_batch(con, contract, load_id, gxe)
    if volume is not None:
        batches.append(volume)

    root = Layout.for_warehouse(warehouse).gx_root
    context = gx.get_context(mode="file", project_root_dir=str(root))
    # No tqdm bars on the terminal: floop prints its own summary.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_or_update_pandas(name="floop_ingest")
    outcome = QualityResult(load_id=load_id)
    rendered: list[Any] = []  # the results' and suites' identifiers, for one Data Docs build
    for batch in batches:
        run = _checkpoint(gx, context, source, batch).run(
            batch_parameters={"dataframe": batch.frame},
            run_id=gx.RunIdentifier(run_name=load_id),
        )
        say(_suite_line(batch, run))
        for result_id, suite_result in run.run_results.items():
            rendered += [result_id, result_id.expectation_suite_identifier]
            outcome.results += [_outcome(batch, r) for r in suite_result.results]
    context.build_data_docs(resource_identifiers=rendered, build_index=True)
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
        f"({batch.rows:,} rows)"
    )


def _checkpoint(gx: Any, context: Any, source: Any, batch: Batch) -> Any:
    """BATCH's checkpoint (suite, validation definition and asset added or updated); no
    actions: the caller renders Data Docs once for all batches."""
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
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=batch.name,
            validation_definitions=[validation],
            actions=[],
            result_format="SUMMARY",
        )
    )


def _outcome(batch: Batch, r: Any) -> ExpectationOutcome:
    """One expectation's result. For a representative frame the verdict is GX's, the counts
    are the batch's own (DuckDB's exact count, `quality_batches`)."""
    config = r.expectation_config
    kwargs = dict(config.kwargs) if config is not None else {}
    details = dict(r.result or {})
    kind = _KINDS.get(config.type if config is not None else "")
    exact = batch.exact.get((kind or "", kwargs.get("column") or ""))
    if exact is not None:
        details["representative_rows"] = details.get("element_count")
        details["element_count"] = batch.rows
        details["unexpected_count"] = exact
        details["unexpected_percent"] = 100.0 * exact / batch.rows
    return ExpectationOutcome(
        suite_name=batch.name,
        expectation_type=config.type if config is not None else "?",
        event_type=batch.event_type,
        column_name=kwargs.get("column"),
        success=bool(r.success),
        observed_value=_observed(details),
        details={"kwargs": kwargs, "result": details},
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
