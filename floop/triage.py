"""The triage queue (`marts.fct_triage_queue`, built by dbt) for people: read it for one
workflow and week, print it, or write it as CSV; and its progress per assignee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from floop.errors import OperationalError
from floop.sql import sql_str
from floop.warehouse import table_exists

QUEUE = "marts.fct_triage_queue"
PROGRESS = "marts.fct_triage_progress"
# What `floop triage` shows and writes, in this order.
COLUMNS = (
    "triage_week",
    "task_type",
    "queue_rank",
    "assignee",
    "status",
    "output_id",
    "tenant_id",
    "tenant_tier",
    "session_id",
    "prompt_version",
    "model_id",
    "model_version",
    "signals",
    "primary_signal",
    "expected_impact",
    "primary_signal_outcome_count",
    "version_volume",
    "segment_weight",
    "priority",
    "week_questionable_count",
    "week_budget",
)


@dataclass(frozen=True)
class QueueFilter:
    workflow: str | None = None
    week: date | None = None  # any day of the ISO week

    def where(self) -> str:
        conds = ["true"]
        if self.workflow:
            conds.append(f"task_type = {sql_str(self.workflow)}")
        if self.week:
            monday = self.week - timedelta(days=self.week.weekday())
            conds.append(f"triage_week = date {sql_str(monday.isoformat())}")
        return " and ".join(conds)


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.is_file():
        raise OperationalError(f"{warehouse} does not exist: run `floop run` first")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise OperationalError(f"cannot open {warehouse}: {str(exc).splitlines()[0]}") from None
    if not table_exists(con, QUEUE):
        con.close()
        raise OperationalError(f"{warehouse} has no {QUEUE}: run `floop run` first")
    return con


def queue_sql(flt: QueueFilter) -> str:
    return (
        f"select {', '.join(COLUMNS)} from {QUEUE} where {flt.where()} "
        "order by triage_week, task_type, queue_rank"
    )


def read_queue(warehouse: Path, flt: QueueFilter) -> list[tuple[object, ...]]:
    """The queue's rows for FLT, in queue order."""
    con = _connect(warehouse)
    try:
        return con.execute(queue_sql(flt)).fetchall()
    finally:
        con.close()


def read_progress(warehouse: Path, flt: QueueFilter) -> list[tuple[object, ...]]:
    """(task_type, triage_week, assignee, assigned, labeled, open) for FLT."""
    con = _connect(warehouse)
    try:
        return con.execute(
            "select task_type, triage_week, assignee, assigned_count, labeled_count, "
            f"open_count from {PROGRESS} where {flt.where()} "
            "order by triage_week, task_type, assignee"
        ).fetchall()
    finally:
        con.close()


def write_queue_csv(warehouse: Path, flt: QueueFilter, out: Path) -> int:
    """Write the queue's rows for FLT to OUT (CSV with a header, written by DuckDB beside OUT
    and renamed into place); the number of rows."""
    con = _connect(warehouse)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        rows = con.execute(f"select count(*) from ({queue_sql(flt)})").fetchone()
        con.execute(f"copy ({queue_sql(flt)}) to {sql_str(str(tmp))} (header, delimiter ',')")
        tmp.replace(out)
    except (duckdb.IOException, OSError) as exc:
        raise OperationalError(f"cannot write {out}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
        tmp.unlink(missing_ok=True)
    return int(rows[0]) if rows else 0
