"""`floop run`: the main job, run in-process through the same Dagster job the schedule, the
sensor and the UI run (orchestration/definitions.py): ingest (Great Expectations results as
checks) -> dbt build (dbt tests as checks) + dbt docs -> one export per policy -> analyst copy.
A failed blocking check stops everything downstream of it."""

from __future__ import annotations

import argparse
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from floop import config
from floop.errors import OperationalError

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
    warehouse: Path,
    now: datetime,
    *,
    exports: Path | None = None,
    analyst_copy: Path | None = None,
    policies_dir: Path | None = None,
    instance: Any = None,
    prepare: bool = True,
    asset_selection: list[Any] | None = None,
) -> RunReport:
    """Run floop's Dagster job in-process for the partition whose clock is NOW (all of it, or
    the ASSET_SELECTION keys)."""
    from dagster import DagsterInstance

    from orchestration.assets import NOW_TAG, PARTITIONS_START, partition_for
    from orchestration.definitions import JOB_NAME, build_defs
    from orchestration.home import dagster_home

    if not Path(landing).is_dir():
        raise OperationalError(f"landing folder not found: {landing}")
    partition = partition_for(now)
    if partition < PARTITIONS_START:
        raise OperationalError(
            f"--now {now.isoformat()} is before the first daily partition {PARTITIONS_START} "
            "(FLOOP_PARTITIONS_START to change)"
        )
    defs = build_defs(
        warehouse=warehouse,
        landing=landing,
        exports=exports,
        analyst_copy=analyst_copy,
        policies_dir=policies_dir,
        prepare=prepare,
    )
    if instance is None:
        dagster_home()
        instance = DagsterInstance.get()
    log_path = Path(warehouse).resolve().with_name(f"{Path(warehouse).stem}_run.log")
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


def collect_report(instance: Any, run_id: str) -> RunReport:
    """What a finished run did, from the instance's event log."""
    from dagster import DagsterEventType, DagsterRunStatus

    run = instance.get_run_by_id(run_id)
    report = RunReport(
        success=run.status == DagsterRunStatus.SUCCESS,
        run_id=run_id,
        partition=run.tags.get("dagster/partition", ""),
    )
    started: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None:
            continue
        key = ev.step_key or ""
        if ev.event_type == DagsterEventType.STEP_START:
            started[key] = entry.timestamp
        elif ev.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            ok = ev.event_type == DagsterEventType.STEP_SUCCESS
            took = entry.timestamp - started.get(key, entry.timestamp)
            report.steps.append((key, "ok" if ok else "FAILED", took))
            if not ok and ev.step_failure_data and ev.step_failure_data.error:
                report.errors.append(f"{key}: {_root_cause(ev.step_failure_data.error)}")
        elif ev.event_type == DagsterEventType.STEP_SKIPPED:
            report.steps.append((key, "skipped", 0.0))
        elif ev.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            report.materialized.append(ev.asset_key.to_user_string())
        elif ev.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = ev.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}"
            if evaluation.passed:
                report.passed_checks.append(name)
            elif evaluation.severity.value == "WARN":
                report.warned_checks.append(name)
            else:
                report.failed_checks.append(name)
    return report


def _root_cause(error: Any) -> str:
    """The innermost error message (dagster wraps user errors in its own)."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return str(error.message).strip()


def print_report(report: RunReport) -> None:
    for step, status, seconds in report.steps:
        print(f"  {step:<40} {status:<8} {seconds:6.1f}s")
    print(
        f"  checks: {len(report.passed_checks)} passed, {len(report.warned_checks)} warned, "
        f"{len(report.failed_checks)} failed; "
        f"assets materialized: {len(report.materialized)}"
    )
    for name in report.warned_checks:
        print(f"  warn   check {name}")
    for name in report.failed_checks:
        print(f"  FAILED check {name}")
    for err in report.errors:
        print(f"  error in {err[:1500]}")
    if report.log_path:
        print(f"  dbt output: {report.log_path}")


def print_summary(warehouse: Path) -> None:
    try:
        from floop.summary import print_summary as _print
    except ImportError:  # summary module not there yet: list what was built
        from floop.warehouse import connect

        con = connect(warehouse, read_only=True)
        try:
            rows = con.execute(
                "select table_schema, count(*) from information_schema.tables group by 1 order by 1"
            ).fetchall()
        finally:
            con.close()
        for schema, n in rows:
            print(f"  {schema}: {n} tables/views")
        return
    _print(warehouse)


def main(args: argparse.Namespace) -> int:
    landing = Path(args.landing or config.landing_dir()).resolve()
    warehouse = Path(args.warehouse or config.warehouse_path()).resolve()
    now = config.parse_now(args.now)
    started = time.monotonic()
    print(f"floop run: {landing} -> {warehouse} (clock {now.isoformat()})", flush=True)
    report = run_job(landing, warehouse, now)
    print(f"floop run: dagster run {report.run_id} (partition {report.partition})")
    print_report(report)
    if not report.success:
        print(
            f"floop run: FAILED after {time.monotonic() - started:.1f}s; the analyst copy "
            "was not replaced. Details: the run in the Dagster UI (scripts/dagster-ui.sh start)."
        )
        return 1
    print_summary(warehouse)
    print(f"floop run: finished in {time.monotonic() - started:.1f}s", flush=True)
    return 0
