"""floop ingest: contract checks in SQL, counts that add up, duplicates, idempotence, formats.

Small hand-made files in tmp_path, a real DuckDB file, GX off (tests/test_quality.py covers it).
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import DROP, NOW, event, line, query, table_counts, write_lines

from floop.contract import load_contract
from floop.ingest import IngestResult, ingest


def run(landing: Path, warehouse: Path, now: datetime = NOW) -> IngestResult:
    return ingest(landing, warehouse, now, quality=False)


def assert_adds_up(warehouse: Path) -> dict[str, int]:
    counts = table_counts(warehouse)
    accepted = sum(counts[f"{t}_events"] for t in load_contract().event_types)
    assert counts["ledger_accepted"] == accepted
    assert counts["ledger_duplicate"] == counts["duplicate_events"]
    assert counts["ledger_rejected"] == counts["quarantine"]
    assert counts["ledger_lines"] == accepted + counts["duplicate_events"] + counts["quarantine"]
    return counts


# (line, reason_code, reason_field) — one case per reason code, plus variants.
REJECTED = [
    ("{not json", "invalid_json", None),
    ("", "invalid_json", None),  # an empty line in the middle of a file
    ("[1, 2]", "not_an_object", None),
    ('"just a string"', "not_an_object", None),
    (line("outcome", "r1", schema_version="2"), "unsupported_schema_version", "schema_version"),
    (line("outcome", "r2", schema_version="2.0"), "unsupported_schema_version", "schema_version"),
    (line("outcome", "r3", event_type="click"), "unknown_event_type", "event_type"),
    (line("feedback", "r4", output_id=DROP), "missing_required", "output_id"),
    (line("feedback", "r5", output_id=None), "missing_required", "output_id"),  # null = missing
    (line("interaction", "r6", knowledge_version=DROP), "missing_required", "knowledge_version"),
    (line("interaction", "r7", variant=DROP), "missing_required", "variant"),
    (
        line("feedback", "r8", feedback_type="doc_click", feedback_value=1),
        "missing_required",
        "document_id",
    ),
    (line("outcome", "r9", event_id=DROP), "missing_required", "event_id"),
    (line("interaction", "r10", output_tokens="164"), "wrong_type", "output_tokens"),
    (line("interaction", "r11", output_tokens=16.5), "wrong_type", "output_tokens"),
    (line("interaction", "r12", consent_scope="analytics"), "wrong_type", "consent_scope"),
    (line("interaction", "r13", consent_scope=["analytics", 3]), "wrong_type", "consent_scope"),
    (line("evaluation", "r14", eval_passed="yes"), "wrong_type", "eval_passed"),
    (line("outcome", "r15", outcome_metric_value="1"), "wrong_type", "outcome_metric_value"),
    (line("version", "r16", schema_version=1), "wrong_type", "schema_version"),
    (line("feedback", "r17", feedback_type="like"), "bad_enum", "feedback_type"),
    (line("interaction", "r18", consent_scope=["analytics", "ads"]), "bad_enum", "consent_scope"),
    (line("interaction", "r19", country="Germany"), "bad_enum", "country"),
    (line("feedback", "r20", feedback_value=3), "out_of_range", "feedback_value"),
    (
        line("feedback", "r21", feedback_type="rating", feedback_value=6),
        "out_of_range",
        "feedback_value",
    ),
    (line("interaction", "r22", output_tokens=-1), "out_of_range", "output_tokens"),
    (line("outcome", "r23", timestamp="2026-11-04 16:00:00"), "bad_timestamp", "timestamp"),
    (line("outcome", "r24", timestamp="2026-13-04T16:00:00Z"), "bad_timestamp", "timestamp"),
    (line("outcome", "r25", timestamp="yesterday"), "bad_timestamp", "timestamp"),
    (line("outcome", "r26", timestamp="2026-11-21T00:00:01Z"), "future_timestamp", "timestamp"),
]


def test_every_reason_code(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    good = line("outcome", "good-1")
    write_lines(landing / "a.jsonl", [good] + [case[0] for case in REJECTED])
    result = run(landing, wh)
    assert (result.lines, result.accepted, result.rejected) == (1 + len(REJECTED), 1, len(REJECTED))
    got = query(
        wh,
        "select line_number, reason_code, reason_field, reason_message, raw_line, event_id "
        "from raw.quarantine order by line_number",
    )
    assert [(r[1], r[2]) for r in got] == [(c[1], c[2]) for c in REJECTED]
    assert [r[0] for r in got] == list(range(2, 2 + len(REJECTED)))
    assert [r[4] for r in got] == [c[0] for c in REJECTED]  # the original line, as landed
    # every code of the contract is exercised
    assert {c[1] for c in REJECTED} == set(load_contract().reason_codes)
    messages = {r[5]: r[3] for r in got}
    assert messages["r4"] == "missing required field 'output_id' for event_type 'feedback'"
    assert "'feedback_value' value 3" in messages["r20"] and "thumbs" in messages["r20"]
    assert "'country'" in messages["r19"] and "Germany" in messages["r19"]
    assert all(r[3] for r in got)
    assert_adds_up(wh)


# Valid edge cases the contract allows: all must be accepted.
ACCEPTED = [
    line("interaction", "ok-1", consent_scope=[]),
    line("interaction", "ok-2", retrieval_ids=[], knowledge_version=DROP, cited_ids=[]),
    line("interaction", "ok-3", retrieval_ids=DROP, knowledge_version=DROP, cited_ids=DROP),
    line("interaction", "ok-4", user_id=None, input_tokens=None, experiment_id=None, variant=None),
    line("interaction", "ok-5", timestamp="2026-11-02T09:14:03+05:30"),
    line("interaction", "ok-6", timestamp="2026-11-01t23:30:00.5-02:00"),
    line("interaction", "ok-7", schema_version="1.0"),
    line("interaction", "ok-8", schema_version="1.1", output_tokens=164.0),
    line("feedback", "ok-9", feedback_type="doc_click", feedback_value=1, document_id="kb-1"),
    line("feedback", "ok-10", feedback_type="edit", feedback_value=0.25),
    line("outcome", "ok-11", timestamp="2026-11-20T23:59:59Z"),  # within max_future_hours
    line("version", "ok-12", tenant_id=DROP, parent_version_id=None),
    line("evaluation", "ok-13", eval_passed=True),
    line("label", "ok-14"),
]


def test_valid_edge_cases_are_accepted(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(landing / "a.jsonl", ACCEPTED)
    result = run(landing, wh)
    rejected = query(wh, "select event_id, reason_code, reason_message from raw.quarantine")
    assert rejected == []
    assert result.accepted == len(ACCEPTED)
    ts = dict(query(wh, "select event_id, timestamp from raw.interaction_events"))
    # non-Z offsets become naive UTC
    assert ts["ok-5"] == datetime(2026, 11, 2, 3, 44, 3)
    assert ts["ok-6"] == datetime(2026, 11, 2, 1, 30, 0, 500000)
    assert ts["ok-1"] == datetime(2026, 11, 2, 9, 14, 3, 120000)
    rows = {
        r[0]: r[1:]
        for r in query(
            wh,
            "select event_id, consent_scope, retrieval_ids, is_shadow, output_tokens, user_id "
            "from raw.interaction_events",
        )
    }
    assert rows["ok-1"][0] == []
    assert rows["ok-2"][1] == []
    assert rows["ok-1"][2] is None  # is_shadow absent stays null (staging applies the default)
    assert rows["ok-8"][3] == 164
    assert rows["ok-4"][4] is None
    assert query(wh, "select typeof(output_tokens) from raw.interaction_events limit 1") == [
        ("BIGINT",)
    ]


def test_counts_add_up_and_blank_lines(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    lines = [line("outcome", f"o{i}") for i in range(5)]
    # CRLF line endings parse; a trailing newline does not count as a line; an empty line
    # in the middle is a rejected line.
    (landing).mkdir()
    (landing / "crlf.jsonl").write_bytes(("\r\n".join(lines[:3]) + "\r\n").encode())
    write_lines(landing / "gap.ndjson", [lines[3], "", lines[4]], trailing_newline=False)
    result = run(landing, wh)
    by_file = {Path(f.path).name: f for f in result.files}
    assert (by_file["crlf.jsonl"].lines, by_file["crlf.jsonl"].accepted) == (3, 3)
    assert (by_file["gap.ndjson"].lines, by_file["gap.ndjson"].rejected) == (3, 1)
    assert query(wh, "select line_number, reason_code from raw.quarantine") == [(2, "invalid_json")]
    counts = assert_adds_up(wh)
    assert counts["ledger_lines"] == 6


def test_invalid_utf8_line_is_quarantined_not_fatal(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()
    good = line("outcome", "u1").encode()
    (landing / "a.jsonl").write_bytes(good + b"\n" + b'{"event_id": "\xff\xfe"}\n' + good + b"\n")
    write_lines(landing / "b.jsonl", [line("outcome", "u2")])
    result = run(landing, wh)
    assert (result.lines, result.accepted, result.duplicate, result.rejected) == (4, 2, 1, 1)
    assert query(wh, "select line_number, reason_code from raw.quarantine") == [(2, "invalid_json")]
    assert_adds_up(wh)


def test_duplicates_within_and_across_files(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(
        landing / "a.jsonl",
        [
            line("feedback", "d1", feedback_type="rating", feedback_value=2),
            line("feedback", "bad", feedback_value=9),  # rejected: does not claim the id
            line("feedback", "d1", feedback_type="rating", feedback_value=5),  # duplicate
            line("feedback", "bad", feedback_value=1),  # first valid 'bad': accepted
        ],
    )
    # across files and event types; the earlier file in path order wins
    write_lines(landing / "b" / "b.jsonl", [line("outcome", "d1"), line("outcome", "o2")])
    result = run(landing, wh)
    assert (result.accepted, result.duplicate, result.rejected) == (3, 2, 1)
    kept = query(wh, "select event_id, feedback_value from raw.feedback_events order by 1")
    assert kept == [("bad", 1.0), ("d1", 2.0)]
    dups = query(
        wh,
        "select source_file, line_number, event_id, event_type from raw.duplicate_events "
        "order by source_file, line_number",
    )
    assert [(Path(d[0]).name, d[1], d[2], d[3]) for d in dups] == [
        ("a.jsonl", 3, "d1", "feedback"),
        ("b.jsonl", 1, "d1", "outcome"),
    ]
    # a later run: an id accepted in an earlier load is a duplicate too
    write_lines(landing / "c.jsonl", [line("label", "o2")])
    again = run(landing, wh)
    assert (again.accepted, again.duplicate) == (0, 1)
    assert_adds_up(wh)


def test_rerun_is_idempotent_and_changed_file_is_tampered(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(landing / "a.jsonl", [line("outcome", "x1"), "oops"])
    run(landing, wh)
    before = table_counts(wh)
    second = run(landing, wh)
    assert second.files == [] and len(second.skipped) == 1
    assert table_counts(wh) == before
    # same path, the lines loaded before changed (landing files are an append-only log):
    # reported as tampered, nothing re-read, once in the ledger however often it is seen
    write_lines(landing / "a.jsonl", [line("outcome", "x1"), line("outcome", "x2")])
    third = run(landing, wh)
    assert third.files == [] and [f.status for f in third.failed] == ["tampered"]
    assert third.exit_code == 3
    run(landing, wh)
    assert query(wh, "select status from raw.ingest_ledger order by ingested_at") == [
        ("loaded",),
        ("tampered",),
    ]
    counts = assert_adds_up(wh)
    assert counts["outcome_events"] == 1 and counts["ledger_lines"] == 2


def test_gzip_and_parquet(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()
    with gzip.open(landing / "a.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(line("outcome", "g1") + "\n" + "nope\n" + line("outcome", "g2") + "\n")
    with gzip.open(landing / "b.ndjson.gz", "wt", encoding="utf-8") as fh:
        fh.write(line("outcome", "g3") + "\n")
    # Parquet: the same field names; a null (missing) required field on row 2 (line 3)
    rows = [
        event("feedback", "p1"),
        event("feedback", "p2", feedback_type="rating", feedback_value=4),
        event("feedback", "p3", output_id=None),
        event("feedback", "g1"),  # duplicate of the gz event
    ]
    src = tmp_path / "rows.json"
    src.write_text("\n".join(json.dumps(r) for r in rows))
    con = duckdb.connect()
    con.execute(
        f"copy (select * from read_json('{src}', format='newline_delimited')) "
        f"to '{landing / 'c.parquet'}' (format parquet)"
    )
    con.close()
    result = run(landing, wh)
    fmts = {Path(f.path).name: (f.file_format, f.lines, f.accepted) for f in result.files}
    assert fmts == {
        "a.jsonl.gz": ("jsonl.gz", 3, 2),
        "b.ndjson.gz": ("ndjson.gz", 1, 1),
        "c.parquet": ("parquet", 4, 2),
    }
    q = query(wh, "select source_file, line_number, reason_code, reason_field from raw.quarantine")
    assert sorted((Path(r[0]).name, r[1], r[2], r[3]) for r in q) == [
        ("a.jsonl.gz", 2, "invalid_json", None),
        ("c.parquet", 3, "missing_required", "output_id"),
    ]
    assert query(wh, "select line_number from raw.duplicate_events") == [(4,)]
    assert query(wh, "select feedback_value from raw.feedback_events where event_id = 'p2'") == [
        (4.0,)
    ]
    assert_adds_up(wh)


def test_unknown_fields_kept_and_counted(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(
        landing / "a.jsonl",
        [
            line("outcome", "u1", region="eu", meta={"a": [1, 2]}),
            line("outcome", "u2", region="us"),
            line("version", "u3", output_id="o1"),  # a contract field, but not of `version`
            line("outcome", "u4"),
        ],
    )
    result = run(landing, wh)
    assert result.unknown_fields == {"outcome.region": 2, "outcome.meta": 1, "version.output_id": 1}
    extra = dict(query(wh, "select event_id, _extra_fields from raw.outcome_events"))
    assert json.loads(extra["u1"]) == {"region": "eu", "meta": {"a": [1, 2]}}
    assert extra["u4"] is None
    assert query(wh, "select _extra_fields from raw.version_events") == [('{"output_id":"o1"}',)]
    counted = query(
        wh, "select event_type, field_name, events from raw.unknown_fields order by 1, 2"
    )
    assert counted == [
        ("outcome", "meta", 1),
        ("outcome", "region", 2),
        ("version", "output_id", 1),
    ]


def test_future_timestamp_follows_now(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_lines(landing / "a.jsonl", [line("outcome", "f1", timestamp="2026-11-21T06:00:00Z")])
    early = run(landing, tmp_path / "early.duckdb", now=datetime(2026, 11, 20))
    late = run(landing, tmp_path / "late.duckdb", now=datetime(2026, 11, 21))
    assert (early.rejected, late.accepted) == (1, 1)


def test_ingest_stamp_strictly_increases(tmp_path: Path) -> None:
    """A backfill run with an earlier clock, or a run with the same clock, still stamps its rows
    strictly after every earlier load, so
    the incremental dbt models (ingested_at watermarks) pick them up; --now still judges
    future timestamps."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(landing / "a.jsonl", [line("outcome", "s1")])
    run(landing, wh, now=datetime(2026, 11, 21))
    write_lines(landing / "b.jsonl", [line("outcome", "s2", timestamp="2026-11-20T12:00:00Z")])
    backfill = run(landing, wh, now=datetime(2026, 11, 19))
    assert backfill.rejected == 1  # judged against its own clock: more than 24 h ahead
    write_lines(landing / "c.jsonl", [line("outcome", "s3")])
    run(landing, wh, now=datetime(2026, 11, 19))
    stamps = query(wh, "select file_path, ingested_at from raw.ingest_ledger order by file_path")
    tick = timedelta(microseconds=1)  # strictly after the previous load
    first = datetime(2026, 11, 21)
    assert [s for _, s in stamps] == [first, first + tick, first + 2 * tick]
    assert query(wh, "select _ingested_at from raw.outcome_events where event_id = 's3'") == [
        (first + 2 * tick,)
    ]
    # the same clock twice: still strictly increasing
    write_lines(landing / "d.jsonl", [line("outcome", "s4")])
    run(landing, wh, now=datetime(2026, 12, 1))
    write_lines(landing / "e.jsonl", [line("outcome", "s5")])
    run(landing, wh, now=datetime(2026, 12, 1))
    assert query(wh, "select max(ingested_at) from raw.ingest_ledger") == [
        (datetime(2026, 12, 1) + tick,)
    ]


def test_missing_landing_is_operational_error(tmp_path: Path) -> None:
    from floop.errors import OperationalError

    with pytest.raises(OperationalError, match="does not exist"):
        run(tmp_path / "nope", tmp_path / "wh.duckdb")
