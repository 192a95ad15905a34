"""Issue 14: a new NDJSON file read whole is read in place (no staged copy), and still only
the bytes that were hashed are loaded (floop.ingest.scan)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import NOW, line, query, write_lines

import floop.ingest
from floop.ingest import ingest
from floop.ingest.scan import Scan, scan_file


def test_which_files_are_read_in_place(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    plain = write_lines(landing / "day1.jsonl", [line("interaction", "i1")])
    scan = scan_file(plain, "jsonl", None, tmp_path)
    assert scan.in_place == plain and scan.staged is None and scan.end == scan.size
    # a name DuckDB would glob, and a file whose last line is unfinished: staged copies
    globbed = write_lines(landing / "day[2].jsonl", [line("interaction", "i2")])
    assert scan_file(globbed, "jsonl", None, tmp_path).staged is not None
    cut = write_lines(landing / "day3.jsonl", [line("interaction", "i3"), '{"event_id": "i'])
    cut.write_text(cut.read_text().rstrip("\n"))
    scan = scan_file(cut, "jsonl", None, tmp_path)
    assert scan.in_place is None and scan.staged is not None and scan.pending > 0


def test_a_file_appended_to_between_hash_and_read_is_staged_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer appends after the in-place hash: the read notices the new size, nothing of the
    first attempt is kept, and the file is scanned again into a copy (which includes the
    appended line, hashed with it). A second run then finds nothing new."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = write_lines(landing / "day1.jsonl", [line("interaction", "i1"), line("feedback", "f1")])
    real_scan = floop.ingest.scan_file
    appended: list[Scan] = []

    def scan_then_append(*args: object) -> Scan:
        scan = real_scan(*args)  # type: ignore[arg-type]
        if scan.in_place is not None and not appended:
            appended.append(scan)
            with open(path, "a") as fh:
                fh.write(line("interaction", "i2") + "\n")
        return scan

    monkeypatch.setattr(floop.ingest, "scan_file", scan_then_append)
    first = ingest(landing, wh, NOW, quality=False)
    assert appended, "the file was not read in place"
    assert (first.lines, first.accepted, len(first.files)) == (3, 3, 1)
    assert query(wh, "select count(*) from raw.interaction_events") == [(2,)]
    ledger = query(wh, "select status, lines, bytes_read, file_size_bytes from raw.ingest_ledger")
    size = path.stat().st_size
    assert ledger == [("loaded", 3, size, size)]
    again = ingest(landing, wh, NOW, quality=False)
    assert again.lines == 0 and again.skipped == ["day1.jsonl"]
