"""The frames Great Expectations validates for one load, computed by DuckDB.

GX judges pandas frames (its SQL datasource on DuckDB returns no rows). A pandas copy of every
accepted row would cost more than the ingest itself at production size, and every expectation
here is a column aggregate: a share of nulls, a count of values outside a set or a range. So
DuckDB computes those aggregates over the whole batch, and a batch larger than `EXACT_ROWS`
is handed to GX as a *representative frame* of `SAMPLE_ROWS` rows built from them: per column
its nulls and its unexpected values (real examples from the batch) scaled down so that every
expectation reaches the same verdict as on the full batch (see `_scaled`). The exact counts
are recorded with each result (`exact`), and the expectation's notes in Data Docs say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from floop.contract import RAW_SCHEMA, Contract

if TYPE_CHECKING:
    import pandas as pd

SUITE_PREFIX = "floop_batch"
# Batches up to this many rows are validated row by row, as landed; larger ones through a
# representative frame.
EXACT_ROWS = 10_000
SAMPLE_ROWS = 1_000
_EXAMPLES = 20  # unexpected values fetched per column (GX shows up to 20)


@dataclass
class ColumnCheck:
    """One expectation on one column, and what DuckDB counted for it over the batch."""

    column: str
    kind: str  # not_null | in_set | between
    kwargs: dict[str, Any]
    unexpected: int = 0  # rows failing it (nulls for not_null)


@dataclass
class Batch:
    """One dataframe GX validates, and what it expects of it. `exact` (a representative
    frame only): the batch's true count of unexpected rows per (check kind, column)."""

    name: str
    event_type: str | None
    frame: pd.DataFrame
    expectations: list[Any]
    rows: int = 0
    exact: dict[tuple[str, str], int] = field(default_factory=dict)


def _column_checks(contract: Contract, event_type: str) -> list[ColumnCheck]:
    """The contract's batch expectations of EVENT_TYPE, in contract field order."""
    null_share: dict[str, float] = contract.batch_quality.get("max_null_share", {})
    checks = []
    for spec in contract.fields(event_type):
        key = f"{event_type}.{spec.name}"
        if key in null_share:
            mostly = 1.0 - float(null_share[key])
            checks.append(ColumnCheck(spec.name, "not_null", {"mostly": mostly}))
        if spec.type == "string" and spec.enum and spec.name != "event_type":
            value_set = contract.enums[spec.enum]
            checks.append(ColumnCheck(spec.name, "in_set", {"value_set": value_set}))
        if spec.type in ("integer", "number") and (spec.min is not None or spec.max is not None):
            bounds = {"min_value": spec.min, "max_value": spec.max}
            checks.append(ColumnCheck(spec.name, "between", bounds))
    return checks


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unexpected_sql(check: ColumnCheck) -> str:
    """SQL boolean: a row fails CHECK (GX ignores nulls for sets and ranges)."""
    c = _ident(check.column)
    if check.kind == "not_null":
        return f"{c} is null"
    if check.kind == "in_set":
        values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in check.kwargs["value_set"])
        return f"{c} is not null and {c} not in ({values})"
    lo, hi = check.kwargs["min_value"], check.kwargs["max_value"]
    parts = [f"{c} < {lo!r}" if lo is not None else "", f"{c} > {hi!r}" if hi is not None else ""]
    return f"{c} is not null and (" + " or ".join(p for p in parts if p) + ")"


def _expectation(check: ColumnCheck, gxe: Any, meta: dict[str, Any] | None) -> Any:
    cls = {
        "not_null": gxe.ExpectColumnValuesToNotBeNull,
        "in_set": gxe.ExpectColumnValuesToBeInSet,
        "between": gxe.ExpectColumnValuesToBeBetween,
    }[check.kind]
    return cls(column=check.column, meta=meta, **check.kwargs)


def event_batches(
    con: duckdb.DuckDBPyConnection, contract: Contract, load_id: str, gxe: Any
) -> list[Batch]:
    """One batch per event type with rows accepted in this load."""
    batches = []
    for event_type in contract.event_types:
        checks = _column_checks(contract, event_type)
        if not checks:
            continue
        table = contract.raw_table(event_type)
        where = f"from {table} where _load_id = ?"
        counts = ", ".join(f"count(*) filter (where {_unexpected_sql(c)})" for c in checks)
        row = con.execute(f"select count(*), {counts} {where}", [load_id]).fetchone()
        assert row is not None
        rows = int(row[0])
        if not rows:
            continue
        for check, n in zip(checks, row[1:], strict=True):
            check.unexpected = int(n)
        columns = list(dict.fromkeys(c.column for c in checks))
        name = f"{SUITE_PREFIX}_{event_type}"
        if rows <= EXACT_ROWS:
            cols = ", ".join(_ident(c) for c in columns)
            frame = con.execute(f"select {cols} {where}", [load_id]).df()
            expectations = [_expectation(c, gxe, None) for c in checks]
            batches.append(Batch(name, event_type, frame, expectations, rows))
            continue
        frame = _representative_frame(con, where, load_id, rows, checks, columns)
        note = {
            "notes": f"validated on a representative frame of {SAMPLE_ROWS} rows standing for "
            f"the {rows} rows of the batch (exact counts in raw.gx_validations)"
        }
        batch = Batch(name, event_type, frame, [_expectation(c, gxe, note) for c in checks], rows)
        for c in checks:
            batch.exact[(c.kind, c.column)] = c.unexpected
        batches.append(batch)
    return batches


