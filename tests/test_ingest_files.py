"""Issue 11, landing files and the ledger: names that look like globs, files that cannot be
read, what the landing folder holds besides landing files, moved folders, appended files,
Parquet nulls, and an older warehouse migrated in place. One test per case of the issue.

Unreadable files need a user that permissions apply to: as root, the test drops its effective
uid to `nobody` around the run (in a scratch folder `nobody` may use).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import NOW, event, line, query, table_counts, write_lines

from floop import cli
from floop.errors import OperationalError
from floop.ingest import IngestResult, ingest

NOBODY = 65534


def run(landing: Path, warehouse: Path) -> IngestResult:
    return ingest(landing, warehouse, NOW, quality=False)


def ledger(warehouse: Path) -> dict[str, tuple]:
    """relative_path -> (status, lines, accepted, duplicate, rejected, status_reason)."""
    rows = query(
        warehouse,
        "select relative_path, status, lines, accepted, duplicate, rejected, status_reason "
        "from raw.ingest_ledger order by ingested_at, rowid",
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def write_parquet(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    src = path.with_suffix(".src.json")
    src.write_text("\n".join(json.dumps(r) for r in rows))
    con = duckdb.connect()
    con.execute(
        "copy (select * from read_json(?, format='newline_delimited')) to '"
        + str(path).replace("'", "''")
        + "' (format parquet)",
        [str(src)],
    )
    con.close()
    src.unlink()
    return path


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder the unprivileged user may write (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="floop-test-"))
    folder.chmod(0o777)
    yield folder
    for p in [folder, *folder.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o777)
    shutil.rmtree(folder)


@contextmanager
def unprivileged() -> Iterator[None]:
    """Permissions apply inside (root ignores them): drop the effective uid to nobody."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def test_case1_glob_characters_in_file_names_are_data(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(landing / "a.jsonl", [line("outcome", "a1")])
    write_lines(landing / "b.jsonl", [line("outcome", "b1")])
    write_lines(landing / "[ab].jsonl", [line("outcome", "own1"), line("outcome", "own2")])
    write_lines(landing / "star*.jsonl", [line("outcome", "star1")])
    write_lines(landing / "star-x.jsonl", [line("outcome", "starx")])
    write_parquet(landing / "p1.parquet", [event("outcome", "p1")])
    write_parquet(landing / "p[1].parquet", [event("outcome", "own-p")])
    result = run(landing, wh)
    assert (result.accepted, result.duplicate, result.rejected) == (8, 0, 0)
    got = ledger(wh)
    assert got["[ab].jsonl"][:3] == ("loaded", 2, 2)
    assert got["star*.jsonl"][:3] == ("loaded", 1, 1)
    assert got["p[1].parquet"][:3] == ("loaded", 1, 1)
    ids = {r[0] for r in query(wh, "select event_id from raw.outcome_events")}
    assert {"own1", "own2", "star1", "own-p"} <= ids
    # its checksum is its own: a re-run reads nothing again
    assert run(landing, wh).lines == 0


