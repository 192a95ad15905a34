"""DAGSTER_HOME set up by the project: `.dagster_home/` with a dagster.yaml (telemetry off)."""

import os
from pathlib import Path

from floop import config

DAGSTER_YAML = """\
# Written by floop (orchestration/home.py). Runs, schedules and sensor state live here.
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    """$DAGSTER_HOME when set, else `.dagster_home/` in the repo; created with a dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or config.PROJECT_DIR / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    yaml_path = home / "dagster.yaml"
    if not yaml_path.exists():
        yaml_path.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_TELEMETRY_DISABLED", "1")
    return home


if __name__ == "__main__":  # scripts/dagster-ui.sh: print the folder
    print(dagster_home())
