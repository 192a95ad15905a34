"""`floop simulate`: deterministic bytes, a truth file that matches what was written, and a
landing folder the real ingest reconciles line for line with the truth."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from floop.contract import load_contract
from floop.simulate import simulate

START = "2026-10-30"


def _run(root: Path, seed: int = 5, days: int = 7, tasks: int = 50, **kw: float) -> Path:
    return simulate(root / "landing", days, tasks, seed, START, truth_path=None, **kw)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("sim")
    truth_path = _run(root)
    return root / "landing", json.loads(truth_path.read_text())


def _lines_table(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """Every line of every NDJSON file (gz or not) and every Parquet row (as JSON text)."""
    rows = []
    for p in sorted(landing.rglob("*")):
        if not p.is_file() or p.name.endswith(".parquet"):
            continue
        data = gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()
        rel = p.relative_to(landing).as_posix()
        rows += [(rel, i + 1, ln) for i, ln in enumerate(data.decode().splitlines())]
    con.execute("create table lines (file varchar, n bigint, line varchar)")
    con.executemany("insert into lines values (?, ?, ?)", rows)
    for p in sorted(landing.rglob("*.parquet")):
        rel = p.relative_to(landing).as_posix()
        con.execute(
            "insert into lines select ?, row_number() over (), to_json(p)::varchar "
            "from read_parquet(?) p",
            [rel, str(p)],
        )


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", seed=3, days=3, tasks=30)
    b = _run(tmp_path / "b", seed=3, days=3, tasks=30)
    c = _run(tmp_path / "c", seed=4, days=3, tasks=30)
    da, db, dc = (_digest(t.parent / "landing") for t in (a, b, c))
    assert len(da) > 5
    assert da == db
    assert a.read_bytes() == b.read_bytes()
    assert da != dc
    # several formats, the truth file beside (not inside) the landing folder
    exts = {n.split(".", 1)[1] for n in da}
    assert {"jsonl", "parquet"} <= exts and any(e.endswith(".gz") for e in exts)
    assert a.parent == tmp_path / "a" and a.name == "landing.truth.json"
    # gzip members carry no timestamp
    gz = next((tmp_path / "a" / "landing").rglob("*.gz"))
    assert gz.read_bytes()[4:8] == b"\x00\x00\x00\x00"


def test_truth_matches_files(sim: tuple[Path, dict]) -> None:
    landing, truth = sim
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    _lines_table(con, landing)
    per_file = dict(con.execute("select file, count(*) from lines group by 1").fetchall())
    assert per_file == {f: v["lines"] for f, v in truth["files"].items()}

    # bad lines carry event ids starting with bad- (even the truncated ones)
    bad = con.execute(
        'select count(*) from lines where line like \'%"event_id":"bad-%\''
    ).fetchone()
    assert bad[0] == truth["bad_lines"]["total"] > 0
    reasons = load_contract().reason_codes
    assert set(truth["bad_lines"]["by_reason"]) == set(reasons)
    assert all(v > 0 for v in truth["bad_lines"]["by_reason"].values())

    con.execute(
        """create table ev as select file, n, line,
             line->>'event_id' as event_id, line->>'event_type' as event_type
           from lines where line not like '%\"event_id\":\"bad-%'"""
    )
    assert con.execute("select count(*) from ev where not json_valid(line)").fetchone()[0] == 0
    per_type = dict(
        con.execute("select event_type, count(distinct event_id) from ev group by 1").fetchall()
    )
    assert per_type == truth["events"]
    assert set(per_type) == set(load_contract().event_types)
    n_dup = con.execute("select count(*) - count(distinct event_id) from ev").fetchone()[0]
    assert n_dup == truth["duplicates"]["total"] > 0
    # a duplicate is the exact same line again
    assert (
        con.execute(
            "select count(*) from (select event_id from ev group by 1 "
            "having count(distinct line) > 1 and count(*) > 1)"
        ).fetchone()[0]
        == 0
    )

    # every planted personal-data string is in the feedback_text of the event named
    for p in truth["pii"]:
        text = con.execute(
            "select any_value(line->>'feedback_text') from ev where event_id = ?", [p["event_id"]]
        ).fetchone()[0]
        assert text is not None and p["value"] in text, p
    assert {p["kind"] for p in truth["pii"]} == {"email", "phone", "card", "ipv4", "ipv6"}

    # every feedback type and every version kind of the contract is present
    enums = load_contract().enums
    fb_types = {
        r[0]
        for r in con.execute(
            "select distinct line->>'feedback_type' from ev where event_type = 'feedback'"
        ).fetchall()
    }
    assert fb_types == set(enums["feedback_type"])
    kinds = {
        r[0]
        for r in con.execute(
            "select distinct line->>'version_kind' from ev where event_type = 'version'"
        ).fetchall()
    }
    assert kinds == set(enums["version_kind"])

    # valid timestamps are inside the window; offsets other than Z occur
    end = datetime.fromisoformat(truth["window"]["end"].replace("Z", "+00:00"))
    latest = con.execute("select max((line->>'timestamp')::timestamptz) from ev").fetchone()[0]
    assert latest < end
    assert con.execute("select count(*) from ev where line like '%+09:00\"%'").fetchone()[0] > 0

    # unknown fields (schema drift) counted per field
    for field, by_type in truth["unknown_fields"].items():
        for et, n in by_type.items():
            got = con.execute(
                f"select count(distinct event_id) from ev where event_type = ? "
                f"and json_exists(line, '$.{field}')",
                [et],
            ).fetchone()[0]
            assert got == n > 0


def test_planted_rollout_is_in_the_outcomes(sim: tuple[Path, dict]) -> None:
    """Latest primary outcome per task, by the task's prompt version, equals the truth."""
    landing, truth = sim
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    _lines_table(con, landing)
    rows = con.execute(
        """
        with ev as (
          select distinct line from lines
          where line not like '%"event_id":"bad-%'
        ),
        interactions as (
          select distinct line->>'task_id' as task_id, line->>'prompt_version' as prompt
          from ev
          where line->>'event_type' = 'interaction'
            and coalesce((line->>'is_shadow')::boolean, false) = false
        ),
        outcomes as (
          select line->>'task_id' as task_id, (line->>'outcome_metric_value')::double as v,
            (line->>'timestamp')::timestamptz as ts
          from ev
          where line->>'event_type' = 'outcome' and line->>'outcome_metric_name' = 'resolved'
        ),
        latest as (
          select task_id, arg_max(v, ts) as v from outcomes group by 1
        ),
        final as (
          select i.prompt, count(*) as tasks, sum(l.v)::bigint as successes
          from latest l join interactions i using (task_id)
          group by 1
        )
        select * from final order by 1
        """
    ).fetchall()
    got = {p: {"tasks": n, "successes": s} for p, n, s in rows}
    for version, obs in truth["rollout"]["observed"].items():
        assert got[version] == {"tasks": obs["tasks"], "successes": obs["successes"]}
    assert truth["late_outcomes"]["corrections"] > 0
    assert truth["rollout"]["planted_effect"] > 0


