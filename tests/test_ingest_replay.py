"""`floop ingest --replay-quarantine`: quarantined lines checked again under the current clock
and contract; the ledger stays balanced; a replayed event reaches the marts (real dbt)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from ingest_helpers import line, query, table_counts, write_lines

from floop.cli import main
from floop.config import parse_now
from floop.contract import load_contract
from floop.dbt import run_dbt
from floop.errors import OperationalError, UsageError
from floop.ingest import ingest
from floop.ingest.replay import replay_quarantine

WRONG_NOW = datetime(2026, 11, 1)  # a clock days behind: today's events look future
RIGHT_NOW = datetime(2026, 11, 6)
TODAY = "2026-11-05T10:00:00Z"


def landing_with_future_lines(landing: Path) -> None:
    write_lines(
        landing / "day.jsonl",
        [
            line("outcome", "old", timestamp="2026-10-31T10:00:00Z"),  # accepted at once
            line("interaction", "i-today", timestamp=TODAY),
            line("outcome", "o-today", timestamp=TODAY),
            "{not json",
            line("outcome", "o-today", timestamp=TODAY),  # same event twice: a duplicate
        ],
    )
    write_lines(landing / "other.jsonl", [line("outcome", "o2", timestamp=TODAY)])


def per_file(warehouse: Path) -> dict[str, tuple[int, ...]]:
    """Per ledger row: lines, accepted, duplicate, rejected, and the rows found for it."""
    tables = [load_contract().raw_table(t) for t in load_contract().event_types]
    accepted = " + ".join(
        f"(select count(*) from {t} e where e._source_file = l.file_path)" for t in tables
    )
    rows = query(
        warehouse,
        f"""select l.file_path, l.lines, l.accepted, l.duplicate, l.rejected, {accepted},
          (select count(*) from raw.duplicate_events d
           where d.load_id = l.load_id and d.source_file = l.file_path),
          (select count(*) from raw.quarantine q
           where q.load_id = l.load_id and q.source_file = l.file_path)
        from raw.ingest_ledger l""",
    )
    return {Path(r[0]).name: tuple(r[1:]) for r in rows}


def assert_balanced(warehouse: Path) -> dict[str, tuple[int, ...]]:
    files = per_file(warehouse)
    for name, (lines, acc, dup, rej, acc_rows, dup_rows, rej_rows) in files.items():
        assert lines == acc + dup + rej, name
        assert (acc, dup, rej) == (acc_rows, dup_rows, rej_rows), name
    return files


def snapshot(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    tables = [load_contract().raw_table(t) for t in load_contract().event_types]
    tables += [f"raw.{t}" for t in ("quarantine", "duplicate_events", "ingest_ledger")]
    tables += ["raw.unknown_fields"]
    return {t: sorted(query(warehouse, f"select * from {t}"), key=repr) for t in tables}


def test_replay_accepts_lines_rejected_under_a_wrong_clock(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing_with_future_lines(landing)
    ingest(landing, wh, WRONG_NOW, quality=False)
    assert per_file(wh)["day.jsonl"][:4] == (5, 1, 0, 4)
    before = table_counts(wh)

    result = replay_quarantine(wh, RIGHT_NOW, ["future_timestamp"])
    assert (result.replayed, result.accepted, result.duplicate, result.rejected) == (4, 3, 1, 0)
    assert {f.path.rsplit("/", 1)[1]: (f.accepted, f.duplicate) for f in result.files} == {
        "day.jsonl": (2, 1),
        "other.jsonl": (1, 0),
    }
    files = assert_balanced(wh)
    assert files["day.jsonl"][:4] == (5, 3, 1, 1)  # {not json stays rejected
    assert files["other.jsonl"][:4] == (1, 1, 0, 0)
    after = table_counts(wh)
    assert after["ledger_lines"] == before["ledger_lines"]
    assert after["quarantine"] == 1
    # the accepted rows keep their file and line, with the replay's load id and a new stamp
    rows = query(
        wh,
        "select event_id, _source_file, _line_number, _load_id, _ingested_at "
        "from raw.outcome_events where event_id = 'o-today'",
    )
    assert [(Path(r[1]).name, r[2], r[3]) for r in rows] == [("day.jsonl", 3, result.load_id)]
    assert rows[0][4] == RIGHT_NOW
    # the duplicate stays with its file's load (the ledger balances per ingest day)
    assert query(wh, "select line_number, load_id like '%replay%' from raw.duplicate_events") == [
        (5, False)
    ]


def test_replay_twice_is_a_no_op(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing_with_future_lines(landing)
    ingest(landing, wh, WRONG_NOW, quality=False)
    replay_quarantine(wh, RIGHT_NOW)
    once = snapshot(wh)
    again = replay_quarantine(wh, RIGHT_NOW)
    assert (again.replayed, again.accepted, again.duplicate, again.reason_changed) == (1, 0, 0, 0)
    assert snapshot(wh) == once


def test_replay_only_the_chosen_reasons(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing_with_future_lines(landing)
    ingest(landing, wh, WRONG_NOW, quality=False)
    result = replay_quarantine(wh, RIGHT_NOW, ["invalid_json"])
    assert (result.replayed, result.accepted) == (1, 0)
    assert table_counts(wh)["quarantine"] == 5
    with pytest.raises(UsageError, match="unknown reason code 'nope'"):
        replay_quarantine(wh, RIGHT_NOW, ["nope"])


def test_replay_with_a_still_wrong_clock_changes_nothing(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing_with_future_lines(landing)
    ingest(landing, wh, WRONG_NOW, quality=False)
    before = snapshot(wh)
    result = replay_quarantine(wh, WRONG_NOW)
    assert (result.replayed, result.accepted, result.rejected) == (5, 0, 5)
    assert snapshot(wh) == before


def test_replay_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing_with_future_lines(landing)
    ingest(landing, wh, WRONG_NOW, quality=False)
    base = ["ingest", "--warehouse", str(wh), "--now", "2026-11-06T00:00:00Z"]
    assert main([*base, "--reason", "future_timestamp"]) == 2
    assert "--reason needs --replay-quarantine" in capsys.readouterr().err
    assert main([*base, "--replay-quarantine", "--reason", "bad"]) == 2
    assert "unknown reason code 'bad'" in capsys.readouterr().err
    args = [*base, "--replay-quarantine", "--reason", "future_timestamp", "--reason", "bad_enum"]
    assert main(args) == 0
    assert "3 accepted, 1 duplicate" in capsys.readouterr().out
    missing = ["ingest", "--warehouse", str(tmp_path / "none.duckdb"), "--replay-quarantine"]
    assert main(missing) == 2
    assert "does not exist" in capsys.readouterr().err


def test_replay_refuses_an_unbalanced_ledger(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing_with_future_lines(landing)
    ingest(landing, wh, WRONG_NOW, quality=False)
    con = duckdb.connect(str(wh))
    con.execute("update raw.ingest_ledger set rejected = rejected - 1, accepted = accepted + 1")
    con.close()
    before = snapshot(wh)
    with pytest.raises(OperationalError, match="does not match its quarantine"):
        replay_quarantine(wh, RIGHT_NOW)
    assert snapshot(wh) == before  # one transaction: nothing changed


@pytest.mark.slow
def test_replayed_event_reaches_the_marts(tmp_path: Path) -> None:
    """Real dbt: the incremental models pick the replayed rows up (their stamp is the newest),
    and the data-health reconciliation with the ledger still holds, day by day."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing_with_future_lines(landing)
    ingest(landing, wh, WRONG_NOW, quality=False)
    # cautious: no test of a seed left out of the selection (the goldens' tests read two seeds)
    select = ["--select", "+fct_interactions", "+fct_data_health_daily", "+dim_workflows"]
    select += ["--indirect-selection", "cautious"]
    run_dbt(["build", *select], wh, now=parse_now("2026-11-01T00:00:00Z"))
    assert query(wh, "select count(*) from marts.fct_interactions") == [(0,)]

    replay_quarantine(wh, RIGHT_NOW)
    run_dbt(["build", *select], wh, now=RIGHT_NOW)  # incremental, and the ledger test
    rows = query(wh, "select event_id, output_id from marts.fct_interactions")
    assert rows == [("i-today", "o1")]
    health = query(
        wh,
        "select lines_landed, lines_accepted, lines_duplicate, lines_rejected "
        "from marts.fct_data_health_daily",
    )
    assert health == [(6, 4, 1, 1)]
