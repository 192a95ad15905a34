"""A short text summary of what the warehouse now knows (printed after `floop run`).

Reads the warehouse read-only. The marts it quotes are optional: a mart that is not built yet
(or whose columns changed) is skipped or shown with the columns it has, never an error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import duckdb

from floop.config import Layout
from floop.contract import RAW_SCHEMA, load_contract
from floop.hash_key import DEMO_KEY
from floop.sql import sql_str
from floop.warehouse import connect, table_columns, table_exists

# Columns worth showing, in this order, when the mart has them.
CHANGE_COLUMNS = [
    "task_type",
    "iso_week",
    "version_kind",
    "version_id",
    "displaced_version_id",
    "baseline_outcome_rate",
    "outcome_rate",
    "outcome_delta",
    "outcome_delta_ci_low",
    "outcome_delta_ci_high",
    "verdict",
]
ARM_COLUMNS = [
    "experiment_id",
    "variant",
    "tasks_with_outcome",
    "primary_outcome_rate",
    "delta_vs_control",
    "delta_vs_control_ci_low",
    "delta_vs_control_ci_high",
    "is_control",  # not shown: the control's deltas print as "baseline"
]
MAX_ROWS = 12
# Staged keys per model the demo-key warning hashes again (`_demo_key_note`)
DEMO_KEY_SAMPLE = 1000


def _fmt(value: Any, column: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 10:
            return f"{value:,.1f}"
        # deltas and their intervals carry a sign; rates and shares do not
        return f"{value:+.3f}" if "delta" in column else f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(rows: list[tuple[Any, ...]], header: list[str], indent: str = "  ") -> list[str]:
    cells = [header] + [[_fmt(v, c) for v, c in zip(r, header, strict=True)] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells
    ]


def _mart(
    con: duckdb.DuckDBPyConnection,
    table: str,
    preferred: list[str],
    where: list[tuple[str, str]],
    order: list[tuple[str, str]],
) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Rows of marts.<table> with the preferred columns it has (or its first ones)."""
    if not table_exists(con, f"marts.{table}"):
        return None
    cols = table_columns(con, f"marts.{table}")
    show = [c for c in preferred if c in cols] or cols[:8]
    conds = [sql for col, sql in where if col in cols]
    orders = [sql for col, sql in order if col in cols]
    sql = "select " + ", ".join(f'"{c}"' for c in show) + f" from marts.{table}"
    if conds:
        sql += " where " + " and ".join(conds)
    if orders:
        sql += " order by " + ", ".join(orders)
    sql += f" limit {MAX_ROWS}"
    try:
        return show, con.execute(sql).fetchall()
    except duckdb.Error:  # a mart mid-change: show what plain select * gives
        rows = con.execute(f"select * from marts.{table} limit {MAX_ROWS}").fetchall()
        return cols, rows


def summary_lines(warehouse: Path) -> list[str]:
    warehouse = Path(warehouse)
    if not warehouse.exists():
        return [f"warehouse {warehouse} does not exist yet (run `floop ingest` or `floop run`)"]
    out = [f"floop warehouse: {warehouse.resolve()} ({warehouse.stat().st_size / 1e6:,.1f} MB)"]
    con = connect(warehouse, read_only=True)
    try:
        out += _demo_key_note(con)
        out += _volumes(con)
        out += _bookkeeping(con)
        out += _changes_and_experiments(con)
        out += _locations(con, Layout.for_warehouse(warehouse))
    finally:
        con.close()
    return out