def test_labels_match_hidden_truth_and_taxonomy_change(sim: tuple[Path, dict]) -> None:
    landing, truth = sim
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    _lines_table(con, landing)
    hidden = landing.parent / truth["labels"]["hidden_truth_file"]
    change = truth["labels"]["taxonomy_change_day"]
    rows = con.execute(
        """
        with labels as (
          select distinct line->>'event_id' as event_id, line->>'output_id' as output_id,
            line->>'labeler_id' as labeler, line->>'taxonomy_version' as taxonomy,
            line->>'label_value' as value, (line->>'timestamp')::timestamptz as ts
          from lines
          where line->>'event_type' = 'label' and line not like '%"event_id":"bad-%'
        ),
        judged as (
          select l.*,
            case when l.taxonomy = '1' and h.true_label = 'partially_correct' then 'incorrect'
              else h.true_label end as expected
          from labels l join read_parquet(?) h using (output_id)
        ),
        final as (
          select labeler, count(*) as n, count(*) filter (where value = expected) as right,
            count(*) filter (where taxonomy = '1' and ts >= ?::timestamptz) as late_v1,
            count(*) filter (where taxonomy = '2' and ts < ?::timestamptz) as early_v2,
            count(*) filter (where taxonomy = '1' and value = 'partially_correct') as bad_cat
          from judged group by 1
        )
        select * from final order by 1
        """,
        [str(hidden), change, change],
    ).fetchall()
    assert [r[0] for r in rows] == sorted(truth["labels"]["labelers"])
    for labeler, n, right, late_v1, early_v2, bad_cat in rows:
        t = truth["labels"]["labelers"][labeler]
        assert n == t["labels"] > 0
        assert round(right / n, 4) == t["observed_accuracy"]
        assert late_v1 == early_v2 == bad_cat == 0
    by_tax = truth["labels"]["by_taxonomy"]
    assert by_tax["1"] > 0 and by_tax["2"] > 0


