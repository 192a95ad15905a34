"""GX on a representative frame (large batches) reaches the verdicts and records the counts
that GX on every row does (floop.quality_batches)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import NOW

from floop import quality_batches
from floop.quality import validate_load
from floop.quality_batches import SAMPLE_ROWS, _scaled
from floop.warehouse import connect, ensure_raw_schema


def test_scaled_counts_keep_the_verdict() -> None:
    # worked by hand: 1,000,000 rows, SAMPLE_ROWS = 1000 -> 1 sample row stands for 1000
    assert SAMPLE_ROWS == 1000
    assert _scaled(0, 1_000_000, 0.99) == 0
    assert _scaled(10_000, 1_000_000, 0.99) == 10  # exactly 1% nulls: passes, 10/1000 = 1%
    assert _scaled(10_001, 1_000_000, 0.99) == 11  # just over: fails, 11/1000 > 1%
    assert _scaled(1, 1_000_000, 1.0) == 1  # one null fails mostly=1: one sample row
    assert _scaled(1, 1_000_000, None) == 1  # any unexpected value fails: one stays one
    assert _scaled(2_500, 1_000_000, None) == 2  # otherwise in proportion (2.5 rounds to 2)
    assert _scaled(999_999, 1_000_000, 0.5) == 1000  # fail rounds up, at most every row


def _results(wh: Path, load_id: str) -> dict[tuple[str, str | None], tuple[bool, int | None]]:
    con = connect(wh)
    try:
        out = validate_load(con, load_id, wh, NOW)
    finally:
        con.close()
    return {
        (r.expectation_type, r.column_name): (
            r.success,
            r.details["result"].get("unexpected_count"),
        )
        for r in out.results
        if r.event_type == "feedback"
    }


@pytest.mark.slow  # two GX validations
def test_representative_frame_matches_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Feedback rows written straight into raw (ingest would have rejected them): 3 null
    output_ids (max null share 0: fails), 2 unknown feedback types (fails the set), the rest
    valid. Every row through GX, then the same batch as a representative frame."""
    wh = tmp_path / "wh.duckdb"
    con = connect(wh)
    ensure_raw_schema(con)
    con.execute(
        """insert into raw.feedback_events
        (event_id, event_type, schema_version, "timestamp", tenant_id, output_id, feedback_type,
         feedback_value, actor_role, _load_id)
        select 'f' || i, 'feedback', '1', timestamp '2026-11-02', 'acme',
          case when i < 3 then null else 'o' || i end,
          case when i in (10, 11) then 'bogus' else 'thumbs' end,
          1, 'end_user', 'L1'
        from range(40) t(i)"""
    )
    con.close()
    every_row = _results(wh, "L1")
    monkeypatch.setattr(quality_batches, "EXACT_ROWS", 10)  # 40 rows: now representative
    representative = _results(wh, "L1")
    assert representative == every_row
    assert every_row[("expect_column_values_to_not_be_null", "output_id")] == (False, 3)
    assert every_row[("expect_column_values_to_be_in_set", "feedback_type")] == (False, 2)
    assert every_row[("expect_column_values_to_be_in_set", "actor_role")] == (True, 0)
