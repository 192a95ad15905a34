"""`floop dashboard`: the Streamlit dashboards over the marts, served on 127.0.0.1.

The app reads the analyst copy (or `--warehouse FILE`) read-only. Every number it shows is a
value of a mart row: the app selects and filters rows, it never re-aggregates rates. The one
thing it writes is the Review page's answers: label events, as new files in the landing folder
(`--landing DIR`), never into a table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from floop import config
from floop.errors import OperationalError

APP_PATH = Path(__file__).resolve().parent / "app.py"

# .streamlit/config.toml says the same for `streamlit run floop/dashboard/app.py` by hand.
TOOLBAR_MODE = "viewer"
# The app finds its warehouse here when started without `-- --warehouse FILE`.
WAREHOUSE_ENV = "FLOOP_DASHBOARD_WAREHOUSE"
# ... and the landing folder the Review page writes label events into.
LANDING_ENV = "FLOOP_DASHBOARD_LANDING"


def streamlit_command(
    warehouse: Path, port: int, address: str = "127.0.0.1", landing: Path | None = None
) -> list[str]:
    """The exact command that serves the app; the browser tests start it the same way."""
    extra = ["--landing", str(landing)] if landing else []
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.address",
        address,
        "--server.port",
        str(port),
        # No file watcher: the app is served, not developed, and watchers cost CPU.
        "--server.fileWatcherType",
        "none",
        # Viewers' menu only: no Deploy button, no rerun / clear-cache developer items.
        "--client.toolbarMode",
        TOOLBAR_MODE,
        "--",
        "--warehouse",
        str(warehouse),
        *extra,
    ]


def streamlit_env(warehouse: Path, landing: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # The app runs as a script: make `floop` importable even without an installed package.
    path = [str(config.PROJECT_DIR), *filter(None, [env.get("PYTHONPATH")])]
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(path),
            WAREHOUSE_ENV: str(warehouse),
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    if landing:
        env[LANDING_ENV] = str(landing)
    return env


def check_warehouse(warehouse: Path) -> None:
    """A one-line OperationalError unless WAREHOUSE is a DuckDB file the app can read (a
    missing, empty or foreign file would otherwise surface as a raw IO error on every page)."""
    if not warehouse.exists():
        raise OperationalError(
            f"{warehouse} does not exist: run `floop run` first (it writes the analyst copy), "
            "or pass --warehouse FILE"
        )
    if not warehouse.is_file() or warehouse.stat().st_size == 0:
        raise OperationalError(f"{warehouse} is not a DuckDB file (empty, or not a file)")
    try:
        duckdb.connect(str(warehouse), read_only=True).close()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OperationalError(f"{warehouse} cannot be read as a DuckDB file: {first}") from None


def serve(warehouse: Path, port: int, landing: Path | None = None) -> int:
    """Serve the app on 127.0.0.1:PORT until interrupted; the exit code of Streamlit. The
    Review page writes label events into LANDING (none: the page only shows the queue)."""
    check_warehouse(warehouse)
    print(f"floop dashboard: http://127.0.0.1:{port}  (reading {warehouse} read-only)")
    try:
        return subprocess.call(
            streamlit_command(warehouse, port, landing=landing),
            env=streamlit_env(warehouse, landing),
        )
    except KeyboardInterrupt:
        return 130
