"""Issue 14: a landing file whose size, mtime and inode match its last load is not read again
(`floop.ingest.ledger.LedgerState.unchanged`); any change still makes the run read and judge it.

Files are given an mtime in the past (as a landing file written a while ago has): a file
modified within the last second is always hashed (`floop.ingest.listing._SETTLE_NS`).
Unreadable files need a user that permissions apply to: as root, the run drops its effective
uid to `nobody` (`test_ingest_files.unprivileged`).
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import duckdb
from ingest_helpers import NOW, line, query, table_counts, write_lines
from test_ingest_files import ledger, run, scratch, unprivileged  # noqa: F401 (fixture)

from floop.ingest import ingest
from floop.ingest.lake import scratch as lake_scratch
from floop.lake import Lake

HOUR_AGO = 3600 * 10**9


def age(path: Path, ns_ago: int = HOUR_AGO) -> Path:
    """Give PATH an mtime NS_AGO in the past (what a file landed earlier has)."""
    then = path.stat().st_mtime_ns - ns_ago
    os.utime(path, ns=(then, then))
    return path


def test_unchanged_file_is_not_read(scratch: Path) -> None:  # noqa: F811
    """Unreadable (mode 000) but with the size, mtime and inode its load recorded: a no-op
    ingest skips it without opening it; once its stat changes it is read again (and fails)."""
    landing, wh = scratch / "landing", scratch / "wh.duckdb"
    a = age(write_lines(landing / "a.jsonl", [line("outcome", "a1"), line("outcome", "a2")]))
    gz = landing / "b.jsonl.gz"
    gz.write_bytes(gzip.compress((line("outcome", "b1") + "\n").encode()))
    age(gz)
    assert run(landing, wh).accepted == 3
    wh.chmod(0o666)
    stat = query(wh, "select relative_path, file_size_bytes, file_mtime_ns, file_inode "
                     "from raw.ingest_ledger order by relative_path")  # fmt: skip
    assert stat == [
        (p.name, p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino) for p in (a, gz)
    ]
    for p in (a, gz):
        p.chmod(0)
    with unprivileged():
        again = run(landing, wh)
    assert (again.lines, again.failed, sorted(again.skipped)) == (0, [], ["a.jsonl", "b.jsonl.gz"])
    assert table_counts(wh)["ledger_files"] == 2
    age(a, 10**9)  # a new mtime, same bytes: read again (here: cannot be)
    with unprivileged():
        touched = run(landing, wh)
    assert [(f.relative_path, f.status) for f in touched.failed] == [("a.jsonl", "failed")]
    assert touched.skipped == ["b.jsonl.gz"]


def test_same_size_rewrite_with_a_new_mtime_is_tampering(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    a = age(write_lines(landing / "a.jsonl", [line("outcome", "x1")]))
    run(landing, wh)
    size = a.stat().st_size
    write_lines(a, [line("outcome", "x2")])  # same length, other bytes, same inode
    assert a.stat().st_size == size
    age(a, HOUR_AGO // 2)  # settled, but not the mtime the ledger holds
    result = run(landing, wh)
    assert [(f.relative_path, f.status) for f in result.failed] == [("a.jsonl", "tampered")]
    assert table_counts(wh)["outcome_events"] == 1


def test_same_stat_other_inode_is_read(tmp_path: Path) -> None:
    """A file replaced by another (new inode) with the same size and mtime is hashed."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    a = age(write_lines(landing / "a.jsonl", [line("outcome", "y1")]))
    run(landing, wh)
    st = a.stat()
    other = write_lines(tmp_path / "other.jsonl", [line("outcome", "y2")])
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, a)
    assert (a.stat().st_size, a.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert [f.status for f in run(landing, wh).failed] == ["tampered"]


def test_appended_file_is_read_from_its_end(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    a = age(write_lines(landing / "a.jsonl", [line("outcome", "z1")]))
    run(landing, wh)
    with open(a, "a") as fh:
        fh.write(line("outcome", "z2") + "\n")
    age(a)
    again = run(landing, wh)
    assert (again.lines, again.accepted) == (1, 1)
    assert run(landing, wh).lines == 0
    assert len(ledger(wh)) == 1 and table_counts(wh)["ledger_files"] == 2


def test_recent_file_is_hashed_and_old_rows_without_stat_are_hashed(tmp_path: Path) -> None:
    """A file modified within the last second gets no mtime in its row (it may still be
    written in the same mtime tick), nor does a row of an older warehouse (column added
    empty): both are read and hashed, as before."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_lines(landing / "fresh.jsonl", [line("outcome", "f1")])
    age(write_lines(landing / "old.jsonl", [line("outcome", "o1")]))
    run(landing, wh)
    assert query(wh, "select relative_path, file_mtime_ns is null from raw.ingest_ledger "
                     "order by 1") == [("fresh.jsonl", True), ("old.jsonl", False)]  # fmt: skip
    con = duckdb.connect(str(wh))
    for col in ("file_mtime_ns", "file_inode"):
        con.execute(f"alter table raw.ingest_ledger drop column {col}")
    con.close()
    again = run(landing, wh)  # migrated: the columns come back, empty
    assert (again.lines, sorted(again.skipped)) == (0, ["fresh.jsonl", "old.jsonl"])
    assert query(wh, "select count(*) from raw.ingest_ledger where file_inode is null") == [(2,)]


def test_lake_ledger_keeps_the_stat(tmp_path: Path) -> None:
    """In lake mode the ledger rows (and their stat) come back from the Parquet log."""
    landing, wh, lake = tmp_path / "landing", tmp_path / "wh.duckdb", tmp_path / "lake"
    a = age(write_lines(landing / "a.jsonl", [line("outcome", "l1")]))
    ingest(landing, wh, NOW, quality=False, lake=lake)
    scratch_dir = tmp_path / "scratch"
    scratch_dir.mkdir()
    with lake_scratch(Lake(lake.resolve()), scratch_dir) as con:
        got = con.execute("select file_mtime_ns, file_inode from raw.ingest_ledger").fetchall()
    assert got == [(a.stat().st_mtime_ns, a.stat().st_ino)]
    shutil.rmtree(scratch_dir)
    again = ingest(landing, wh, NOW, quality=False, lake=lake)
    assert (again.lines, again.skipped) == (0, ["a.jsonl"])