def _demo_key_note(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A warning when the staged person keys were made with the public demo key: judged from
    the data (a staged key equal to the demo hash of its raw id), so a warehouse hashed with
    the demo key says so whichever key is set now."""
    checks = [
        (model, table, column, key)
        for model, table, column, key in (
            ("stg_interactions", "interaction_events", "user_id", "user_key"),
            ("stg_feedback", "feedback_events", "actor_id", "actor_key"),
            ("stg_feedback", "feedback_events", "user_id", "user_key"),
        )
        if table_exists(con, f"staging.{model}") and table_exists(con, f"{RAW_SCHEMA}.{table}")
    ]
    for model, table, column, key in checks:
        # A sample of staged keys: a warehouse is hashed with one key, and a full check hashed
        # every raw id again on every `floop run` (40 s at 10M interactions, issue 14)
        found = con.execute(
            f"""select count(*) from (
              select 1
              from (
                select event_id, {key} from staging.{model}
                where {key} is not null limit {DEMO_KEY_SAMPLE}
              ) s
              join {RAW_SCHEMA}.{table} r using (event_id)
              where r.{column} is not null
                and s.{key} = sha256({sql_str(DEMO_KEY)} || '|' || r.{column})
              limit 1)"""
        ).fetchone()
        if found and found[0]:
            return [
                "WARNING: user_key/actor_key in this warehouse were made with the PUBLIC demo "
                "hash key (FLOOP_HASH_KEY of scripts/demo.sh): anyone can reverse them by "
                "hashing guessed ids. Demo data only (README: The hash key)."
            ]
    return []


def _volumes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Events accepted per event type."""
    rows = []
    for et in load_contract().event_types:
        name = f"{et}_events"
        if table_exists(con, f"{RAW_SCHEMA}.{name}"):
            n, lo, hi = con.execute(
                f'select count(*), min("timestamp"), max("timestamp") from {RAW_SCHEMA}.{name}'
            ).fetchone()
            rows.append((et, int(n), str(lo)[:19] if lo else None, str(hi)[:19] if hi else None))
    if not rows:
        return ["no raw event tables yet"]
    return ["events accepted (raw):", *_table(rows, ["event_type", "events", "first", "last"])]


def _bookkeeping(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The ledger's totals, rejects by reason, duplicates and fields outside the contract."""
    out = []
    if table_exists(con, f"{RAW_SCHEMA}.ingest_ledger"):
        f, lines, acc, dup, rej, last = con.execute(
            f"""select count(*), sum(lines), sum(accepted), sum(duplicate), sum(rejected),
              max(ingested_at) from {RAW_SCHEMA}.ingest_ledger"""
        ).fetchone()
        out.append(
            f"ingested: {int(f or 0):,} files, {int(lines or 0):,} lines = "
            f"{int(acc or 0):,} accepted + {int(dup or 0):,} duplicate + "
            f"{int(rej or 0):,} rejected (last load {str(last)[:19] if last else '-'})"
        )
    if table_exists(con, f"{RAW_SCHEMA}.quarantine"):
        reasons = con.execute(
            f"select reason_code, count(*) from {RAW_SCHEMA}.quarantine "
            "group by 1 order by 2 desc, 1"
        ).fetchall()
        if reasons:
            out.append("rejected lines by reason (raw.quarantine):")
            out += _table([(r, int(n)) for r, n in reasons], ["reason_code", "lines"])
    if table_exists(con, f"{RAW_SCHEMA}.duplicate_events"):
        n, ids = con.execute(
            f"select count(*), count(distinct event_id) from {RAW_SCHEMA}.duplicate_events"
        ).fetchone()
        out.append(f"duplicates dropped: {int(n):,} lines ({int(ids):,} distinct event ids)")
    if table_exists(con, f"{RAW_SCHEMA}.unknown_fields"):
        drift = con.execute(
            "select event_type, field_name, sum(events)::bigint "
            f"from {RAW_SCHEMA}.unknown_fields group by 1, 2 order by 3 desc, 1, 2"
        ).fetchall()
        if drift:
            out.append("fields outside the contract (kept in _extra_fields):")
            out += _table(drift, ["event_type", "field", "events"])
    return out


def _changes_and_experiments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What changed and did it help; experiment arms; datasets exported."""
    out = []
    changes = _mart(
        con,
        "fct_version_changes_weekly",
        CHANGE_COLUMNS,
        where=[("is_new", "is_new"), ("outcome_delta", "outcome_delta is not null")],
        order=[("interaction_week", "interaction_week desc"), ("task_type", "task_type")],
    )
    if changes is None:
        out.append("version changes: marts.fct_version_changes_weekly not built yet")
    else:
        cols, rows = changes
        out.append(f"version changes (marts.fct_version_changes_weekly, {len(rows)} shown):")
        out += _table(rows, cols) if rows else ["  none with a baseline yet"]
    arms = _mart(
        con,
        "fct_experiment_arms",
        ARM_COLUMNS,
        where=[],
        order=[("experiment_id", "experiment_id"), ("variant", "variant")],
    )
    if arms is None:
        out.append("experiments: marts.fct_experiment_arms not built yet")
    else:
        cols, rows = _control_as_baseline(*arms)
        out.append("experiments (marts.fct_experiment_arms; deltas against the control arm):")
        out += _table(rows, cols) if rows else ["  no experiment traffic"]
    if table_exists(con, "registry.dataset_manifests"):
        n = con.execute("select count(*) from registry.dataset_manifests").fetchone()[0]
        out.append(f"datasets exported: {int(n):,} manifests (registry.dataset_manifests)")
    return out


def _control_as_baseline(
    cols: list[str], rows: list[tuple[Any, ...]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The control arm is the baseline the other arms are measured against: its delta is
    "baseline" and its interval empty, not "+0.000 -0.137 +0.137"."""
    if "is_control" not in cols:
        return cols, rows
    shown = [c for c in cols if c != "is_control"]
    out = []
    for row in rows:
        cells = dict(zip(cols, row, strict=True))
        if cells["is_control"]:
            for c in shown:
                if c.startswith("delta_vs_control"):
                    cells[c] = "baseline" if c == "delta_vs_control" else ""
        out.append(tuple(cells[c] for c in shown))
    return shown, out


def _locations(con: duckdb.DuckDBPyConnection, layout: Layout) -> list[str]:
    """Where the warehouse, the analyst copy and the docs are."""
    out = ["where:", f"  DuckDB file:  {layout.warehouse}"]
    if layout.analyst_copy.exists() and layout.analyst_copy != layout.warehouse:
        out.append(f"  analyst copy: {layout.analyst_copy} (read-only, marts only)")
    flag = "" if layout == Layout.for_warehouse() else f" --warehouse {layout.warehouse}"
    out.append(
        f"  dbt docs:     floop docs{flag}  (serves them on http://127.0.0.1:8580)"
        if layout.dbt_docs.exists()
        else "  dbt docs:     not generated yet (`floop run` generates them)"
    )
    gx = None
    if table_exists(con, f"{RAW_SCHEMA}.gx_validations"):
        row = con.execute(
            f"select data_docs_path from {RAW_SCHEMA}.gx_validations "
            "where data_docs_path is not null order by validated_at desc limit 1"
        ).fetchone()
        gx = row[0] if row else None
    out.append(f"  GX Data Docs: {gx or '(no validation with Data Docs yet)'}")
    return out


def print_summary(warehouse: Path, file: TextIO | None = None) -> None:
    """Print what the warehouse now knows (volumes, rejects, duplicates, deltas, locations)."""
    print("\n".join(summary_lines(warehouse)), file=file or sys.stdout)