@pytest.fixture(scope="module")
def ingested(sim: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """The REAL ingest over the simulated landing folder (GX off: counts only)."""
    from floop.config import parse_now
    from floop.ingest import ingest

    landing, truth = sim
    wh = tmp_path_factory.mktemp("wh") / "wh.duckdb"
    result = ingest(landing, wh, parse_now(truth["window"]["end"]), quality=False)
    return wh, result


def _reconcile(landing: Path, truth: dict, wh: Path, result: object) -> None:
    exp = truth["expected_ingest"]
    assert (result.lines, result.accepted, result.duplicate, result.rejected) == (
        exp["lines"],
        exp["accepted"],
        exp["duplicate"],
        exp["rejected"],
    )
    assert result.rejected_by_reason == {k: v for k, v in exp["rejected_by_reason"].items() if v}
    assert result.accepted_by_type == {k: v for k, v in exp["accepted_by_type"].items() if v}
    unknown = {
        f"{et}.{f}": n for f, by in truth["unknown_fields"].items() for et, n in by.items() if n
    }
    assert result.unknown_fields == unknown
    assert len(result.files) == len(truth["files"])
    for fr in result.files:
        rel = Path(fr.path).relative_to(landing.resolve()).as_posix()
        e = truth["files"][rel]
        assert (fr.lines, fr.accepted, fr.duplicate, fr.rejected) == (
            e["lines"],
            e["accepted"],
            e["duplicate"],
            e["rejected"],
        ), rel
    # the ledger and the quarantine in the warehouse say the same
    con = duckdb.connect(str(wh), read_only=True)
    led = con.execute(
        "select sum(lines), sum(accepted), sum(duplicate), sum(rejected) from raw.ingest_ledger"
    ).fetchone()
    assert tuple(int(x) for x in led) == (
        exp["lines"],
        exp["accepted"],
        exp["duplicate"],
        exp["rejected"],
    )
    q = dict(con.execute("select reason_code, count(*) from raw.quarantine group by 1").fetchall())
    assert q == {k: v for k, v in exp["rejected_by_reason"].items() if v}
    n_dup = con.execute("select count(*) from raw.duplicate_events").fetchone()[0]
    assert n_dup == exp["duplicate"]
    con.close()


def test_real_ingest_reconciles_with_truth(sim: tuple[Path, dict], ingested: tuple) -> None:
    landing, truth = sim
    wh, result = ingested
    _reconcile(landing, truth, wh, result)
    assert all(v > 0 for v in truth["expected_ingest"]["rejected_by_reason"].values())


def test_real_ingest_reconciles_at_scale_layout(tmp_path: Path) -> None:
    """Bigger days are split in am/pm files with Parquet per event type: same reconciliation."""
    from floop.config import parse_now
    from floop.ingest import ingest

    truth_path = _run(tmp_path, seed=2, days=2, tasks=2200)
    truth = json.loads(truth_path.read_text())
    assert any("-am." in f for f in truth["files"]) and any("-pm-" in f for f in truth["files"])
    landing = tmp_path / "landing"
    wh = tmp_path / "wh.duckdb"
    result = ingest(landing, wh, parse_now(truth["window"]["end"]), quality=False)
    _reconcile(landing, truth, wh, result)


def test_summary_reports_what_was_ingested(sim: tuple[Path, dict], ingested: tuple) -> None:
    from floop.summary import print_summary

    _landing, truth = sim
    wh, _result = ingested
    buf = io.StringIO()
    print_summary(wh, file=buf)
    text = buf.getvalue()
    exp = truth["expected_ingest"]
    assert f"{exp['lines']:,} lines = {exp['accepted']:,} accepted" in text
    for reason, n in exp["rejected_by_reason"].items():
        assert re.search(rf"{reason}\s+{n}\b", text), reason
    assert f"duplicates dropped: {exp['duplicate']:,} lines" in text
    assert "client_platform" in text
    assert str(wh.resolve()) in text
    # marts not built in this warehouse: said so, not an error
    assert "fct_version_changes_weekly not built yet" in text


@pytest.mark.slow
def test_summary_on_built_warehouse(built_warehouse: Path) -> None:
    from floop.summary import summary_lines

    text = "\n".join(summary_lines(built_warehouse))
    assert "events accepted (raw):" in text
    assert "dbt docs:" in text and "GX Data Docs:" in text
    truth_path = built_warehouse.parent / "landing.truth.json"
    truth = json.loads(truth_path.read_text())
    # the planted rollout and experiments show up when their marts are built
    if "version changes (marts" in text:
        assert truth["rollout"]["to"] in text
    if "experiments (marts" in text:
        assert all(e["experiment_id"] in text for e in truth["experiments"])


def test_zero_rates_give_clean_files(tmp_path: Path) -> None:
    truth = json.loads(
        _run(tmp_path, days=2, tasks=20, bad_rate=0.0, duplicate_rate=0.0).read_text()
    )
    con = duckdb.connect()
    _lines_table(con, tmp_path / "landing")
    lines, ids, bad = con.execute(
        "select count(*), count(distinct line->>'event_id'), "
        "count(*) filter (where not json_valid(line) or line like '%\"bad-%') from lines"
    ).fetchone()
    assert bad == 0 and lines == ids == truth["expected_ingest"]["accepted"]
    assert truth["bad_lines"]["total"] == truth["duplicates"]["total"] == 0


def test_refuses_to_overwrite_landed_days(tmp_path: Path) -> None:
    from floop.errors import OperationalError

    _run(tmp_path, days=1, tasks=5)
    with pytest.raises(OperationalError):
        _run(tmp_path, days=1, tasks=5)
    with pytest.raises(OperationalError):
        simulate(tmp_path / "x", 1, 5, 1, START, truth_path=tmp_path / "x" / "t.json")


def test_truth_folder_is_created(tmp_path: Path) -> None:
    """The demo puts the truth beside a warehouse folder that a fresh clone does not have."""
    truth = simulate(tmp_path / "landing", 1, 5, 1, START, truth_path=tmp_path / "new" / "t.json")
    assert truth.exists() and truth.with_name("t.truth_labels.parquet").exists()
