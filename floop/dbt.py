"""Run dbt against one warehouse file, the same way from the CLI, Dagster, tests and benchmarks.

The clock reaches dbt only as `FLOOP_NOW` in the environment of the dbt child process (read by
the macro `floop_now()`): never through `os.environ` of this process, and never as a dbt var (a
var that changes on every run forces dbt to re-parse the whole project). The hash key
(`floop.hash_key`) travels the same way as `FLOOP_HASH_KEY`, and never on a command line: the
`floop-dbt` launcher reads it itself from the warehouse's key file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from floop.config import PROJECT_DIR, Layout
from floop.errors import FloopError, OperationalError
from floop.hash_key import ENV_VAR as HASH_KEY_VAR
from floop.hash_key import resolve as resolve_hash_key

# The profile's output (profiles.yml) each engine builds on (floop.config.ENGINES).
TARGETS = {"duckdb": "dev", "spark": "spark"}
# What a build leaves out per engine: on Spark the unit tests (their fixtures are DuckDB SQL;
# docs/scale-out.md).
_BUILD_EXCLUDES = {"spark": ["--exclude-resource-type", "unit_test"]}
# The profile's DuckDB memory_limit unless FLOOP_DUCKDB_MEMORY_LIMIT says otherwise (profiles.yml).
DEFAULT_MEMORY_LIMIT = "4GB"
# dbt threads on DuckDB (models built at once) while the warehouse fits in the memory limit.
DEFAULT_THREADS = 2
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
# The launcher Dagster's dbt resource runs instead of `dbt` (see `launch`).
LAUNCHER = "floop-dbt"
_ENV_FLAG = "--env="


def _bin(name: str) -> str:
    """NAME from this interpreter's bin folder (the virtualenv), else NAME on PATH."""
    exe = Path(sys.executable).parent / name
    return str(exe) if exe.exists() else name


def dbt_executable() -> str:
    return _bin("dbt")


def launcher_executable() -> str:
    return _bin(LAUNCHER)


def dbt_target_name(engine: str) -> str:
    """The profile output dbt builds ENGINE's tables with."""
    return TARGETS[engine]


def build_flags(engine: str) -> list[str]:
    """Arguments of `dbt build` on ENGINE (what that engine leaves out)."""
    return list(_BUILD_EXCLUDES.get(engine, []))


def as_layout(warehouse: Layout | Path | str) -> Layout:
    return warehouse if isinstance(warehouse, Layout) else Layout.for_warehouse(warehouse)


