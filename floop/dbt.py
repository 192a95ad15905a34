"""Run dbt against one warehouse file, the same way from the CLI, tests and benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from floop import config
from floop.errors import OperationalError


def dbt_executable() -> str:
    exe = Path(sys.executable).parent / "dbt"
    return str(exe) if exe.exists() else "dbt"


def dbt_env(warehouse: Path, target_path: Path | None = None) -> dict[str, str]:
    """Environment for a dbt call: the warehouse, profiles from the repo, per-warehouse target.

    Each warehouse other than the default gets its own target/ and logs/, so concurrent dbt
    calls on different files (tests, benchmarks) never share partial-parse state.
    """
    warehouse = Path(warehouse).resolve()
    if target_path is None:
        if warehouse == config.warehouse_path():
            target_path = config.PROJECT_DIR / "target"
        else:
            target_path = warehouse.parent / f"{warehouse.stem}_dbt_target"
    env = dict(os.environ)
    env.update(
        FLOOP_WAREHOUSE=str(warehouse),
        DBT_PROFILES_DIR=str(config.PROJECT_DIR),
        DBT_PROJECT_DIR=str(config.PROJECT_DIR),
        DBT_TARGET_PATH=str(target_path),
        DBT_LOG_PATH=str(Path(target_path) / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    return env


def run_dbt(
    args: list[str],
    warehouse: Path,
    *,
    vars: dict[str, object] | None = None,
    target_path: Path | None = None,
    check: bool = True,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`dbt ARGS` on WAREHOUSE. Raises OperationalError on failure when check is set."""
    cmd = [dbt_executable(), *args]
    vars = dict(vars or {})
    env = dbt_env(warehouse, target_path)
    now = vars.pop("now", None)
    if now is not None:
        # the clock goes in as FLOOP_NOW (see macros/time.sql): a var that changes on every
        # run would cost a full re-parse of the project each time
        env["FLOOP_NOW"] = str(now)
    if vars:
        cmd += ["--vars", json.dumps(vars)]
    proc = subprocess.run(
        cmd,
        cwd=config.PROJECT_DIR,
        env=env,
        text=True,
        capture_output=capture,
    )
    if check and proc.returncode != 0:
        tail = (proc.stdout or "")[-4000:] if capture else ""
        raise OperationalError(f"dbt {' '.join(args)} failed (exit {proc.returncode}){tail}")
    return proc
