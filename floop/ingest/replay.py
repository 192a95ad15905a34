"""`floop ingest --replay-quarantine`: quarantined lines judged again, so that a line rejected
under a wrong clock or by a rule since fixed is not lost forever.

The same generated checks as a load (`checks.CheckSQL`) run over `raw.quarantine.raw_line`
under the current clock and contract, for every quarantined line or those of the chosen reason
codes, in one transaction:

- an accepted line goes to its event table with its original `_source_file` and
  `_line_number`, this replay's `_load_id` and a new `_ingested_at` stamp (after every earlier
  one, so that incremental dbt models pick it up);
- a duplicate (its event_id accepted before) goes to `raw.duplicate_events`;
- a line still rejected stays in the quarantine, with the new reason when it changed;
- the original file's ledger row: rejected -= moved, accepted += a, duplicate += d.

What stays tied to the file's ledger row (its quarantine, duplicate and unknown-field rows)
keeps that row's load_id and ingested_at, so the ledger balances per file and per ingest day.
A replay that changes nothing writes nothing: replaying twice is a no-op.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from floop.contract import RAW_SCHEMA, Contract, load_contract
from floop.errors import OperationalError, UsageError
from floop.ingest.checks import ACCEPTED, CheckSQL
from floop.ingest.checks_fields import col
from floop.ingest.ledger import next_stamp
from floop.ingest.load import open_warehouse
from floop.sql import sql_str
from floop.warehouse import ensure_raw_schema

# The replayed line `r` (temp.replay_lines) of each checked row `c` (keyed by `seq`).
_JOINED = "temp.checked c join temp.replay_lines r on r.seq = c.line_number"
_SAME_LINE = (
    "q.load_id = m.load_id and q.source_file = m.source_file and q.line_number = m.line_number"
)


@dataclass
class ReplayFile:
    """One landing file's quarantined lines that moved (its ledger row changed by as much)."""

    path: str
    accepted: int
    duplicate: int

    def line(self) -> str:
        return f"{self.path}: {self.accepted} accepted, {self.duplicate} duplicate"


@dataclass
class ReplayResult:
    load_id: str
    now: datetime
    reasons: list[str]  # the reason codes replayed (all when none were chosen)
    replayed: int = 0  # quarantined lines checked again
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0  # still rejected
    reason_changed: int = 0  # still rejected, for another reason than before
    files: list[ReplayFile] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"replay {self.load_id}: {self.replayed} quarantined lines checked again "
            f"(clock {self.now.isoformat()}): {self.accepted} accepted, {self.duplicate} "
            f"duplicate, {self.rejected} still rejected ({self.reason_changed} for a new reason)"
        )


def replay_quarantine(
    warehouse: Path, now: datetime, reasons: Sequence[str] | None = None
) -> ReplayResult:
    """Check the quarantined lines (of `reasons`, or all) again under `now` and the current
    contract, in one transaction. `UsageError` for an unknown reason code,
    `OperationalError` when the warehouse does not exist or is locked."""
    contract = load_contract()
    chosen = _chosen_reasons(contract, reasons)
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise OperationalError(f"warehouse {warehouse} does not exist: nothing to replay")
    checks = CheckSQL(contract)
    con = open_warehouse(warehouse)
    try:
        ensure_raw_schema(con)
        result = ReplayResult(
            load_id=f"{now:%Y%m%dT%H%M%S}-replay-{uuid.uuid4().hex[:8]}", now=now, reasons=chosen
        )
        con.begin()
        try:
            _replay(con, checks, result)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.close()
    return result


def _chosen_reasons(contract: Contract, reasons: Sequence[str] | None) -> list[str]:
    if not reasons:
        return contract.reason_codes
    unknown = [r for r in reasons if r not in contract.reason_codes]
    if unknown:
        raise UsageError(
            f"unknown reason code {unknown[0]!r}; one of: {', '.join(contract.reason_codes)}"
        )
    return list(dict.fromkeys(reasons))


