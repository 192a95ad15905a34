"""The erased user's lines out of the raw schema, in SQL, inside the caller's transaction.

What is the user's data (README, "Erasure"):

- every event whose `user_id` is the id (any event type: user_id is in the envelope), every
  feedback whose `actor_id` is and every label whose `labeler_id` is (the person as actor);
- the events about the user's responses: feedback, evaluations and labels of the output_ids
  of the user's interactions (other people's thumbs on the user's answer tell about the
  user's conversation);
- the outcomes of tasks whose every interaction is the user's (a task shared with other
  users keeps its outcome: it is theirs too);
- quarantined lines (raw text, maybe not JSON) in which the id, or one of the erased
  output_ids, is a token (`floop.ingest.erased.tokens_sql`), and the duplicates of erased
  events.

With `tenant`, only events (and quarantined lines) of that tenant. The id is a bound
parameter everywhere, never SQL text. Every erased line is moved, in its file's ledger row,
from accepted / duplicate / rejected to `erased`.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from floop.contract import RAW_SCHEMA, load_contract
from floop.errors import OperationalError
from floop.ingest.erased import OUTPUT_PREFIX, PERSON_FIELDS, TASK_PREFIX, tokens_sql

_SAME_LINE = (
    "q.load_id = f.load_id and q.source_file = f.source_file and q.line_number = f.line_number"
)


@dataclass
class RawCounts:
    events: int = 0  # accepted events removed
    quarantined: int = 0
    duplicates: int = 0

    @property
    def lines(self) -> int:
        return self.events + self.quarantined + self.duplicates


def _typed(event_type: str, name: str) -> str:
    """Column NAME of the event type's raw table, or a typed null when it has none."""
    return name if name in load_contract().field_names(event_type) else "null::varchar"


def collect(con: duckdb.DuckDBPyConnection, user_id: str, tenant: str | None) -> None:
    """Temp tables of what is erased: forget_events, forget_outputs (the user's responses),
    forget_tasks (tasks of the user alone), forget_quarantine, forget_duplicates."""
    contract = load_contract()
    params = {"id": user_id, "tenant": tenant}
    direct = []
    for t in contract.event_types:
        people = [f for f in PERSON_FIELDS if f in contract.field_names(t)]
        who = " or ".join(f"{f} = $id" for f in people)
        direct.append(
            f"select '{t}' as event_type, event_id, {_typed(t, 'output_id')} as output_id, "
            f"{_typed(t, 'task_id')} as task_id from {contract.raw_table(t)} "
            f"where ({who}) and ($tenant is null or tenant_id = $tenant)"
        )
    con.execute(
        "create or replace temp table forget_direct as " + " union all ".join(direct), params
    )
    con.execute(
        """create or replace temp table forget_outputs as
        select distinct output_id from forget_direct
        where event_type = 'interaction' and output_id is not null"""
    )
    con.execute(
        f"""create or replace temp table forget_tasks as
        select distinct task_id from forget_direct
        where event_type = 'interaction' and task_id is not null
          and task_id not in (
            select task_id from {contract.raw_table("interaction")}
            where task_id is not null
              and event_id not in (select event_id from forget_direct))"""
    )
    events = []
    for t in contract.event_types:
        cond = ["event_id in (select event_id from forget_direct)"]
        if "output_id" in contract.field_names(t):
            cond.append("output_id in (select output_id from forget_outputs)")
        if t == "outcome":
            cond.append("task_id in (select task_id from forget_tasks)")
        events.append(
            f"select '{t}' as event_type, event_id, {_typed(t, 'output_id')} as output_id, "
            "_source_file as source_file, _line_number as line_number, "
            f"_extra_fields as extra_fields from {contract.raw_table(t)} "
            f"where ({' or '.join(cond)}) and ($tenant is null or tenant_id = $tenant)"
        )
    con.execute(
        "create or replace temp table forget_events as " + " union all ".join(events),
        {"tenant": tenant},
    )
    tokens = tokens_sql("raw_line")
    con.execute(
        f"""create or replace temp table forget_quarantine as
        select load_id, source_file, line_number
        from (select *, {tokens} as tokens from {RAW_SCHEMA}.quarantine)
        where ($tenant is null or list_contains(tokens, $tenant))
          and (list_contains(tokens, $id)
            or list_has_any(tokens, (select list(output_id) from forget_outputs))
            or event_id in (select event_id from forget_events))""",
        params,
    )
    con.execute(
        f"""create or replace temp table forget_duplicates as
        select load_id, source_file, line_number from {RAW_SCHEMA}.duplicate_events
        where event_id in (select event_id from forget_events)"""
    )


