"""The quality gate is a property of the data, not of the attempt.

A load whose blocking expectations failed (every Great Expectations suite but the per-tenant
volume warning) stays blocked until a later validation of the same load passes (e.g. after its
rejected lines were replayed) or someone waives it with a reason (`floop waive`, recorded in
`raw.load_waivers`). A load that was committed but never validated (the process died between
its commit and GX) is validated by the next ingest. Orchestration reads `blocked_loads` for its
blocking checks, so re-running the job never turns a failed check into a pass by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from floop.contract import RAW_SCHEMA
from floop.errors import OperationalError
from floop.quality import SUITE_PREFIX, QualityResult, validate_load
from floop.warehouse import ensure_raw_schema

# The one suite that warns and never blocks: a tenant gone quiet is worth a look, not a stop.
NON_BLOCKING_SUITES = (f"{SUITE_PREFIX}_volume",)
WAIVERS = f"{RAW_SCHEMA}.load_waivers"

# The latest validation of every load (a load is re-validated while it is blocked).
_LATEST = f"""
  latest as (
    select load_id, max(coalesce(validation_seq, 0)) as seq
    from {RAW_SCHEMA}.gx_validations group by load_id
  ),
  current_results as (
    select v.*
    from {RAW_SCHEMA}.gx_validations as v
    inner join latest as l on v.load_id = l.load_id and coalesce(v.validation_seq, 0) = l.seq
  )"""


@dataclass
class BlockedLoad:
    load_id: str
    failed: list[tuple[str, str]] = field(default_factory=list)  # (suite, expectation label)

    def suites(self) -> set[str]:
        return {suite for suite, _ in self.failed}


def blocked_loads(con: duckdb.DuckDBPyConnection) -> list[BlockedLoad]:
    """Loads whose latest validation failed a blocking expectation and that no one waived."""
    rows = con.execute(
        f"""with {_LATEST}
        select r.load_id, r.suite_name,
          r.expectation_type || '(' || coalesce(r.event_type || '.', '')
            || coalesce(r.column_name, '') || ')'
        from current_results as r
        where not r.success
          and r.suite_name not in (select unnest(?))
          and r.load_id not in (select load_id from {WAIVERS})
        order by 1, 2, 3""",
        [list(NON_BLOCKING_SUITES)],
    ).fetchall()
    out: dict[str, BlockedLoad] = {}
    for load_id, suite, label in rows:
        out.setdefault(load_id, BlockedLoad(load_id)).failed.append((suite, label))
    return list(out.values())


def loads_to_validate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Loads with lines that were never validated, and loads still blocked, oldest first."""
    never = con.execute(
        f"""select load_id from {RAW_SCHEMA}.ingest_ledger
        group by load_id having sum(lines) > 0
          and load_id not in (select load_id from {RAW_SCHEMA}.gx_validations)
        order by min(ingested_at), load_id"""
    ).fetchall()
    return [r[0] for r in never] + [b.load_id for b in blocked_loads(con)]


def validate_pending(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    now: datetime,
    progress: Callable[[str], None] | None = None,
) -> list[QualityResult]:
    """Validate every load `loads_to_validate` names (the load just committed among them);
    PROGRESS gets a line per suite."""
    return [
        validate_load(con, load_id, warehouse, now, progress)
        for load_id in loads_to_validate(con)
    ]


def waive(con: duckdb.DuckDBPyConnection, load_id: str, reason: str, now: datetime) -> BlockedLoad:
    """Record that LOAD_ID's failed checks are accepted, and why. Only a blocked load can be
    waived; the waiver is permanent (a later re-validation cannot block it again)."""
    if not reason.strip():
        raise OperationalError("a waiver needs a reason (--reason TEXT)")
    ensure_raw_schema(con)  # a warehouse from an older floop has no waivers table yet
    known = con.execute(
        f"select count(*) from {RAW_SCHEMA}.ingest_ledger where load_id = ?", [load_id]
    ).fetchone()[0]
    if not known:
        raise OperationalError(f"no load {load_id!r} in {RAW_SCHEMA}.ingest_ledger")
    blocked = {b.load_id: b for b in blocked_loads(con)}
    if load_id not in blocked:
        raise OperationalError(f"load {load_id} is not blocked: nothing to waive")
    con.execute(
        f"insert into {WAIVERS} (load_id, reason, waived_at, failed_checks) values (?, ?, ?, ?)",
        [load_id, reason.strip(), now, [label for _, label in blocked[load_id].failed]],
    )
    return blocked[load_id]