def _scaled(count: int, rows: int, mostly: float | None) -> int:
    """How many of SAMPLE_ROWS rows fail, for COUNT of ROWS failing: the same verdict as the
    batch. A pass (share within 1 - mostly) rounds down, a fail rounds up, so the share never
    crosses the threshold; with no `mostly` any failure fails, so one stays one at least."""
    if count == 0:
        return 0
    exact = count * SAMPLE_ROWS / rows
    if mostly is None:
        return max(1, round(exact))
    passes = (rows - count) / rows >= mostly
    return math.floor(exact) if passes else min(SAMPLE_ROWS, math.ceil(exact))


def _representative_frame(
    con: duckdb.DuckDBPyConnection,
    where: str,
    load_id: str,
    rows: int,
    checks: list[ColumnCheck],
    columns: list[str],
) -> pd.DataFrame:
    """SAMPLE_ROWS rows per column (columns are independent: each expectation judges one)."""
    # Imported here: pandas costs ~0.5 s of `floop --help`; GX has imported it by now.
    import pandas as pd

    return pd.DataFrame(
        {
            column: _column_values(
                con, where, load_id, rows, [c for c in checks if c.column == column]
            )
            for column in columns
        }
    )


def _column_values(
    con: duckdb.DuckDBPyConnection,
    where: str,
    load_id: str,
    rows: int,
    checks: list[ColumnCheck],
) -> list[Any]:
    """One column of the representative frame: its scaled nulls, then its scaled unexpected
    values (real ones of the batch, cycled), then an expected value of the batch."""
    column = _ident(checks[0].column)
    null_check = next((c for c in checks if c.kind == "not_null"), None)
    nulls = 0
    if null_check is not None:
        nulls = _scaled(null_check.unexpected, rows, null_check.kwargs["mostly"])
    value_checks = [c for c in checks if c.kind != "not_null"]
    bad_sql = " or ".join(f"({_unexpected_sql(c)})" for c in value_checks) or "false"
    bad = _scaled(sum(c.unexpected for c in value_checks), rows, None)
    examples: list[Any] = []
    if bad:
        nulls = min(nulls, SAMPLE_ROWS - 1)  # room for one unexpected value
        bad = min(bad, SAMPLE_ROWS - nulls)
        examples = [
            r[0]
            for r in con.execute(
                f"select distinct {column} {where} and ({bad_sql}) order by 1 limit {_EXAMPLES}",
                [load_id],
            ).fetchall()
        ]
    good = con.execute(
        f"select {column} {where} and {column} is not null and not ({bad_sql}) limit 1",
        [load_id],
    ).fetchall()
    filler = good[0][0] if good else (examples[0] if examples else None)
    values: list[Any] = [None] * nulls + [examples[i % len(examples)] for i in range(bad)]
    return values + [filler] * (SAMPLE_ROWS - len(values))


def load_batch(con: duckdb.DuckDBPyConnection, contract: Contract, load_id: str, gxe: Any) -> Batch:
    """The run as a whole: the share of rejected lines."""
    frame = con.execute(
        f"""with files as (
          select sum(lines) as lines, sum(accepted) as accepted, sum(duplicate) as duplicate,
            sum(rejected) as rejected
          from {RAW_SCHEMA}.ingest_ledger where load_id = ?
        ),
        final as (
          select lines, accepted, duplicate, rejected,
            rejected / greatest(lines, 1) as rejected_share
          from files
        )
        select * from final""",
        [load_id],
    ).df()
    max_share = float(contract.batch_quality.get("max_rejected_share", 1.0))
    return Batch(
        f"{SUITE_PREFIX}_load",
        None,
        frame,
        [
            gxe.ExpectColumnValuesToBeBetween(
                column="rejected_share", min_value=0, max_value=max_share
            )
        ],
        len(frame),
    )


def volume_batch(
    con: duckdb.DuckDBPyConnection, contract: Contract, load_id: str, gxe: Any
) -> Batch | None:
    """Events per tenant and event type in this load. Every tenant seen before for an event
    type this load carries is expected again with at least `min_rows_per_tenant_and_type`, so
    a tenant that silently stops sending shows up."""
    typed = [t for t in contract.event_types if "tenant_id" in contract.field_names(t)]
    union = " union all ".join(
        f"select '{t}' as event_type, tenant_id, _load_id from {contract.raw_table(t)}"
        for t in typed
    )
    frame = con.execute(
        f"""with events as (
          {union}
        ),
        this_load as (
          select event_type, tenant_id, count(*) as events
          from events where _load_id = ? group by all
        ),
        expected as (
          select distinct event_type, tenant_id from events
          where event_type in (select event_type from this_load)
        ),
        final as (
          select e.event_type, e.tenant_id, coalesce(t.events, 0) as events
          from expected as e
          left join this_load as t
            on e.event_type = t.event_type and e.tenant_id is not distinct from t.tenant_id
          order by e.event_type, e.tenant_id
        )
        select * from final""",
        [load_id],
    ).df()
    if not len(frame):
        return None
    minimum = int(contract.batch_quality.get("min_rows_per_tenant_and_type", 1))
    return Batch(
        f"{SUITE_PREFIX}_volume",
        None,
        frame,
        [gxe.ExpectColumnValuesToBeBetween(column="events", min_value=minimum)],
        len(frame),
    )
