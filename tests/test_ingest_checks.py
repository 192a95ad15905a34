"""Issue 11, the line checks: numbers, timestamps, byte order marks and duplicate keys judged
as the contract and RFC 3339 say. Small hand-made files, a real DuckDB file, GX off."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

from ingest_helpers import NOW, line, query, write_lines

from floop.ingest import IngestResult, ingest

BOM = "\ufeff"


def run(landing: Path, warehouse: Path) -> IngestResult:
    return ingest(landing, warehouse, NOW, quality=False)


def quarantined(warehouse: Path) -> dict[str, tuple[str, str, str]]:
    """event_id -> (reason_code, reason_field, reason_message)."""
    rows = query(
        warehouse,
        "select event_id, reason_code, reason_field, reason_message from raw.quarantine",
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def with_raw(event_line: str, field: str, raw_value: str) -> str:
    """The line with `field` set to a JSON text json.dumps cannot write (NaN, 1e999, ...)."""
    data = json.loads(event_line)
    data[field] = "__RAW__"
    return json.dumps(data).replace('"__RAW__"', raw_value)


def test_nan_and_infinity_rejected_in_number_fields(tmp_path: Path) -> None:
    """Issue 11 case 6: NaN and Infinity were accepted into DOUBLE columns, so a version
    mart showed an infinite p50 and a NaN p95 latency. They are not JSON numbers: wrong_type,
    as is a number beyond the range of a double (it would become infinity)."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    cases = {
        "nan": ("interaction", "server_latency_ms", "NaN"),
        "inf": ("interaction", "client_latency_ms", "Infinity"),
        "ninf": ("interaction", "server_latency_ms", "-Infinity"),
        "huge": ("interaction", "server_latency_ms", "1e999"),
        "fb-nan": ("feedback", "feedback_value", "NaN"),
        "ev-inf": ("evaluation", "eval_value", "Infinity"),
        "out-nan": ("outcome", "outcome_metric_value", "NaN"),
        "int-nan": ("interaction", "output_tokens", "NaN"),  # integers: rejected before too
    }
    lines = [with_raw(line(t, eid), f, v) for eid, (t, f, v) in cases.items()]
    lines.append(with_raw(line("interaction", "fine"), "server_latency_ms", "1.5e3"))
    write_lines(landing / "a.jsonl", lines)
    result = run(landing, wh)
    assert (result.accepted, result.rejected) == (1, len(cases))
    got = quarantined(wh)
    for eid, (_, field, value) in cases.items():
        code, reason_field, message = got[eid]
        assert (code, reason_field) == ("wrong_type", field), eid
        assert value in message, message
    assert got["nan"][2] == (
        "field 'server_latency_ms' must be a finite number (not NaN or Infinity), got NaN"
    )
    assert got["int-nan"][2] == "field 'output_tokens' must be an integer, got NaN"
    assert query(wh, "select server_latency_ms from raw.interaction_events") == [(1500.0,)]


def test_loose_timestamps_rejected(tmp_path: Path) -> None:
    """Issue 11 case 11: offsets beyond +-23:59, minute 60 of an offset, hour 24 and year
    0000 (which reached the marts as 0001-01-01 (BC)) were accepted; all are bad_timestamp."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    bad = {
        "off-24": "2026-11-04T16:00:00+24:00",
        "off-2360": "2026-11-04T16:00:00+23:60",
        "off-neg-24": "2026-11-04T16:00:00-24:00",
        "hour-24": "2026-11-04T24:00:00Z",
        "minute-60": "2026-11-04T16:60:00Z",
        "year-0": "0000-11-04T16:00:00Z",
        "leap-midday": "2016-12-31T12:59:60Z",  # second 60 only ends a UTC day
    }
    good = {
        "off-2359": ("2026-11-04T16:00:00+23:59", datetime(2026, 11, 3, 16, 1)),
        "off-neg-2359": ("2026-11-04T16:00:00-23:59", datetime(2026, 11, 5, 15, 59)),
        "year-1": ("0001-01-01T00:00:00Z", datetime(1, 1, 1)),
        "hour-23": ("2026-11-04T23:59:59.999Z", datetime(2026, 11, 4, 23, 59, 59, 999000)),
    }
    lines = [line("outcome", eid, timestamp=ts) for eid, ts in bad.items()]
    lines += [line("outcome", eid, timestamp=ts) for eid, (ts, _) in good.items()]
    write_lines(landing / "a.jsonl", lines)
    run(landing, wh)
    got = quarantined(wh)
    assert {eid: got[eid][:2] for eid in got} == {
        eid: ("bad_timestamp", "timestamp") for eid in bad
    }
    stored = dict(query(wh, "select event_id, timestamp from raw.outcome_events"))
    assert stored == {eid: expected for eid, (_, expected) in good.items()}


def test_leap_second_accepted(tmp_path: Path) -> None:
    """Issue 11 case 11: the valid leap second 23:59:60Z was rejected. RFC 3339 allows
    second 60 in the last minute of a UTC day; it is stored as 23:59:59.999999 of that day."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    leap = {
        "z": "2016-12-31T23:59:60Z",
        "fraction": "2016-12-31T23:59:60.25Z",
        "offset": "2016-12-31T15:59:60-08:00",  # 23:59:60 UTC
        "june": "2015-06-30T23:59:60Z",
    }
    write_lines(landing / "a.jsonl", [line("outcome", e, timestamp=ts) for e, ts in leap.items()])
    result = run(landing, wh)
    assert result.rejected == 0, quarantined(wh)
    stored = dict(query(wh, "select event_id, timestamp from raw.outcome_events"))
    end_2016 = datetime(2016, 12, 31, 23, 59, 59, 999999)
    assert stored == {
        "z": end_2016,
        "fraction": end_2016,
        "offset": end_2016,
        "june": datetime(2015, 6, 30, 23, 59, 59, 999999),
    }