def _replay(con: duckdb.DuckDBPyConnection, checks: CheckSQL, result: ReplayResult) -> None:
    _select_lines(con, result.reasons)
    _check_lines(con, checks, result.now)
    _count(con, result)
    if result.accepted:
        _insert_accepted(con, checks, result.load_id, next_stamp(con, result.now))
    if result.duplicate:
        _insert_duplicates(con)
    _update_quarantine(con, checks)  # writes only rows that change
    if result.accepted or result.duplicate:
        _rebalance_ledger(con)
    con.execute("drop table temp.checked")
    con.execute("drop table temp.replay_lines")


def _select_lines(con: duckdb.DuckDBPyConnection, reasons: list[str]) -> None:
    """temp.replay_lines: the quarantined lines to check, numbered `seq` in the order they
    were received (among two lines with one event_id, the first received is kept)."""
    con.execute("drop table if exists temp.replay_lines")
    con.execute(
        f"""create temp table replay_lines as
        select
          row_number() over (order by ingested_at, load_id, source_file, line_number) as seq,
          *
        from {RAW_SCHEMA}.quarantine
        where reason_code in ({", ".join(sql_str(r) for r in reasons)})"""
    )


def _check_lines(con: duckdb.DuckDBPyConnection, checks: CheckSQL, now: datetime) -> None:
    """temp.checked: the replayed lines judged (line_number = seq), duplicates marked."""
    con.execute("drop table if exists temp.checked")
    con.execute(
        "create temp table checked as "
        + checks.checked_select(
            "select seq as line_number, raw_line, line_number as _file_line from temp.replay_lines",
            now,
            source_file="",  # each line's own file is in temp.replay_lines
            file_start="_file_line = 1",
        )
    )
    con.execute(
        f"update temp.checked set _is_duplicate = true where line_number in "
        f"(select line_number from ({checks.duplicates_sql()}))"
    )


def _count(con: duckdb.DuckDBPyConnection, result: ReplayResult) -> None:
    row = con.execute(
        f"""select
          count(*),
          count(*) filter (where {ACCEPTED}),
          count(*) filter (where c._is_duplicate),
          count(*) filter (where c.reason_code is not null),
          count(*) filter (where c.reason_code is distinct from r.reason_code
                           and c.reason_code is not null)
        from {_JOINED}"""
    ).fetchone()
    assert row is not None
    (
        result.replayed,
        result.accepted,
        result.duplicate,
        result.rejected,
        result.reason_changed,
    ) = (int(x) for x in row)
    result.files = [
        ReplayFile(path, int(a), int(d))
        for path, a, d in con.execute(
            f"""select r.source_file, count(*) filter (where {ACCEPTED}),
              count(*) filter (where c._is_duplicate)
            from {_JOINED} where c.reason_code is null
            group by 1 order by 1"""
        ).fetchall()
    ]


def _insert_accepted(
    con: duckdb.DuckDBPyConnection, checks: CheckSQL, load_id: str, stamp: datetime
) -> None:
    """Accepted lines into their event tables (this replay's load id and stamp), their
    unknown fields counted under the file's own load."""
    meta = f"{sql_str(load_id)}, timestamp '{stamp.isoformat(sep=' ')}'"
    for event_type in checks.contract.event_types:
        con.execute(
            checks.insert_accepted(
                event_type, _JOINED, "r.source_file, r.line_number", meta, order_by="r.seq"
            )
        )
    con.execute(
        f"""insert into {RAW_SCHEMA}.unknown_fields
        (load_id, source_file, event_type, field_name, events)
        select load_id, source_file, event_type, field_name, count(*)
        from (
          select r.load_id, r.source_file, c.{col("v", "event_type")} as event_type,
            unnest(list_distinct(c._extra_keys)) as field_name
          from {_JOINED} where {ACCEPTED} and len(c._extra_keys) > 0
        )
        group by all
        order by all"""
    )