def _place_in_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """temp.forget_lines: every erased line with the ledger row that counted it, found by its
    line number among the file's loads (a file's loaded rows count its lines in order, so
    appended parts and lines a replay moved are placed exactly)."""
    con.execute(
        f"""create or replace temp table forget_lines as
        with lines as (
          select 'accepted' as kind, source_file, line_number, event_type, extra_fields
          from forget_events
          union all
          select 'rejected', source_file, line_number, null, null from forget_quarantine
          union all
          select 'duplicate', source_file, line_number, null, null from forget_duplicates
        ),
        file_keys as (
          select file_path, coalesce(max(relative_path), file_path) as file_key
          from {RAW_SCHEMA}.ingest_ledger group by file_path
        ),
        ranges as (
          select load_id, file_path, coalesce(relative_path, file_path) as file_key, lines,
            coalesce(sum(lines) over (
              partition by coalesce(relative_path, file_path) order by ingested_at, load_id
              rows between unbounded preceding and 1 preceding), 0) as lines_before
          from {RAW_SCHEMA}.ingest_ledger where status = 'loaded' and lines > 0
        )
        select l.*, r.load_id as ledger_load_id, r.file_path as ledger_file_path
        from lines l
        join file_keys k on k.file_path = l.source_file
        join ranges r on r.file_key = k.file_key
          and l.line_number > r.lines_before and l.line_number <= r.lines_before + r.lines"""
    )
    placed, total = con.execute(
        """select (select count(*) from forget_lines),
          (select count(*) from forget_events) + (select count(*) from forget_quarantine)
          + (select count(*) from forget_duplicates)"""
    ).fetchone() or (0, 0)
    if placed != total:
        raise OperationalError(
            f"forget stopped: {total - placed} of {total} erased lines match no ingest ledger "
            "row; nothing was changed"
        )


def _rebalance_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""update {RAW_SCHEMA}.ingest_ledger l
        set accepted = l.accepted - m.a, duplicate = l.duplicate - m.d,
          rejected = l.rejected - m.r, erased = coalesce(l.erased, 0) + m.a + m.d + m.r
        from (
          select ledger_load_id, ledger_file_path,
            count(*) filter (where kind = 'accepted') as a,
            count(*) filter (where kind = 'duplicate') as d,
            count(*) filter (where kind = 'rejected') as r
          from forget_lines group by all
        ) m
        where l.load_id = m.ledger_load_id and l.file_path = m.ledger_file_path"""
    )
    bad = con.execute(
        f"""select file_path from {RAW_SCHEMA}.ingest_ledger
        where least(accepted, duplicate, rejected) < 0
          or accepted + duplicate + rejected + coalesce(erased, 0) <> lines
        limit 1"""
    ).fetchall()
    if bad:
        raise OperationalError(
            f"forget stopped: the ledger row of {bad[0][0]} would not add up; nothing was changed"
        )
    # unknown fields of erased events no longer counted (by the ledger row's load)
    con.execute(
        f"""update {RAW_SCHEMA}.unknown_fields u set events = u.events - m.n
        from (
          select ledger_load_id, source_file, event_type, field_name, count(*) as n
          from (
            select ledger_load_id, source_file, event_type,
              unnest(json_keys(extra_fields)) as field_name
            from forget_lines where kind = 'accepted' and extra_fields is not null
          ) group by all
        ) m
        where u.load_id = m.ledger_load_id and u.source_file = m.source_file
          and u.event_type = m.event_type and u.field_name = m.field_name"""
    )
    con.execute(f"delete from {RAW_SCHEMA}.unknown_fields where events <= 0")


def remove(con: duckdb.DuckDBPyConnection) -> RawCounts:
    """Delete what `collect` found from raw, and move its lines to `erased` in the ledger."""
    _place_in_ledger(con)
    _rebalance_ledger(con)
    contract = load_contract()
    for t in contract.event_types:
        con.execute(
            f"""delete from {contract.raw_table(t)} where event_id in
            (select event_id from forget_events where event_type = '{t}')"""
        )
    con.execute(
        f"delete from {RAW_SCHEMA}.quarantine q using forget_quarantine f where {_SAME_LINE}"
    )
    con.execute(
        f"delete from {RAW_SCHEMA}.duplicate_events q using forget_duplicates f where {_SAME_LINE}"
    )
    row = con.execute(
        """select (select count(*) from forget_events), (select count(*) from forget_quarantine),
          (select count(*) from forget_duplicates)"""
    ).fetchone()
    assert row is not None
    return RawCounts(*(int(x) for x in row))


def tombstone(
    con: duckdb.DuckDBPyConnection,
    erasure_id: str,
    user_id: str,
    tenant: str | None,
    key: str,
    fingerprint: str,
) -> None:
    """Keyed hashes of the id, the user's responses and tasks: what re-ingest drops."""
    con.execute(
        f"""insert into {RAW_SCHEMA}.erasure_tombstones
          (erasure_id, hash, tenant_id, key_fingerprint)
        select distinct $erasure, sha256($key || '|' || c), $tenant, $fp
        from (
          select $id as c
          union all select '{OUTPUT_PREFIX}' || output_id from forget_outputs
          union all select '{TASK_PREFIX}' || task_id from forget_tasks
        )""",
        {"erasure": erasure_id, "key": key, "tenant": tenant, "fp": fingerprint, "id": user_id},
    )


def erased_lines_by_file(con: duckdb.DuckDBPyConnection) -> dict[str, list[int]]:
    """source_file -> the erased line numbers in it (for --purge-landing)."""
    rows = con.execute(
        "select source_file, list(distinct line_number order by line_number) "
        "from forget_lines group by 1 order by 1"
    ).fetchall()
    return {f: list(n) for f, n in rows}


def affected_sql() -> str:
    """SQL: (output_id, task_id) pairs a dataset row built from erased events may carry."""
    return """select output_id, null as task_id from forget_outputs
        union all select output_id, null from forget_events where output_id is not null
        union all select null, task_id from forget_tasks"""
