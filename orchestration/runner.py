"""`floop run`: floop's Dagster job run in-process (the same job the schedule, the sensor and
the UI run): ingest (GX results as checks) -> dbt build (dbt tests as checks) + dbt docs -> one
export per policy -> analyst copy. A failed blocking check stops everything downstream of it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

from floop.config import Layout
from floop.errors import OperationalError
from orchestration.clock import NOW_TAG, PARTITIONS_START, partition_for
from orchestration.definitions import JOB_NAME, build_defs
from orchestration.home import dagster_home

# Run-level dagster log output: warnings and errors only; floop prints its own step lines.
_QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RunReport:
    success: bool
    run_id: str
    partition: str
    steps: list[tuple[str, str, float]] = field(default_factory=list)  # (step, status, seconds)
    failed_checks: list[str] = field(default_factory=list)
    passed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)  # failed, severity warn
    materialized: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    log_path: Path | None = None


def run_job(
    landing: Path,
    warehouse: Path | Layout,
    now: datetime,
    *,
    exports: Path | None = None,
    analyst_copy: Path | None = None,
    policies_dir: Path | None = None,
    instance: dg.DagsterInstance | None = None,
    prepare: bool = True,
    asset_selection: list[dg.AssetKey] | None = None,
) -> RunReport:
    """Run floop's Dagster job in-process for the partition whose clock is NOW (all of it, or
    the ASSET_SELECTION keys)."""
    layout = warehouse if isinstance(warehouse, Layout) else Layout.for_warehouse(warehouse)
    if not Path(landing).is_dir():
        raise OperationalError(f"landing folder not found: {landing}")
    partition = partition_for(now)
    if partition < PARTITIONS_START:
        raise OperationalError(
            f"--now {now.isoformat()} is before the first daily partition {PARTITIONS_START} "
            "(FLOOP_PARTITIONS_START to change)"
        )
    defs = build_defs(
        warehouse=layout.warehouse,
        landing=landing,
        exports=exports,
        analyst_copy=analyst_copy,
        policies_dir=policies_dir,
        prepare=prepare,
    )
    if instance is None:
        dagster_home()
        instance = dg.DagsterInstance.get()
    log_path = layout.run_log
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # dagster-dbt echoes dbt's log lines on stdout: keep them in a file, print a summary.
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):
        result = defs.resolve_job_def(JOB_NAME).execute_in_process(
            partition_key=partition,
            tags={NOW_TAG: now.isoformat()},
            instance=instance,
            run_config=_QUIET_LOGS,
            raise_on_error=False,
            asset_selection=asset_selection,
        )
    report = collect_report(instance, result.run_id)
    report.log_path = log_path
    return report


def collect_report(instance: dg.DagsterInstance, run_id: str) -> RunReport:
    """What a finished run did, from the instance's event log."""
    run = instance.get_run_by_id(run_id)
    report = RunReport(
        success=run.status == dg.DagsterRunStatus.SUCCESS,
        run_id=run_id,
        partition=run.tags.get("dagster/partition", ""),
    )
    started: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None:
            continue
        key = ev.step_key or ""
        kind = ev.event_type
        if kind == dg.DagsterEventType.STEP_START:
            started[key] = entry.timestamp
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            ok = kind == dg.DagsterEventType.STEP_SUCCESS
            took = entry.timestamp - started.get(key, entry.timestamp)
            report.steps.append((key, "ok" if ok else "FAILED", took))
            if not ok and ev.step_failure_data and ev.step_failure_data.error:
                report.errors.append(f"{key}: {_root_cause(ev.step_failure_data.error)}")
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            report.steps.append((key, "skipped", 0.0))
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            report.materialized.append(ev.asset_key.to_user_string())
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            _add_check(report, ev.event_specific_data)
    return report


def _add_check(report: RunReport, evaluation: Any) -> None:
    name = f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}"
    if evaluation.passed:
        report.passed_checks.append(name)
    elif evaluation.severity.value == "WARN":
        report.warned_checks.append(name)
    else:
        report.failed_checks.append(name)


def _root_cause(error: Any) -> str:
    """The innermost error message (dagster wraps user errors in its own)."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return str(error.message).strip()


def report_lines(report: RunReport) -> list[str]:
    """The run's steps, checks and errors, as printed by `floop run`."""
    out = [f"  {step:<40} {status:<8} {seconds:6.1f}s" for step, status, seconds in report.steps]
    out.append(
        f"  checks: {len(report.passed_checks)} passed, {len(report.warned_checks)} warned, "
        f"{len(report.failed_checks)} failed; "
        f"assets materialized: {len(report.materialized)}"
    )
    out += [f"  warn   check {name}" for name in report.warned_checks]
    out += [f"  FAILED check {name}" for name in report.failed_checks]
    out += [f"  error in {err[:1500]}" for err in report.errors]
    if report.log_path:
        out.append(f"  dbt output: {report.log_path}")
    return out