def test_byte_order_mark_at_file_start_is_stripped(tmp_path: Path) -> None:
    """Issue 11 case 11: a UTF-8 BOM made line 1 invalid_json. It is skipped at byte 0 of a
    file (plain or gzipped) only: anywhere else it is still not JSON."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()
    text = BOM + line("outcome", "first") + "\n" + BOM + line("outcome", "second") + "\n"
    (landing / "a.jsonl").write_text(text, encoding="utf-8")
    with gzip.open(landing / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(BOM + line("outcome", "gz-first") + "\n")
    result = run(landing, wh)
    assert (result.accepted, result.rejected) == (2, 1)
    assert sorted(r[0] for r in query(wh, "select event_id from raw.outcome_events")) == [
        "first",
        "gz-first",
    ]
    [(line_number, code, raw_line)] = query(
        wh, "select line_number, reason_code, raw_line from raw.quarantine"
    )
    assert (line_number, code) == (2, "invalid_json")
    assert raw_line.startswith(BOM)  # kept as landed


def test_rejected_first_line_keeps_its_byte_order_mark(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()
    bad = line("outcome", "bad", outcome_metric_value="x")
    (landing / "a.jsonl").write_text(BOM + bad + "\n", encoding="utf-8")
    run(landing, wh)
    assert query(wh, "select raw_line, reason_code from raw.quarantine") == [
        (BOM + bad, "wrong_type")
    ]


def dup_key(event_line: str, key: str, raw_value: str) -> str:
    """The line with `key` appended once more (json.dumps never writes a key twice)."""
    return event_line[:-1] + f', "{key}": {raw_value}}}'


def test_duplicate_keys_last_value_wins(tmp_path: Path) -> None:
    """Issue 11 case 11: with a key twice the first value won (DuckDB's JSON extraction);
    Python's json and most readers keep the last. The last wins, for contract fields, for
    fields the contract does not name and in the quarantine's messages and ids."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    lines = [
        # first value bad, last good: accepted with the last
        dup_key(
            line("outcome", "last-good", outcome_metric_value="bad"), "outcome_metric_value", "0"
        ),
        # first value good, last bad: rejected, the message shows the last
        dup_key(line("outcome", "last-bad", outcome_metric_value=1), "outcome_metric_value", '"x"'),
        # an unknown field twice: the last value is kept
        dup_key(line("outcome", "extra", app_version="1.0"), "app_version", '"2.0"'),
        # the event_id twice: the quarantine row carries the last one
        dup_key(line("outcome", "id-first", timestamp="later"), "event_id", '"id-last"'),
        # the same value twice is no problem
        dup_key(line("outcome", "same"), "tenant_id", '"acme"'),
    ]
    write_lines(landing / "a.jsonl", lines)
    result = run(landing, wh)
    assert (result.accepted, result.rejected) == (3, 2)
    rows = {
        r[0]: r[1:]
        for r in query(
            wh, "select event_id, outcome_metric_value, _extra_fields from raw.outcome_events"
        )
    }
    assert rows["last-good"][0] == 0.0
    assert json.loads(rows["extra"][1]) == {"app_version": "2.0"}
    assert rows["same"][1] is None
    got = quarantined(wh)
    assert got["last-bad"] == (
        "wrong_type",
        "outcome_metric_value",
        "field 'outcome_metric_value' must be a number, got \"x\"",
    )
    assert got["id-last"][0] == "bad_timestamp"
    unknown = query(wh, "select field_name, events from raw.unknown_fields")
    assert unknown == [("app_version", 1)]
