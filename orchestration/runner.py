"""`floop run`: floop's Dagster job run in-process (the same job the schedule, the sensor and
the UI run): ingest (GX results as checks) -> dbt build (dbt tests as checks) + dbt docs -> one
export per policy -> analyst copy. A failed blocking check stops everything downstream of it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import dagster as dg

from floop.config import Layout
from floop.errors import OperationalError
from floop.spark_build import spark_notes
from orchestration.clock import NOW_TAG, PARTITIONS_START, partition_for
from orchestration.definitions import JOB_NAME, build_defs
from orchestration.home import dagster_home
from orchestration.progress import RunPrinter, check_descriptions, step_totals

# Run-level dagster log output: warnings and errors only; floop prints its own step lines.
_QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# Tags that let the next `floop run` tell whether the process running a run is still alive.
PID_TAG, HOST_TAG = "floop/pid", "floop/host"
_UNFINISHED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


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
    # "asset: check" -> what the check checks, one line (explains warnings and failures)
    explanations: dict[str, str] = field(default_factory=dict)
    streamed: bool = False  # the steps were printed live already
    notes: list[str] = field(default_factory=list)  # what the engine leaves out


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
    out: TextIO | None = None,
) -> RunReport:
    """Run floop's Dagster job in-process for the partition whose clock is NOW (all of it, or
    the ASSET_SELECTION keys). With OUT, each step's start and end, the ingest's files and
    suites and dbt's batches are printed there while the job runs."""
    layout = warehouse if isinstance(warehouse, Layout) else Layout.for_warehouse(warehouse)
    if not Path(landing).is_dir():
        raise OperationalError(f"landing folder not found: {landing}")
    partition = partition_for(now)
    if partition < PARTITIONS_START:
        raise OperationalError(
            f"--now {now.isoformat()} is before the first daily partition {PARTITIONS_START} "
            "(FLOOP_PARTITIONS_START to change)"
        )
    if out is not None:
        print("  preparing: dbt parse and the Dagster job definitions", file=out, flush=True)
    defs = build_defs(
        warehouse=layout.warehouse,
        landing=landing,
        exports=exports,
        analyst_copy=analyst_copy,
        policies_dir=policies_dir,
        prepare=prepare,
        lake=layout.lake,
        engine=layout.engine,
    )
    if instance is None:
        dagster_home()
        instance = dg.DagsterInstance.get()
    sweep_dead_runs(instance)
    log_path = layout.run_log
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tags = {NOW_TAG: now.isoformat(), PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    run_id = str(uuid.uuid4())  # known before the run starts, for the live printer
    descriptions = check_descriptions(defs)
    if out is not None:
        printer = RunPrinter(
            out, step_totals(defs), lambda asset, check: descriptions.get((asset, check), "")
        )
        instance.add_event_listener(run_id, printer)
    # dagster-dbt echoes dbt's log lines on stdout: keep them in a file, print a summary.
    with open(log_path, "w") as log, contextlib.redirect_stdout(log), _sigterm_as_interrupt():
        result = defs.resolve_job_def(JOB_NAME).execute_in_process(
            partition_key=partition,
            tags=tags,
            instance=instance,
            run_config=_QUIET_LOGS,
            raise_on_error=False,
            asset_selection=asset_selection,
            run_id=run_id,
        )
    report = collect_report(instance, result.run_id)
    report.log_path = log_path
    report.streamed = out is not None
    report.explanations = {f"{a}: {c}": text for (a, c), text in descriptions.items() if text}
    if layout.engine == "spark":
        report.notes = spark_notes(json.loads(layout.dbt_manifest.read_text()))
    return report


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While the job runs, SIGTERM is handled as SIGINT: Dagster turns that into an interrupt
    at the next safe point and dagster-dbt forwards it to the dbt child, so `kill PID` stops
    dbt too instead of leaving it running as an orphan that holds the warehouse."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def sweep_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every unfinished run of floop's job started by a `floop run` process on
    this host that no longer exists (killed with SIGKILL, or the machine went down), so it
    stops holding the instance's one run slot. Runs launched by the daemon are left to
    Dagster's run monitoring (dagster.yaml). Returns the run ids marked failed."""
    swept = []
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME, statuses=_UNFINISHED))
    for run in runs:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if not pid or host != socket.gethostname() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        instance.report_run_failed(
            run, f"floop run process {pid} is gone (killed?); marked failed by the next floop run"
        )
        swept.append(run.run_id)
    return swept


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


def _why(report: RunReport, check: str) -> str:
    text = report.explanations.get(check)
    return f"\n           {text}" if text else ""


def report_lines(report: RunReport) -> list[str]:
    """The run's steps, checks and errors, as printed by `floop run`."""
    out = [] if report.streamed else [
        f"  {step:<40} {status:<8} {seconds:8,.1f}s" for step, status, seconds in report.steps
    ]
    out.append(
        f"  checks: {len(report.passed_checks):,} passed, {len(report.warned_checks):,} warned, "
        f"{len(report.failed_checks):,} failed; "
        f"assets materialized: {len(report.materialized):,}"
    )
    out += [f"  warn   check {name}{_why(report, name)}" for name in report.warned_checks]
    out += [f"  FAILED check {name}{_why(report, name)}" for name in report.failed_checks]
    out += [f"  error in {err[:1500]}" for err in report.errors]
    out += [f"  note   {note}" for note in report.notes]
    if report.log_path:
        out.append(f"  dbt output: {report.log_path}")
    return out
