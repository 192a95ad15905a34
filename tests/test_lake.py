"""`floop ingest --lake`: the raw store as a Parquet event log.

Real DuckDB, real Parquet files, real dbt; a crash is a real SIGKILL of a real `floop ingest`
process, sent by the process itself at a chosen point of the lake write (the test wraps the
writer's functions in the child; the production code has no hook for it).
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import NOW, line, query, table_counts, write_lines

from floop.cli import main
from floop.config import Layout
from floop.contract import load_contract
from floop.dbt import run_dbt
from floop.errors import OperationalError
from floop.ingest import IngestResult, ingest
from floop.lake import LEDGER, Lake, committed_sql
from floop.lake_write import locked

PROJECT_DIR = Path(__file__).resolve().parent.parent
LAKE_NOW = datetime(2026, 11, 5)


def _compare_marts():  # scripts/compare_marts.py: the one definition of "identical marts"
    spec = importlib.util.spec_from_file_location(
        "compare_marts", PROJECT_DIR / "scripts" / "compare_marts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compare


def run(landing: Path, warehouse: Path, lake: Path | None, now: datetime = NOW) -> IngestResult:
    return ingest(landing, warehouse, now, quality=False, lake=lake)


def adds_up(warehouse: Path) -> dict[str, int]:
    """The raw counts (views over the lake for a lake's warehouse), checked to add up."""
    counts = table_counts(warehouse)
    accepted = sum(counts[f"{t}_events"] for t in load_contract().event_types)
    assert counts["ledger_accepted"] == accepted
    assert counts["ledger_duplicate"] == counts["duplicate_events"]
    assert counts["ledger_rejected"] == counts["quarantine"]
    assert counts["ledger_lines"] == accepted + counts["duplicate_events"] + counts["quarantine"]
    return counts


def lake_counts(lake: Path) -> dict[str, int]:
    """Committed rows per lake table, read straight from the Parquet files."""
    tables = [f"{t}_events" for t in load_contract().event_types]
    tables += ["quarantine", "duplicate_events", LEDGER]
    with duckdb.connect() as con:
        return {
            t: con.execute(f"select count(*) from {committed_sql(lake.as_posix(), t)}").fetchall()[
                0
            ][0]
            for t in tables
        }


@pytest.fixture(scope="module")
def sim_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three simulated days (with bad lines and duplicates), the last day as a second load."""
    root = tmp_path_factory.mktemp("lake_sim")
    args = ["--days", "3", "--tasks-per-day", "30", "--seed", "5", "--start", "2026-11-01"]
    assert main(["simulate", "--out", str(root / "all"), *args]) == 0
    return root / "all"


def _two_loads(sim: Path, landing: Path, warehouse: Path, lake: Path | None) -> None:
    """Days 1-2 as one load, day 3 added as a second: the lake gets two loads."""
    for day in sorted(p for p in sim.iterdir() if p.is_dir())[:2]:
        shutil.copytree(day, landing / day.name)
    run(landing, warehouse, lake, LAKE_NOW)
    shutil.copytree(sim, landing, dirs_exist_ok=True)
    run(landing, warehouse, lake, LAKE_NOW)


@pytest.mark.slow
def test_marts_from_the_lake_equal_marts_from_the_file(sim_landing: Path, tmp_path: Path) -> None:
    file_wh, lake_wh, lake = tmp_path / "file.duckdb", tmp_path / "lake.duckdb", tmp_path / "lake"
    _two_loads(sim_landing, tmp_path / "landing_file", file_wh, None)
    _two_loads(sim_landing, tmp_path / "landing_lake", lake_wh, lake)
    # the same counts, and they add up over the lake
    assert adds_up(file_wh) == adds_up(lake_wh)
    direct = lake_counts(lake)
    assert direct["duplicate_events"] == table_counts(file_wh)["duplicate_events"] > 0
    assert query(lake_wh, "select count(distinct load_id) from raw.ingest_ledger") == [(2,)]
    # event files as the issue names them
    files = sorted(p.relative_to(lake).as_posix() for p in lake.glob("*/event_date=*/*.parquet"))
    assert files and all(f.split("/")[1].startswith("event_date=2026-") for f in files)
    run_dbt(["build", "--quiet"], file_wh, now=LAKE_NOW)
    run_dbt(["build", "--quiet"], Layout.for_warehouse(lake_wh, lake), now=LAKE_NOW)
    compiled = (lake_wh.parent / "lake_dbt_target").rglob("stg_interactions.sql")
    assert any("read_parquet" in p.read_text() for p in compiled)  # really read from the lake
    diffs = [
        row
        for row in _compare_marts()(file_wh, lake_wh, ["marts", "intermediate"])
        if row[1] or row[2]
    ]
    assert diffs == []


def test_duplicates_across_loads_are_found_in_the_lake(tmp_path: Path) -> None:
    landing, wh, lake = tmp_path / "landing", tmp_path / "wh.duckdb", tmp_path / "lake"
    write_lines(landing / "a.jsonl", [line("feedback", "d1"), line("outcome", "o2"), "oops"])
    first = run(landing, wh, lake)
    assert (first.accepted, first.duplicate, first.rejected) == (2, 0, 1)
    # a later load: ids accepted by the first are duplicates, whatever the event type
    write_lines(
        landing / "b.jsonl", [line("label", "o2"), line("feedback", "d1"), line("outcome", "n")]
    )
    second = run(landing, wh, lake)
    assert (second.accepted, second.duplicate, second.rejected) == (1, 2, 0)
    counts = adds_up(wh)
    assert counts["duplicate_events"] == 2 and counts["ledger_files"] == 2
    assert lake_counts(lake)["duplicate_events"] == 2
    # an unchanged landing loads nothing again
    third = run(landing, wh, lake)
    assert third.lines == 0 and adds_up(wh) == counts


# The child: floop ingest --lake, killed with SIGKILL by itself at one point of the write.
_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    import floop.lake_write as w
    from floop.ingest import ingest
    point, n, landing, wh, lake = sys.argv[1], int(sys.argv[2]), *map(Path, sys.argv[3:])
    published = []
    real_publish, real_replace = w.publish, w.os.replace

    def publish(con, query, dest):
        if point == "after_files" and len(published) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        published.append(dest)
        return real_publish(con, query, dest)

    def replace(src, dst):  # the temporary file is complete; the rename has not happened
        if point == "before_rename" and len(published) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)

    w.publish = publish
    w.os.replace = replace
    ingest(landing, wh, datetime(2026, 11, 20), quality=False, lake=lake)
    """
)


