"""The landing sensor: a run when new files appear in the landing folder."""

import hashlib
import json
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.clock import partition_for, wall_clock
from orchestration.resources import FloopPaths

# Files in the landing folder that are not events (editor and copy leftovers).
IGNORED_SUFFIXES = (".tmp", ".part", ".swp")


def landing_files(landing: Path) -> list[str]:
    """Event files under LANDING, as paths relative to it."""
    if not landing.is_dir():
        return []
    return sorted(
        str(p.relative_to(landing))
        for p in landing.rglob("*")
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES)
    )


def build_landing_sensor(job: Any) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        job=job,
        minimum_interval_seconds=30,
        description="Starts the job when new files land. Cursor: the set of files seen, so "
        "each new file triggers exactly one run.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext, floop: FloopPaths) -> dg.SensorResult:
        seen = set(json.loads(context.cursor)) if context.cursor else set()
        files = landing_files(Path(floop.landing))
        new = sorted(set(files) - seen)
        if not new:
            return dg.SensorResult(skip_reason="no new landing files")
        run_key = hashlib.sha256("\n".join(new).encode()).hexdigest()[:16]
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=run_key,
                    partition_key=partition_for(wall_clock()),
                    tags={"floop/new_files": str(len(new))},
                )
            ],
            cursor=json.dumps(sorted(seen | set(new))),
        )

    return landing_sensor