def _insert_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """Duplicates into duplicate_events, under the load and stamp of their file's ledger row
    (the ledger balances per ingest day)."""
    con.execute(
        f"""insert into {RAW_SCHEMA}.duplicate_events
        (load_id, source_file, line_number, event_id, event_type, event_timestamp, ingested_at)
        select r.load_id, r.source_file, r.line_number, c.{col("v", "event_id")},
          c.{col("v", "event_type")}, c.{col("v", "timestamp")}, r.ingested_at
        from {_JOINED} where c._is_duplicate
        order by r.seq"""
    )


def _rebalance_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Each file's ledger row: the lines that left its quarantine, counted where they went.
    Then every changed row must still add up and match its quarantine rows."""
    con.execute(
        f"""update {RAW_SCHEMA}.ingest_ledger l
        set accepted = l.accepted + m.accepted,
          duplicate = l.duplicate + m.duplicate,
          rejected = l.rejected - m.accepted - m.duplicate
        from (
          select r.load_id, r.source_file,
            count(*) filter (where {ACCEPTED}) as accepted,
            count(*) filter (where c._is_duplicate) as duplicate
          from {_JOINED} where c.reason_code is null
          group by all
        ) m
        where l.load_id = m.load_id and l.file_path = m.source_file"""
    )
    unbalanced = con.execute(
        f"""select l.file_path from {RAW_SCHEMA}.ingest_ledger l
        where exists (select 1 from temp.replay_lines r
                      where r.load_id = l.load_id and r.source_file = l.file_path)
          and (l.accepted + l.duplicate + l.rejected <> l.lines
            or l.rejected <> (select count(*) from {RAW_SCHEMA}.quarantine q
                              where q.load_id = l.load_id and q.source_file = l.file_path))
        order by 1 limit 1"""
    ).fetchall()
    if unbalanced:
        # Nothing is committed: the ledger row disagreed with its quarantine already.
        raise OperationalError(
            f"replay stopped: the ledger row of {unbalanced[0][0]} does not match its "
            "quarantine rows; nothing was changed"
        )


def _update_quarantine(con: duckdb.DuckDBPyConnection, checks: CheckSQL) -> None:
    """Lines that left the quarantine are deleted from it; a line still rejected for another
    reason (or read differently: its event_id, event_type) gets the new reason. Its raw_line,
    load_id and ingested_at stay."""
    con.execute(
        f"""delete from {RAW_SCHEMA}.quarantine q
        using (
          select r.load_id, r.source_file, r.line_number
          from {_JOINED} where c.reason_code is null
        ) m
        where {_SAME_LINE}"""
    )
    con.execute(
        f"""update {RAW_SCHEMA}.quarantine q
        set reason_code = m.reason_code, reason_field = m.reason_field,
          reason_message = m.reason_message, event_type = m.event_type, event_id = m.event_id
        from (
          select r.load_id, r.source_file, r.line_number, c.reason_code, c.reason_field,
            {checks.message_sql()} as reason_message,
            json_extract_string(c._json, '/event_type') as event_type,
            json_extract_string(c._json, '/event_id') as event_id
          from {_JOINED} where c.reason_code is not null
        ) m
        where {_SAME_LINE}
          and (q.reason_code is distinct from m.reason_code
            or q.reason_field is distinct from m.reason_field
            or q.reason_message is distinct from m.reason_message
            or q.event_type is distinct from m.event_type
            or q.event_id is distinct from m.event_id)"""
    )


def main(
    warehouse: Path, now: datetime, reasons: Sequence[str] | None = None, quiet: bool = False
) -> int:
    """`floop ingest --replay-quarantine`. Exit 0 also when lines stay rejected."""
    result = replay_quarantine(warehouse, now, reasons)
    if not quiet:
        for f in result.files:
            print(f.line(), file=sys.stderr)
        print(result.summary())
    return 0