def test_case5_one_bad_file_fails_alone(scratch: Path) -> None:
    landing, wh = scratch / "landing", scratch / "wh.duckdb"
    landing.mkdir()
    whole = gzip.compress((line("outcome", "t1") + "\n" + line("outcome", "t2") + "\n").encode())
    (landing / "a-truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (landing / "b-not-gzip.jsonl.gz").write_bytes(b'{"event_id": "plain text"}\n')
    (landing / "c-corrupt.parquet").write_bytes(b"PAR1 but not really")
    write_lines(landing / "d-unreadable.jsonl", [line("outcome", "u1")]).chmod(0)
    write_lines(landing / "z-good.jsonl", [line("outcome", "z1")])
    with unprivileged():
        result = run(landing, wh)
    assert [f.relative_path for f in result.files] == ["z-good.jsonl"]
    failed = {f.relative_path: f.status_reason for f in result.failed}
    assert list(failed) == [
        "a-truncated.jsonl.gz",
        "b-not-gzip.jsonl.gz",
        "c-corrupt.parquet",
        "d-unreadable.jsonl",
    ]
    assert failed["a-truncated.jsonl.gz"].startswith("EOFError")
    assert failed["b-not-gzip.jsonl.gz"].startswith("BadGzipFile")
    assert "No magic bytes found" in failed["c-corrupt.parquet"]
    assert failed["d-unreadable.jsonl"].startswith("PermissionError")
    assert result.exit_code == 3
    rows = ledger(wh)
    assert all(rows[name][:5] == ("failed", 0, 0, 0, 0) for name in failed)
    counts = table_counts(wh)
    assert (counts["outcome_events"], counts["quarantine"], counts["ledger_files"]) == (1, 0, 5)
    # seen again: still reported (exit 3), no second row; once repaired, it loads
    with unprivileged():
        again = run(landing, wh)
    assert again.exit_code == 3 and table_counts(wh)["ledger_files"] == 5
    (landing / "a-truncated.jsonl.gz").write_bytes(whole)
    (landing / "d-unreadable.jsonl").chmod(0o644)
    for name in ("b-not-gzip.jsonl.gz", "c-corrupt.parquet"):
        (landing / name).unlink()
    fixed = run(landing, wh)
    assert fixed.exit_code == 0 and fixed.accepted == 3


def test_case5_bad_file_exit_code_3_with_one_line(tmp_path: Path, capsys) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()
    (landing / "a.jsonl.gz").write_bytes(b"not gzip at all\n")
    write_lines(landing / "b.jsonl", [line("outcome", "b1")])
    argv = ["ingest", "--landing", str(landing), "--warehouse", str(wh), "--quiet"]
    code = cli.main([*argv, "--now", NOW.isoformat() + "Z"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert err.strip().count("\n") == 0 and "a.jsonl.gz (failed)" in err
    assert table_counts(wh)["outcome_events"] == 1


def test_case7_unreadable_landing_folder_exits_2(scratch: Path, capsys) -> None:
    landing = scratch / "landing"
    write_lines(landing / "a.jsonl", [line("outcome", "a1")])
    landing.chmod(0)
    with unprivileged():
        with pytest.raises(OperationalError, match="cannot be read"):
            run(landing, scratch / "wh.duckdb")
        argv = ["ingest", "--landing", str(landing), "--warehouse", str(scratch / "w2.duckdb")]
        code = cli.main([*argv, "--quiet", "--now", NOW.isoformat() + "Z"])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().count("\n") == 0 and "cannot be read" in err


def test_case7_every_entry_gets_a_ledger_row(scratch: Path) -> None:
    landing, wh = scratch / "landing", scratch / "wh.duckdb"
    write_lines(landing / "day" / "a.jsonl", [line("outcome", "a1")])
    write_lines(landing / "locked" / "l.jsonl", [line("outcome", "l1")])
    (landing / "locked").chmod(0)
    for name in ("x.json", "x.txt", "x.jsonl.zst", "x.jsonl.part", ".hidden.jsonl", "~x.jsonl"):
        write_lines(landing / name, [line("outcome", "never")])
    write_lines(landing / ".staging" / "s.jsonl", [line("outcome", "never")])
    outside = write_lines(scratch / "outside" / "secret.jsonl", [line("outcome", "secret")])
    (landing / "link-out.jsonl").symlink_to(outside)
    (landing / "link-dir").symlink_to(outside.parent, target_is_directory=True)
    (landing / "link-in.jsonl").symlink_to(landing / "day" / "a.jsonl")
    (landing / "empty.jsonl").write_bytes(b"")  # a landing file with no lines: a row too
    (landing / "loop.jsonl").symlink_to(landing / "loop.jsonl")
    with unprivileged():
        result = run(landing, wh)
    rows = {k: (v[0], v[5]) for k, v in ledger(wh).items()}
    assert rows == {
        ".hidden.jsonl": ("skipped", "hidden or temporary file"),
        ".staging": ("skipped", "hidden or temporary folder"),
        "day/a.jsonl": ("loaded", None),
        "empty.jsonl": ("loaded", None),
        "link-dir": ("skipped", "symlink to outside the landing folder"),
        "link-in.jsonl": ("loaded", None),  # followed: inside the landing folder
        "link-out.jsonl": ("skipped", "symlink to outside the landing folder"),
        "loop.jsonl": ("skipped", "broken symlink"),
        "locked/": ("failed", rows["locked/"][1]),
        "x.json": ("skipped", "unknown extension (.json)"),
        "x.jsonl.part": ("skipped", "hidden or temporary file"),
        "x.jsonl.zst": ("skipped", "unknown extension (.jsonl.zst)"),
        "x.txt": ("skipped", "unknown extension (.txt)"),
        "~x.jsonl": ("skipped", "hidden or temporary file"),
    }
    assert rows["locked/"][1].startswith("folder unreadable")
    assert query(wh, "select count(*) from raw.quarantine where raw_line like '%secret%'") == [(0,)]
    assert (result.accepted, result.duplicate, result.exit_code) == (1, 1, 3)
    with unprivileged():
        run(landing, wh)
    assert table_counts(wh)["ledger_files"] == 14  # nothing recorded twice


def test_case8_moved_landing_folder_reads_nothing_again(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(landing / "d1" / "a.jsonl", [line("outcome", "a1"), "oops"])
    with gzip.open(landing / "d1" / "b.jsonl.gz", "wt") as fh:
        fh.write(line("outcome", "b1") + "\n")
    write_parquet(landing / "d2" / "c.parquet", [event("outcome", "c1")])
    run(landing, wh)
    before = table_counts(wh)
    moved = tmp_path / "elsewhere" / "landing-copy"
    shutil.copytree(landing, moved)
    shutil.rmtree(landing)
    again = run(moved, wh)
    assert (again.lines, len(again.skipped)) == (0, 3)
    assert table_counts(wh) == before


def test_case8_appended_file_loads_from_its_first_unread_byte(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = landing / "live.jsonl"
    half = line("outcome", "e3")
    write_lines(path, [line("outcome", "e1"), line("outcome", "e2")])
    with open(path, "a") as fh:
        fh.write(half[:20])  # a writer is midway through line 3
    first = run(landing, wh)
    assert (first.lines, first.accepted) == (2, 2)
    with open(path, "a") as fh:
        fh.write(half[20:] + "\n" + line("outcome", "e4") + "\n" + "not json\n")
    second = run(landing, wh)
    assert (second.lines, second.accepted, second.duplicate, second.rejected) == (3, 2, 0, 1)
    assert query(wh, "select line_number, reason_code from raw.quarantine") == [(5, "invalid_json")]
    got = query(
        wh,
        "select start_offset, bytes_read, pending_bytes, lines from raw.ingest_ledger "
        "order by ingested_at",
    )
    size = path.stat().st_size
    assert got[0][0] == 0 and got[0][2] == 20
    assert got[1][0] == got[0][1] and got[1][0] + got[1][1] == size and got[1][2] == 0
    assert table_counts(wh)["ledger_lines"] == 5


def test_case8_final_line_without_newline(tmp_path: Path) -> None:
    """A complete JSON line at the end without a newline is read (a finished file); its
    newline, appended later, ends it and what follows goes on from line 3."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = write_lines(
        landing / "f.jsonl", [line("outcome", "n1"), line("outcome", "n2")], trailing_newline=False
    )
    assert run(landing, wh).accepted == 2
    with open(path, "a") as fh:
        fh.write("\n" + line("outcome", "n3") + "\n")
    again = run(landing, wh)
    assert (again.lines, again.accepted, again.duplicate) == (1, 1, 0)
    assert query(wh, "select _line_number from raw.outcome_events where event_id = 'n3'") == [(3,)]
    # the line read without its newline grows instead: that is tampering
    with open(path, "a") as fh:
        fh.write(line("outcome", "n4"))
    assert run(landing, wh).accepted == 1  # complete JSON again, read
    with open(path, "a") as fh:
        fh.write(', "x": 1}')
    assert [f.status for f in run(landing, wh).failed] == ["tampered"]


def test_case8_changed_compressed_or_parquet_file_is_tampered(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()
    gz = landing / "a.jsonl.gz"
    gz.write_bytes(gzip.compress((line("outcome", "g1") + "\n").encode()))
    pq = write_parquet(landing / "b.parquet", [event("outcome", "p1")])
    run(landing, wh)
    gz.write_bytes(
        gzip.compress((line("outcome", "g1") + "\n" + line("outcome", "g2") + "\n").encode())
    )
    write_parquet(pq, [event("outcome", "p1"), event("outcome", "p2")])
    result = run(landing, wh)
    assert [(f.relative_path, f.status) for f in result.failed] == [
        ("a.jsonl.gz", "tampered"),
        ("b.parquet", "tampered"),
    ]
    assert result.lines == 0 and table_counts(wh)["outcome_events"] == 2


def test_case12_parquet_null_cells_are_absent_fields(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    rows = [event("interaction", f"i{n}", output_id=f"o{n}") for n in range(4)]
    rows[0]["client_platform"] = "ios"  # a field outside the contract, in one row only
    rows[1]["experiment_id"] = None  # an optional contract field left out
    landing.mkdir()
    write_parquet(landing / "day.parquet", rows)
    result = run(landing, wh)
    assert result.accepted == 4
    assert result.unknown_fields == {"interaction.client_platform": 1}
    extra = dict(query(wh, "select event_id, _extra_fields from raw.interaction_events"))
    assert extra["i1"] is None and json.loads(extra["i0"]) == {"client_platform": "ios"}


def test_old_warehouse_is_migrated_in_place(tmp_path: Path) -> None:
    """A ledger without the issue-11 columns: they are added, its rows count as loads, and its
    files (found by absolute path, or by content once the folder moved) are not read again."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    a = write_lines(landing / "a.jsonl", [line("outcome", "a1")])
    b = write_lines(landing / "b.jsonl", [line("outcome", "b1")])
    run(landing, wh)
    con = duckdb.connect(str(wh))
    for col in (
        "relative_path",
        "status",
        "status_reason",
        "start_offset",
        "bytes_read",
        "pending_bytes",
    ):
        con.execute(f"alter table raw.ingest_ledger drop column {col}")
    con.close()
    assert run(landing, wh).lines == 0
    assert query(wh, "select status, relative_path from raw.ingest_ledger") == [
        ("loaded", None),
        ("loaded", None),
    ]
    with open(a, "a") as fh:  # appended after the old load: only the new line is read
        fh.write(line("outcome", "a2") + "\n")
    appended = run(landing, wh)
    assert (appended.lines, appended.accepted, appended.duplicate) == (1, 1, 0)
    moved = tmp_path / "moved"
    shutil.copytree(landing, moved)
    with open(moved / b.name, "a") as fh:  # b only known by its old row: found by content...
        pass
    assert run(moved, wh).lines == 0
    with open(moved / b.name, "a") as fh:  # ...and from then on by its relative path
        fh.write(line("outcome", "b2") + "\n")
    later = run(moved, wh)
    assert (later.lines, later.accepted, later.duplicate) == (1, 1, 0)
    assert table_counts(wh)["outcome_events"] == 4
