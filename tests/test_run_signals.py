"""Issue 11, case 9: killed runs. `floop run` stops its dbt child on SIGTERM (and SIGINT), and a
run whose process was killed outright (SIGKILL) is marked failed by the next `floop run`
instead of staying STARTED and holding the instance's one run slot. Real processes, real dbt,
a real Dagster instance in a temporary DAGSTER_HOME."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from conftest import PROJECT_DIR, TEST_NOW

from orchestration.definitions import JOB_NAME
from orchestration.runner import sweep_dead_runs

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live direct children of PID, from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append((int(entry.name), cmd))
    return out


def _start_run(tmp_path: Path, landing: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "floop.cli", "run", "--landing", str(landing)]
    cmd += ["--warehouse", str(tmp_path / "wh.duckdb"), "--now", TEST_NOW]
    proc = subprocess.Popen(
        cmd, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return proc, env


def _wait_for_dbt_build(proc: subprocess.Popen[bytes], timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "floop run ended before dbt build started"
        for pid, cmd in _children(proc.pid):
            if " build" in cmd and "dbt" in cmd:
                return pid
        time.sleep(0.2)
    raise AssertionError("dbt build never started")


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.1)
    return False


def test_sigterm_stops_the_dbt_child(tmp_path: Path, demo_landing: Path) -> None:
    proc, _ = _start_run(tmp_path, demo_landing)
    try:
        dbt = _wait_for_dbt_build(proc)
        proc.send_signal(signal.SIGTERM)
        assert _gone(dbt, timeout=30), "dbt build kept running after floop run got SIGTERM"
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()


def test_killed_run_is_marked_failed_by_the_next_run(tmp_path: Path, demo_landing: Path) -> None:
    proc, env = _start_run(tmp_path, demo_landing)
    try:
        dbt = _wait_for_dbt_build(proc)
        proc.kill()  # SIGKILL: no handler runs, the run stays STARTED in the instance
        proc.wait()
        _gone(dbt, timeout=60)  # the orphaned dbt finishes or dies; it must not hold the file
    finally:
        proc.kill()
        proc.wait()
    os.environ["DAGSTER_HOME"], old = env["DAGSTER_HOME"], os.environ.get("DAGSTER_HOME")
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME))
            assert [r.status for r in runs] == [dg.DagsterRunStatus.STARTED]
            assert sweep_dead_runs(instance) == [runs[0].run_id]
            run = instance.get_run_by_id(runs[0].run_id)
            assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
            assert sweep_dead_runs(instance) == []
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old
