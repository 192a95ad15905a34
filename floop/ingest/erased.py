"""Erased users stay erased: a line of a landing file that belongs to a user erased by `floop
forget` is dropped at load (counted in the ledger's `erased`), so re-ingesting the immutable
landing files does not bring the user back.

`raw.erasure_tombstones` holds keyed hashes (floop.hash_key), never ids: of the user's id, and
of the responses ('output:' || output_id) and tasks ('task:' || task_id) erased with them. A
line is erased when one of its candidates hashes to a tombstone of its tenant (or of a
tombstone for every tenant):

- a valid line: its user_id, actor_id and labeler_id; its output_id; an outcome's task_id;
- a rejected line (raw text, maybe not JSON at all): every token of the text (`tokens_sql`),
  as an id and as an output_id: the rule `floop forget` searches the quarantine with.

One UPDATE over the checked lines (SQL, no Python loop), run only when tombstones exist; the
key is a bound parameter, never part of the SQL text.
"""

from __future__ import annotations

import duckdb

from floop.contract import RAW_SCHEMA
from floop.ingest.checks_fields import col

TOMBSTONES = f"{RAW_SCHEMA}.erasure_tombstones"
# Ids a person appears under, as the contract names them (user_id: envelope of every type).
PERSON_FIELDS = ("user_id", "actor_id", "labeler_id")
OUTPUT_PREFIX, TASK_PREFIX = "output:", "task:"


def tokens_sql(text: str) -> str:
    """SQL: the tokens of raw text TEXT in which an id is searched: the contents of its
    double-quoted strings, and its runs of characters that are not JSON punctuation or
    space (an id inside an unparseable line)."""
    return (
        f'list_distinct(list_concat(regexp_extract_all({text}, \'"([^"\\\\]*)"\', 1), '
        f"regexp_extract_all({text}, '[^\\s\"'',:{{}}\\[\\]\\\\]+')))"
    )


def has_tombstones(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(f"select count(*) from (select 1 from {TOMBSTONES} limit 1)").fetchone()
    return bool(row and row[0])


def _candidates_sql() -> str:
    """SQL over temp.checked: the strings whose keyed hash may be a tombstone."""
    valid = ", ".join(
        [col("v", f) for f in PERSON_FIELDS]
        + [
            f"'{OUTPUT_PREFIX}' || {col('v', 'output_id')}",
            f"case when {col('v', 'event_type')} = 'outcome' "
            f"then '{TASK_PREFIX}' || {col('v', 'task_id')} end",
        ]
    )
    return (
        f"case when reason_code is null then list_filter([{valid}], lambda x: x is not null) "
        f"else list_concat({tokens_sql('raw_line')}, list_transform({tokens_sql('raw_line')}, "
        f"lambda t: '{OUTPUT_PREFIX}' || t)) end"
    )


def mark_erased(con: duckdb.DuckDBPyConnection, key: str, key_fingerprint: str) -> None:
    """Set `_is_erased` on the lines of temp.checked that belong to an erased user."""
    tenant = f"coalesce({col('v', 'tenant_id')}, json_extract_string(_json, '/tenant_id'))"
    con.execute(
        f"""update checked set _is_erased = true
        where line_number in (
          select x.line_number
          from (
            select line_number, {tenant} as tenant, unnest({_candidates_sql()}) as candidate
            from checked
          ) x
          join {TOMBSTONES} t
            on t.hash = sha256(? || '|' || x.candidate)
            and (t.tenant_id is null or t.tenant_id = x.tenant)
          where t.key_fingerprint = ?
        )""",
        [key, key_fingerprint],
    )
