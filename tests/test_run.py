"""`floop run` outside the job: argument errors and the clock -> partition rule. The job itself
runs in tests/test_orchestration.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from floop.cli import main
from orchestration.clock import partition_for


def test_missing_landing_folder_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wh = tmp_path / "w.duckdb"
    rc = main(["run", "--landing", str(tmp_path / "nope"), "--warehouse", str(wh)])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "landing folder not found" in err[0]
    assert not wh.exists()


@pytest.mark.parametrize("how", ["--engine", "FLOOP_ENGINE"])
def test_engine_spark_without_a_lake_is_one_line_exit_2(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spark reads raw events only from the Parquet event log: refused before anything runs."""
    monkeypatch.delenv("FLOOP_LAKE", raising=False)
    (tmp_path / "landing").mkdir()
    wh = tmp_path / "w.duckdb"
    argv = ["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(wh)]
    if how == "--engine":
        argv += ["--engine", "spark"]
    else:
        monkeypatch.setenv("FLOOP_ENGINE", "spark")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--engine spark needs --lake DIR" in err[0]
    assert not wh.exists()


@pytest.mark.parametrize(
    ("now", "partition"),
    [
        ("2026-11-20T00:00:00", "2026-11-19"),  # midnight closes the day before
        ("2026-11-20T00:00:01", "2026-11-20"),
        ("2026-11-20T21:30:00", "2026-11-20"),
        ("2026-01-01T00:00:00", "2025-12-31"),
    ],
)
def test_a_runs_partition_is_the_day_its_clock_ends(now: str, partition: str) -> None:
    assert partition_for(datetime.fromisoformat(now)) == partition


def test_clock_before_the_first_partition_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "landing").mkdir()
    wh = tmp_path / "w.duckdb"
    argv = ["run", "--landing", str(tmp_path / "landing"), "--warehouse", str(wh)]
    rc = main([*argv, "--now", "2001-01-01T00:00:00Z"])
    assert rc == 2
    assert "before the first daily partition" in capsys.readouterr().err
    assert not wh.exists()


def test_run_printer_throttles_file_lines_but_keeps_the_last_one_in_order() -> None:
    """`floop run`'s live printer: counter lines of one step at most every 2 s, the held last
    one printed before the next other line, so "[3/3 files]" is never lost."""
    import io

    import dagster as dg

    from orchestration.progress import PROGRESS, RunPrinter

    now = [0.0]
    out = io.StringIO()
    printer = RunPrinter(out, clock=lambda: now[0])

    def log(text: str, at: float) -> None:
        now[0] = at
        printer(
            dg.EventLogEntry(
                error_info=None,
                level=20,
                user_message=PROGRESS + text,
                run_id="r",
                timestamp=at,
                step_key="floop_ingest",
                job_name="floop_job",
                dagster_event=None,
            )
        )

    log("[1/3 files] a", 0.0)
    log("[2/3 files] b", 0.5)
    log("[3/3 files] c", 1.0)
    log("quality: suite s: 1/1 expectations passed (1,234 rows)", 1.5)
    printed = [line.split("] ", 1)[1] for line in out.getvalue().splitlines()]
    assert printed == [
        "floop_ingest: [1/3 files] a",
        "floop_ingest: [3/3 files] c",
        "floop_ingest: quality: suite s: 1/1 expectations passed (1,234 rows)",
    ]


def test_the_printer_says_why_a_step_was_skipped() -> None:
    """Dagster skips a step whose inputs were not materialized: after a failed blocking check,
    or when the step upstream built nothing (a run with no new data); the line says which."""
    import io

    import dagster as dg

    from orchestration.progress import RunPrinter

    out = io.StringIO()
    printer = RunPrinter(out, clock=lambda: 0.0)

    def event(step: str, kind: dg.DagsterEventType, data: object = None) -> None:
        ev = dg.DagsterEvent(
            event_type_value=kind.value, job_name="floop_job", step_key=step,
            event_specific_data=data,  # type: ignore[arg-type]
        )  # fmt: skip
        printer(
            dg.EventLogEntry(
                error_info=None,
                level=20,
                user_message="",
                run_id="r",
                timestamp=0.0,
                step_key=step,
                job_name="floop_job",
                dagster_event=ev,
            )  # fmt: skip
        )

    event("analyst_copy", dg.DagsterEventType.STEP_SKIPPED)
    failed = dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["marts", "fct_interactions"]),
        check_name="not_null_fct_interactions_output_id",
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
    )
    event("floop_dbt", dg.DagsterEventType.ASSET_CHECK_EVALUATION, failed)
    event("analyst_copy", dg.DagsterEventType.STEP_SKIPPED)
    printed = [line.split("] ", 1)[1] for line in out.getvalue().splitlines()]
    assert printed[0] == "analyst_copy: skipped (nothing new upstream)"
    assert printed[-1] == "analyst_copy: skipped (a blocking check upstream failed)"