@pytest.mark.parametrize(
    ("point", "n"),
    [
        ("after_files", 1),  # one event file written, the rest not
        ("before_rename", 1),  # a temporary file written whole, never renamed
        ("before_rename", 999),  # never reached: a clean run, for the control
    ],
)
def test_a_killed_lake_write_leaves_the_lake_consistent(tmp_path: Path, point: str, n: int) -> None:
    landing, wh, lake = tmp_path / "landing", tmp_path / "wh.duckdb", tmp_path / "lake"
    write_lines(landing / "a.jsonl", [line("feedback", "k1"), line("outcome", "k2"), "bad"])
    run(landing, wh, lake)  # a committed first load
    before = lake_counts(lake)
    write_lines(
        landing / "b.jsonl",
        [
            line("interaction", "k3"),
            line("outcome", "k2"),
            line("outcome", "k4", timestamp="2026-11-03T00:00:00Z"),
            "{",
        ],
    )
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, point, str(n), str(landing), str(wh), str(lake)],
        capture_output=True,
    )
    killed = child.returncode == -signal.SIGKILL
    assert killed == (n != 999), child.stderr.decode()[-2000:]
    if killed:
        # what the killed load wrote is not seen: the lake reads as before it started
        assert lake_counts(lake) == before
        assert list(lake.rglob(".*.tmp")) or point == "after_files"
    # a re-run (it removes the killed load's files) gives what a clean run gives
    run(landing, wh, lake, datetime(2026, 11, 20))
    clean_landing, clean_wh, clean_lake = (
        tmp_path / "cl",
        tmp_path / "c.duckdb",
        tmp_path / "cl_lake",
    )
    write_lines(clean_landing / "a.jsonl", (landing / "a.jsonl").read_text().splitlines())
    run(clean_landing, clean_wh, clean_lake)
    write_lines(clean_landing / "b.jsonl", (landing / "b.jsonl").read_text().splitlines())
    run(clean_landing, clean_wh, clean_lake, datetime(2026, 11, 20))
    assert lake_counts(lake) == lake_counts(clean_lake)
    assert adds_up(wh) == adds_up(clean_wh)
    assert not list(lake.rglob(".*.tmp"))
    loads = {p.stem for p in lake.rglob("*.parquet") if p.name != "_schema.parquet"}
    assert loads == Lake(lake).committed_load_ids()  # no file of an uncommitted load is left


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    landing, lake = tmp_path / "landing", Lake(tmp_path / "lake")
    write_lines(landing / "a.jsonl", [line("feedback", "x")])
    with locked(lake), pytest.raises(OperationalError, match="in use by another writer"):
        run(landing, tmp_path / "wh.duckdb", lake.root)


def test_a_lake_warehouse_refuses_a_file_ingest_and_back(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_lines(landing / "a.jsonl", [line("feedback", "x")])
    run(landing, tmp_path / "lake.duckdb", tmp_path / "lake")
    with pytest.raises(OperationalError, match="reads its raw data from a lake"):
        run(landing, tmp_path / "lake.duckdb", None)
    run(landing, tmp_path / "file.duckdb", None)
    with pytest.raises(OperationalError, match="holds rows loaded without a lake"):
        run(landing, tmp_path / "file.duckdb", tmp_path / "lake2")


@pytest.mark.parametrize("bad", ["it's", "a{b}", "x*", "q?"])
def test_an_unsafe_lake_path_is_one_line_exit_2(
    tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "landing").mkdir()
    landing = str(tmp_path / "landing")
    assert main(["ingest", "--landing", landing, "--lake", str(tmp_path / bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--lake" in err[0]
