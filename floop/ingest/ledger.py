"""`raw.ingest_ledger`: one row per landing file per run that did something with it.

A file is known by its path under the landing folder (`relative_path`) and its content:
moving or copying the landing folder changes nothing. Statuses (`floop.warehouse.
LEDGER_STATUSES`): `loaded` (lines were read: the whole file, or the bytes appended since the
last load, `[start_offset, start_offset + bytes_read)`, with `sha256` = the checksum of bytes
`[0, start_offset + bytes_read)`), `skipped` (seen, not read, `status_reason` says why),
`failed` (could not be read, `status_reason` is the error) and `tampered` (the part loaded
before has changed; nothing re-read). A file that stays skipped, failed or tampered with the
same reason and content gets no second row. `accepted + duplicate + rejected + erased = lines`
on every row (0 on rows that read nothing); `erased` counts the lines of users erased by
`floop forget` (dropped at load by a tombstone, or removed since).

A load also records the file's size, mtime and inode as listed before its read
(`file_mtime_ns`, `file_inode`; null when not known). A file whose last row is such a load,
which read it to its end, and whose stat still matches, is not read at all by the next run
(`LedgerState.unchanged`): re-hashing every landing file on every run was the bound of a run
with no new data. Any change of size, mtime or inode (an append, a rewrite, a copy) makes the
run read and hash the file as before, so tampering is still detected; rows without a stat
(older warehouses, purged or moved files) are hashed as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from floop.contract import RAW_SCHEMA, load_contract
from floop.ingest.listing import LandingEntry
from floop.ingest.scan import Prior


@dataclass
class LedgerRow:
    """One row of raw.ingest_ledger (see the module docstring)."""

    load_id: str
    file_path: str  # the path it was read from (absolute): where this run found it
    relative_path: str
    status: str
    ingested_at: datetime
    file_format: str | None = None
    file_size_bytes: int | None = None
    sha256: str | None = None
    status_reason: str | None = None
    lines: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    erased: int = 0
    duration_ms: float = 0.0
    start_offset: int = 0
    bytes_read: int = 0
    pending_bytes: int = 0
    file_mtime_ns: int | None = None
    file_inode: int | None = None

    def insert(self, con: duckdb.DuckDBPyConnection) -> None:
        names = list(vars(self))
        con.execute(
            f"insert into {RAW_SCHEMA}.ingest_ledger ({', '.join(names)}) "
            f"values ({', '.join('?' for _ in names)})",
            [getattr(self, n) for n in names],
        )


class LedgerState:
    """What the ledger says about each landing file, read once at the start of a run."""

    def __init__(self, con: duckdb.DuckDBPyConnection, landing_prefix: str) -> None:
        # Rows before issue 11 have no relative_path and no offsets: they are whole-file loads
        # keyed by absolute path. They are found by that path, or by content once moved.
        self._landing_prefix = landing_prefix.rstrip("/") + "/"
        self._read: dict[str, Prior] = {}  # relative path -> what its loads have read
        self._last: dict[str, tuple[str, str | None, str | None]] = {}
        self._legacy_by_path: dict[str, Prior] = {}
        self._legacy_by_sha: set[str] = set()
        # relative path -> (size, mtime_ns, inode) of a last row that read the file to its end
        self._stat: dict[str, tuple[int, int, int] | None] = {}
        rows = con.execute(
            f"""select relative_path, file_path, status, status_reason, sha256,
              coalesce(start_offset + bytes_read, file_size_bytes),
              file_size_bytes, file_mtime_ns, file_inode
            from {RAW_SCHEMA}.ingest_ledger
            order by ingested_at, rowid"""
        ).fetchall()
        for rel, path, status, reason, sha, end, size, mtime_ns, inode in rows:
            if rel is None:
                if status == "loaded" and sha is not None:
                    self._legacy_by_path[path] = Prior(end=end, sha256=sha)
                    self._legacy_by_sha.add(sha)
                continue
            self._last[rel] = (status, reason, sha)
            whole = status == "loaded" and None not in (mtime_ns, inode) and end == size
            self._stat[rel] = (size, mtime_ns, inode) if whole else None
            if status == "loaded":
                self._read[rel] = Prior(end=end, sha256=sha)

    def unchanged(self, entry: LandingEntry) -> bool:
        """ENTRY's last row is a load that read it whole, and its size, mtime and inode are
        still what that load recorded: nothing new, nothing changed, no need to read it."""
        if entry.mtime_ns is None or entry.inode is None:
            return False
        return self._stat.get(entry.relative) == (entry.size, entry.mtime_ns, entry.inode)

    def prior(self, relative: str) -> Prior | None:
        """What earlier loads read of the file at this landing path (None: never loaded)."""
        found = self._read.get(relative)
        if found is None:
            found = self._legacy_by_path.get(self._landing_prefix + relative)
        return found

    def loaded_elsewhere(self, sha256: str) -> bool:
        """A file of exactly this content was loaded by a run before relative paths were
        recorded (an older warehouse whose landing folder has moved since)."""
        return sha256 in self._legacy_by_sha

    def repeats(self, row: LedgerRow) -> bool:
        """ROW (not a load) says what the last row of its file said already."""
        return self._last.get(row.relative_path) == (row.status, row.status_reason, row.sha256)


def next_stamp(con: duckdb.DuckDBPyConnection, now: datetime) -> datetime:
    """This load's (or replay's) `ingested_at`: strictly after every earlier one, even when
    --now repeats or goes backwards (a backfill of an older day), because incremental dbt
    models pick up new rows by `ingested_at > watermark`. `now` still judges future
    timestamps. A replay (`replay.py`) stamps only the event rows it accepts (the ledger rows
    it changes keep their first stamp), so the event tables are asked too."""
    contract = load_contract()
    stamps = [f"(select max(ingested_at) from {RAW_SCHEMA}.ingest_ledger)"] + [
        f"(select max(_ingested_at) from {contract.raw_table(t)})" for t in contract.event_types
    ]
    row = con.execute(f"select greatest({', '.join(stamps)})").fetchone()
    last_stamp = row[0] if row is not None else None
    return now if last_stamp is None else max(now, last_stamp + timedelta(microseconds=1))