def child_env(layout: Layout, now: datetime | None = None) -> dict[str, str]:
    """What a dbt child process needs on top of the inherited environment: the warehouse, the
    lake (when its raw sources read one), the engine's target and Spark folders, the project's
    profile, the layout's target and log folders, and the clock when given."""
    env = {
        "FLOOP_WAREHOUSE": str(layout.warehouse),
        "FLOOP_DUCKDB_TEMP": str(layout.duckdb_temp),
        # the raw sources read this Parquet event log; empty (the raw schema) overrides any
        # FLOOP_LAKE inherited from this process's environment
        "FLOOP_LAKE": str(layout.lake) if layout.lake else "",
        # where the spark target keeps its tables and metastore (profiles.yml)
        "FLOOP_SPARK_WAREHOUSE_DIR": str(layout.spark_warehouse),
        "FLOOP_SPARK_METASTORE_DIR": str(layout.spark_metastore),
        # the layout's engine, unless the command names a --target
        "DBT_TARGET": dbt_target_name(layout.engine),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_TARGET_PATH": str(layout.dbt_target),
        "DBT_LOG_PATH": str(layout.dbt_logs),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    if now is not None:
        env["FLOOP_NOW"] = now.isoformat()
    if "FLOOP_DBT_THREADS" not in os.environ:
        env["FLOOP_DBT_THREADS"] = str(dbt_threads(layout.warehouse))
    return env


def memory_limit_bytes(limit: str) -> int | None:
    """DuckDB's memory_limit text (`4GB`, `512MiB`, `80%`) in bytes; None when unreadable."""
    m = re.fullmatch(r"\s*([\d.]+)\s*(%|[kmgt]?i?b)?\s*", limit.lower())
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2) or ""
    if unit == "%":
        return int(value / 100 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return int(value * _UNITS[unit]) if unit in _UNITS else None


def dbt_threads(warehouse: Path) -> int:
    """Models dbt builds at once on DuckDB (the profile's `threads`): DEFAULT_THREADS, or 1
    once the warehouse file is larger than half the memory limit. dbt's threads share one
    DuckDB database and so one memory_limit: at 10M interactions two large models at once ran
    out of a 4 GB limit that each fits alone. The file holds compressed data, and a large
    model's working set is a multiple of its compressed inputs, hence half. DuckDB still uses
    every core inside a query. FLOOP_DBT_THREADS in the environment overrides this."""
    limit = memory_limit_bytes(os.environ.get("FLOOP_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT))
    try:
        size = warehouse.stat().st_size
    except OSError:
        return DEFAULT_THREADS
    return 1 if limit is not None and size > limit / 2 else DEFAULT_THREADS


def forget_partial_parse_of_twins(target: Path, project_dir: Path = PROJECT_DIR) -> None:
    """Make dbt parse the whole project when a model that has a twin changed: a dbt Python
    model and the SQL model of the same name that stands in for it on Spark (one is disabled on
    each target; floop.spark_stats). dbt 1.11's partial parsing removes a changed file's model
    by its unique id, which the twins share: a change to the disabled twin's file drops the
    enabled one from the manifest. The twins' fingerprint is kept in TARGET (dbt's target
    folder); when it differs, TARGET's partial-parse state is removed."""
    models = project_dir / "models"
    twins = sorted(
        path
        for py in models.rglob("*.py")
        if py.with_suffix(".sql").exists()
        for path in (py, py.with_suffix(".sql"))
    )
    h = hashlib.sha256()
    for path in twins:
        h.update(path.relative_to(project_dir).as_posix().encode() + b"\0" + path.read_bytes())
    state = target / "floop_twin_models"
    try:
        if state.read_text() == h.hexdigest():
            return
    except OSError:
        pass
    (target / "partial_parse.msgpack").unlink(missing_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    state.write_text(h.hexdigest())


def key_env(layout: Layout) -> dict[str, str]:
    """The hash key for a dbt child process (generated on first use, see floop.hash_key)."""
    return {HASH_KEY_VAR: resolve_hash_key(layout).value}


def run_dbt(
    args: list[str],
    warehouse: Layout | Path | str,
    *,
    now: datetime | None = None,
    vars: dict[str, object] | None = None,
    check: bool = True,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`dbt ARGS` on the warehouse, with the clock NOW (the wall clock when None). Raises
    OperationalError on failure when CHECK is set."""
    layout = as_layout(warehouse)
    forget_partial_parse_of_twins(layout.dbt_target)
    cmd = [dbt_executable(), *args]
    if vars:
        cmd += ["--vars", json.dumps(vars)]
    proc = subprocess.run(
        cmd,
        cwd=PROJECT_DIR,
        env={**os.environ, **child_env(layout, now), **key_env(layout)},
        text=True,
        capture_output=capture,
    )
    if check and proc.returncode != 0:
        tail = (proc.stdout or "")[-4000:] if capture else ""
        raise OperationalError(f"dbt {' '.join(args)} failed (exit {proc.returncode}){tail}")
    return proc


def launcher_flags(layout: Layout, now: datetime | None = None) -> list[str]:
    """Leading arguments for `floop-dbt` that carry floop's part of CHILD_ENV (the warehouse and
    the clock) into the dbt process; dagster-dbt sets dbt's own folders itself. Never the hash
    key: a command line is visible to every user of the machine and dagster-dbt logs it."""
    env = child_env(layout, now)
    return [f"{_ENV_FLAG}{k}={v}" for k, v in env.items() if k.startswith("FLOOP_")]


def launch(argv: Sequence[str] | None = None) -> NoReturn:
    """`floop-dbt [--env=KEY=VALUE ...] DBT_ARGS...`: exec dbt with those variables added.

    dagster-dbt starts dbt with a copy of the parent's environment and offers no way to add to
    it per run; it does put a resource's `global_config_flags` right after the executable. So
    Dagster's dbt resource runs this launcher with the run's clock and warehouse as flags, and
    the running process's own environment is never touched. The hash key is read here, from
    the environment or the warehouse's key file (floop.hash_key), not passed as a flag.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    extra: dict[str, str] = {}
    while args and args[0].startswith(_ENV_FLAG):
        key, sep, value = args.pop(0)[len(_ENV_FLAG) :].partition("=")
        if not key or not sep:
            print(f"{LAUNCHER}: error: expected --env=KEY=VALUE", file=sys.stderr)
            sys.exit(2)
        extra[key] = value
    env = {**os.environ, **extra}
    if not env.get(HASH_KEY_VAR) and env.get("FLOOP_WAREHOUSE"):
        try:
            env.update(key_env(Layout.for_warehouse(env["FLOOP_WAREHOUSE"])))
        except FloopError as exc:
            print(f"{LAUNCHER}: error: {exc}", file=sys.stderr)
            sys.exit(2)
    if env.get("DBT_TARGET_PATH"):  # dagster-dbt sets it
        forget_partial_parse_of_twins(Path(env["DBT_TARGET_PATH"]))
    exe = dbt_executable()
    os.execvpe(exe, [exe, *args], env)


def serve_docs(layout: Layout, port: int) -> NoReturn:
    """Become `dbt docs serve` of LAYOUT's target folder (the site `floop run` generates) on
    127.0.0.1:PORT (exec: stopping this process stops the server, no orphan). Served over
    HTTP because the site loads manifest.json and catalog.json with fetch, which browsers
    refuse from file://."""
    if not layout.dbt_docs.exists():
        raise OperationalError(
            f"no dbt docs at {layout.dbt_docs}: run `floop run` first (it generates them)"
        )
    with socket.socket() as probe:  # dbt answers a busy port with a traceback
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise OperationalError(
                f"port {port} is not free ({exc.strerror}): use --port"
            ) from None
    exe = dbt_executable()
    args = ["docs", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-browser"]
    sys.stdout.flush()
    os.chdir(PROJECT_DIR)
    os.execvpe(exe, [exe, *args], {**os.environ, **child_env(layout)})
