"""Great Expectations batch quality: failed expectations are recorded and lose no data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_helpers import NOW, line, query, table_counts, write_lines

from floop.cli import main
from floop.config import Layout
from floop.contract import load_contract

pytestmark = pytest.mark.slow  # GX import and checkpoints take seconds


def test_batch_quality_records_failures_and_keeps_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    args = ["ingest", "--landing", str(landing), "--warehouse", str(wh), "--now"]
    args.append(NOW.isoformat() + "Z")

    # Load 1: two tenants, clean lines -> every expectation passes.
    write_lines(
        landing / "day1.jsonl",
        [line("interaction", f"i{i}", tenant_id=t) for i, t in enumerate(["acme", "globex"] * 3)]
        + [line("feedback", "f1", tenant_id="acme")],
    )
    assert main(args) == 0
    out1 = capsys.readouterr().out
    first = query(wh, "select load_id, success from raw.gx_validations")
    assert first and all(ok for _, ok in first)
    assert "expectations passed" in out1 and "FAILED" not in out1

    # Load 2: only acme sends interactions, and 2 of 4 lines are rejected (> max share).
    write_lines(
        landing / "day2.jsonl",
        [line("interaction", "i10"), line("interaction", "i11"), "garbage", "{}"],
    )
    assert main(args) == 0  # failed expectations are reported, not an error
    out2 = capsys.readouterr().out
    rows = query(
        wh,
        "select suite_name, column_name, success, observed_value, details, data_docs_path "
        "from raw.gx_validations where load_id <> ? order by suite_name, column_name",
        [first[0][0]],
    )
    failed = {(r[0], r[1]) for r in rows if not r[2]}
    assert failed == {("floop_batch_load", "rejected_share"), ("floop_batch_volume", "events")}
    share = next(r for r in rows if r[1] == "rejected_share")
    max_share = load_contract().batch_quality["max_rejected_share"]
    assert json.loads(share[4])["kwargs"]["max_value"] == max_share
    assert "0.5" in share[3]
    volume = next(r for r in rows if r[1] == "events")
    assert json.loads(volume[4])["result"]["unexpected_count"] == 1  # globex sent nothing

    # The data is loaded all the same.
    counts = table_counts(wh)
    assert counts["interaction_events"] == 8 and counts["quarantine"] == 2

    # Data Docs beside the warehouse, and the summary says where and what failed.
    docs = Path(rows[0][5])
    assert docs.is_file() and docs.name == "index.html"
    assert docs.is_relative_to(Layout.for_warehouse(wh).gx_dir)
    assert f"Data Docs: {docs}" in out2
    assert "FAILED" in out2 and "rejected_share" in out2


def test_a_load_of_rejected_lines_only_is_validated(tmp_path: Path) -> None:
    """Nothing accepted is no reason to skip the load suite: 100% rejected lines fail it (and
    block the run, floop.quality_gate), the lines stay in quarantine."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(landing / "bad.jsonl", ["nope", "[]"])
    args = ["ingest", "--landing", str(landing), "--warehouse", str(wh), "--quiet"]
    assert main([*args, "--now", NOW.isoformat() + "Z"]) == 0
    assert query(wh, "select suite_name, success from raw.gx_validations") == [
        ("floop_batch_load", False)
    ]
    assert table_counts(wh)["quarantine"] == 2


def test_no_gx_when_no_new_lines(tmp_path: Path) -> None:
    """A run that finds no new file validates nothing (and imports no GX)."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()
    args = ["ingest", "--landing", str(landing), "--warehouse", str(wh), "--quiet"]
    assert main([*args, "--now", NOW.isoformat() + "Z"]) == 0
    assert query(wh, "select count(*) from raw.gx_validations") == [(0,)]
    assert not Layout.for_warehouse(wh).gx_dir.exists()
