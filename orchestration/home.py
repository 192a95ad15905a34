"""DAGSTER_HOME set up by the project: `.dagster_home/` with a dagster.yaml (telemetry off)."""

import os
from pathlib import Path

from floop import config

HEADER = "# Written by floop (orchestration/home.py)."
DAGSTER_YAML = f"""\
{HEADER} Runs, schedules and sensor state live here.
telemetry:
  enabled: false
# One run at a time: DuckDB allows one writer per file (schedule, sensor and UI runs queue).
concurrency:
  runs:
    max_concurrent_runs: 1
# A run whose worker died (killed, machine restarted) is marked failed by the daemon instead of
# staying STARTED and holding the one run slot. `floop run` sweeps its own dead runs too
# (orchestration/runner.py), as it runs without the daemon.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 60
# The stock SQLite event log (same files), with its connections kept open between events: it
# reconnected for each of the ~650 events of a run (orchestration/event_log.py, issue 14).
event_log_storage:
  module: orchestration.event_log
  class: PooledSqliteEventLogStorage
"""


def dagster_home() -> Path:
    """$DAGSTER_HOME when set, else `.dagster_home/` in the repo; created with a dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or config.PROJECT_DIR / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    yaml_path = home / "dagster.yaml"
    # Written when missing, and refreshed while it is still floop's own file (not hand-edited).
    if not yaml_path.exists() or (
        yaml_path.read_text().startswith(HEADER) and yaml_path.read_text() != DAGSTER_YAML
    ):
        yaml_path.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_TELEMETRY_DISABLED", "1")
    # Dagster hands over a run's "planned" events (one per asset and per check, ~500) as one
    # batch, which orchestration.event_log stores in one transaction (else one per event).
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "1000")
    return home


if __name__ == "__main__":  # scripts/dagster-ui.sh: print the folder
    print(dagster_home())
