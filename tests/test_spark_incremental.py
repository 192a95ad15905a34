"""Incremental models on Spark: insert_overwrite of date partitions (Parquet, no Delta) gives
the same rows as a full refresh and as DuckDB (issue 17; macros/spark_incremental.sql).

A simulated landing (2 days) plus one hand-made interaction alone on an old day is ingested
into a Parquet event log and built on Spark. Then one more load arrives: new interactions, an
interaction re-sent with an earlier time on an older day (its output moves partition), the
lone interaction re-sent a day earlier (its old partition is left empty), a late feedback and a
late outcome on old rows, and a duplicate event. Spark builds it incrementally in the same
warehouse; a second Spark warehouse builds everything in full, and DuckDB builds the same lake.
Every model built (the wide fact and everything upstream of it: the 12 incremental models
among them) must hold the same rows in all three (test_spark_equality's comparison, so
Spark's incremental == Spark's full refresh too). Real dbt, Spark and DuckDB; skipped without
java.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_spark_equality import NOW, SparkBuild, differences, ran, spark_build

from floop.cli import main
from floop.config import Layout
from floop.dbt import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.spark]

SIMULATE = ["--days", "2", "--tasks-per-day", "60", "--seed", "7", "--start", "2026-11-01"]
FIRST_LOAD = "2026-11-03T00:00:00"
SECOND_LOAD = "2026-11-03T23:00:00"
# a look-back of one day: the late rows of the second load lie outside it, so only the
# watermarks bring them in (as in tests/test_incremental.py)
SELECT = ["--select", "+fct_interactions", "--vars", "{lookback_days: 1}"]
BUILD = [*SELECT, "--exclude-resource-type", "test", "--threads", "2"]
# the models partitioned by date on Spark, and their partition column
PARTITIONED = {
    "stg_interactions": "event_date",
    "stg_feedback": "event_date",
    "stg_evaluations": "event_date",
    "stg_labels": "event_date",
    "stg_outcomes": "event_date",
    "fct_interactions": "interaction_date",
}
LONE_DAY, LONE_MOVED_TO = "2026-10-20", "2026-10-19"


def _events(landing: Path, event_type: str) -> list[dict[str, Any]]:
    """The well-formed events of EVENT_TYPE in the simulated landing (the simulator also
    writes broken lines on purpose), in file order."""
    found = []
    for path in sorted(landing.rglob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(event, dict) and event.get("event_type") == event_type:
                    found.append(event)
    return found


def _on_day(events: list[dict[str, Any]], day: str) -> list[dict[str, Any]]:
    return [e for e in events if str(e.get("timestamp", "")).startswith(day)]


def _write(landing: Path, day: str, events: list[dict[str, Any]]) -> None:
    folder = landing / day
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(e) + "\n" for e in events)
    (folder / f"{day}-extra.jsonl").write_text(lines, encoding="utf-8")


def _lone(interactions: list[dict[str, Any]]) -> dict[str, Any]:
    """An interaction alone on LONE_DAY (a copy of a simulated one under new ids)."""
    return {
        **interactions[0],
        "event_id": "ev-lone",
        "output_id": "out-lone",
        "trace_id": "tr-lone",
        "timestamp": f"{LONE_DAY}T10:00:00Z",
    }


def _second_load(landing: Path) -> dict[str, Any]:
    """The next load's events (written as the landing's file of 2026-11-03); returns what the
    assertions need to know about them."""
    interactions = _events(landing, "interaction")
    day1, day2 = _on_day(interactions, "2026-11-01"), _on_day(interactions, "2026-11-02")
    feedback = _on_day(_events(landing, "feedback"), "2026-11-01")
    outcomes = _on_day(_events(landing, "outcome"), "2026-11-01")
    moved = day2[0]  # re-sent with a time on day 1: its output moves to an older partition
    events = [
        {
            **_lone(interactions),
            "event_id": "ev-lone-early",
            "timestamp": f"{LONE_MOVED_TO}T09:00:00Z",
        },
        {**moved, "event_id": moved["event_id"] + "-resent", "timestamp": "2026-11-01T05:00:00Z"},
        feedback[0],  # a duplicate: the same event again
        # a late vote on a day-1 output and a late corrected outcome of a day-1 task, both
        # dated on day 1 (an old partition of stg_feedback / stg_outcomes)
        {**feedback[1], "event_id": "ev-late-vote", "timestamp": "2026-11-01T23:00:00Z"},
        {
            **outcomes[0],
            "event_id": "ev-late-outcome",
            "timestamp": "2026-11-01T23:30:00Z",
            "outcome_metric_value": 1.0 - float(outcomes[0]["outcome_metric_value"]),
        },
    ]
    for i, event in enumerate(day1[:5]):  # new interactions of the new day
        events.append(
            {
                **event,
                "event_id": f"ev-new-{i}",
                "output_id": f"out-new-{i}",
                "trace_id": f"tr-new-{i}",
                "timestamp": f"2026-11-03T1{i}:00:00Z",
            }
        )
    _write(landing, "2026-11-03", events)
    return {"moved": moved["output_id"], "from": "2026-11-02"}


def _ingest(root: Path, now: str) -> None:
    args = ["--landing", str(root / "landing"), "--lake", str(root / "lake")]
    warehouse = root / "duck" / "w.duckdb"
    assert main(["ingest", *args, "--warehouse", str(warehouse), "--now", now]) == 0


class Builds:
    def __init__(self, root: Path, duck: Layout, inc: SparkBuild, full: SparkBuild) -> None:
        self.root, self.duck, self.inc, self.full = root, duck, inc, full


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    if shutil.which("java") is None:
        pytest.skip("no java on PATH (scripts/setup.sh installs openjdk-17-jre-headless as root)")
    root = tmp_path_factory.mktemp("spark_inc")
    landing, lake = root / "landing", root / "lake"
    assert main(["simulate", "--out", str(landing), *SIMULATE]) == 0
    _write(landing, LONE_DAY, [_lone(_events(landing, "interaction"))])
    _ingest(root, FIRST_LOAD)
    first = spark_build(lake, root / "spark_inc", BUILD, {}, "out_first")
    assert set(ran(first).values()) == {"success"}
    _second_load(landing)
    _ingest(root, SECOND_LOAD)
    inc = spark_build(lake, root / "spark_inc", BUILD, {}, "out_second")
    full = spark_build(lake, root / "spark_full", BUILD, {})
    duck = Layout.for_warehouse(root / "duck" / "w.duckdb", lake)
    run_dbt(["build", *SELECT, "--exclude-resource-type", "test", "--quiet"], duck, now=NOW)
    return Builds(root, duck, inc, full)


def test_incremental_on_spark_equals_full_refresh_and_duckdb(builds: Builds) -> None:
    built = ran(builds.inc)
    assert set(built.values()) == {"success"}
    assert set(PARTITIONED) <= set(built)
    assert ran(builds.full) == built
    names = sorted(built)
    assert differences(builds.duck, builds.inc.out, names) == {}
    assert differences(builds.duck, builds.full.out, names) == {}


def test_the_second_build_overwrote_partitions(builds: Builds) -> None:
    """The incremental path ran (not a rebuild), on partitioned tables; the partition the lone
    interaction left is gone, the one it moved to exists."""
    locations = json.loads((builds.inc.out / "locations.json").read_text())
    for name, column in PARTITIONED.items():
        folder = Path(locations[name])
        days = {p.name for p in folder.iterdir() if p.is_dir() and "=" in p.name}
        assert not list(folder.glob("*.parquet")), name  # every file is in a partition
        if name in ("stg_interactions", "fct_interactions"):
            assert f"{column}=2026-11-03" in days, name  # the new day
            assert f"{column}={LONE_DAY}" not in days, name
            assert f"{column}={LONE_MOVED_TO}" in days, name
        elif name != "stg_labels":  # the landing has no labels
            assert days, name
    compiled = next((builds.inc.target / "run").rglob("stg_interactions.sql")).read_text()
    assert "refresh table" in compiled  # macros/spark_incremental.sql's last statement
