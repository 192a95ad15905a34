"""The contract compiled to SQL: one SELECT that judges every line of a file at once.

The checks are generated from the contract (`floop.contract`) and run by DuckDB over the whole
file: there is no Python loop over events. One field's expressions live in `checks_fields`, the
quarantine messages in `checks_messages`; here they are put together per event type and reason.
"""

from __future__ import annotations

from datetime import datetime

from floop.contract import Contract
from floop.ingest.checks_fields import (
    FIELD_CHECK_CODES,
    check_fail_expr,
    col,
    field_specs,
    is_kind,
    kind_of,
    lit,
    value_expr,
)
from floop.ingest.checks_messages import message_sql
from floop.sql import sql_str

# Row filters over the checked lines (aliased `c`) once duplicates are marked.
DUPLICATE = "c._is_duplicate"
ACCEPTED = f"c.reason_code is null and not {DUPLICATE}"


class CheckSQL:
    """The generated SQL of the checks: one SELECT over `(line_number, raw_line)` rows, the
    duplicates among its valid lines, and the message of each rejected line."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.specs = field_specs(contract)
        self.names = list(self.specs)

    def per_type_field_check(self, code: str, now: datetime) -> str:
        """The first field (contract order) of the line's event type failing `code`, or NULL."""
        branches = []
        for event_type in self.contract.event_types:
            whens = []
            for spec in self.contract.fields(event_type):
                cond = check_fail_expr(code, spec, self.contract, now)
                if cond:
                    whens.append(f"when {cond} then {lit(spec.name)}")
            if whens:
                branches.append(f"when {lit(event_type)} then case {' '.join(whens)} end")
        if code == "missing_required":
            # Without a known event type only the always-required envelope can be judged.
            whens = [
                f"when {col('t', s.name)} is null then {lit(s.name)}"
                for s in self.specs.values()
                if s.envelope and s.required
            ]
            fallback = f"case {' '.join(whens)} end"
            return f"case {col('v', 'event_type')} {' '.join(branches)} else {fallback} end"
        if not branches:
            return "null"
        return f"case {col('v', 'event_type')} {' '.join(branches)} end"

    def reason_exprs(self) -> list[tuple[str, str, str]]:
        """(reason code, SQL boolean 'fails', SQL field name or NULL) in contract order."""
        sv_t, sv_v = col("t", "schema_version"), col("v", "schema_version")
        et_t, et_v = col("t", "event_type"), col("v", "event_type")
        event_types = ", ".join(lit(x) for x in self.contract.event_types)
        out = []
        for code in self.contract.reason_codes:
            if code == "invalid_json":
                out.append((code, "not _ok_json", "null"))
            elif code == "not_an_object":
                out.append((code, "not _is_object", "null"))
            elif code == "unsupported_schema_version":
                pat = lit(self.contract.schema_version_pattern)
                cond = f"{is_kind(sv_t, 'string')} and not regexp_full_match({sv_v}, {pat})"
                out.append((code, cond, "'schema_version'"))
            elif code == "unknown_event_type":
                cond = (
                    f"{et_t} is not null and (not {is_kind(et_t, 'string')} "
                    f"or {et_v} not in ({event_types}))"
                )
                out.append((code, cond, "'event_type'"))
            elif code in FIELD_CHECK_CODES:
                column = f'"_f_{code}"'
                out.append((code, f"{column} is not null", column))
            else:
                raise ValueError(f"no check implemented for reason code {code!r}")
        return out

    def checked_select(
        self,
        source_sql: str,
        now: datetime,
        source_file: str,
        file_start: str = "line_number = 1",
    ) -> str:
        """One SELECT: every line with its typed fields and reason (NULL when valid). A chain
        of CTEs in three stages: parse the lines, type and check the fields, pick the reason.
        `source_sql` gives `(line_number, raw_line)` rows, `line_number` unique; `file_start`
        (SQL over its columns) says which line begins its file (may start with a BOM)."""
        return (
            self._parse_ctes(source_sql, file_start)
            + self._field_ctes(now)
            + self._reason_ctes(source_file)
            + "select * from final\n"
        )

    def _parse_ctes(self, source_sql: str, file_start: str) -> str:
        """Each line as JSON: valid, an object, its keys and every contract field's fragment.
        `_doc` is the text judged: the line as landed, less a byte order mark at byte 0 of
        the file, and with duplicate keys resolved (the last value wins)."""
        struct = "{" + ", ".join(f'"{n}": "JSON"' for n in self.names) + "}"
        return f"""
with src as (
  {source_sql}
),
parsed as (
  select
    line_number,
    raw_line,
    _doc,
    json_valid(_doc) as _ok_json
  from (
    select
      line_number,
      raw_line,
      -- a UTF-8 byte order mark is allowed at byte 0 of a file only (line 1); json_valid
      -- refuses it
      case when {file_start} and starts_with(raw_line, chr(65279))
        then substr(raw_line, 2) else raw_line end as _doc
    from src
  )
),
shaped as (
  select
    *,
    -- ltrim copies the line: only for the rare line that does not start with {{ itself
    _ok_json and case when starts_with(_doc, '{{') then true
      else starts_with(ltrim(_doc, ' ' || chr(9) || chr(13) || chr(10)), '{{') end
      as _is_object
  from parsed
),
extracted as (
  -- (not try(json_keys) instead of json_valid: try() evaluates a whole vector row by row
  -- when one line fails, 4x slower on a file with 1% broken lines)
  select
    line_number, raw_line, _doc, _ok_json, _is_object,
    case when _is_object then json_keys(_doc) end as _keys,
    case when _is_object then json_transform(_doc, '{struct}') end as _f
  from shaped
),
{self._last_key_wins_cte(struct)}"""

    def _last_key_wins_cte(self, struct: str) -> str:
        """The CTE `deduped`: a line with a key twice (rare) is judged as the object of each
        key's last value, as Python's json and most readers do (DuckDB's extraction keeps the
        first). Only a line with more keys than contract fields present can have one twice:
        list_distinct (costly) runs for those alone. Keys and values pair up by position
        (`$.*` lists every member)."""
        present = " + ".join(f'(_f."{n}" is not null)::int' for n in self.names)
        last_ones = (
            "list_filter(generate_series(1, len(_keys)), "
            "lambda i: not list_contains(_keys[i + 1:], _keys[i]))"
        )
        rebuilt = (
            f"'{{' || array_to_string(list_transform({last_ones}, lambda i: "
            "to_json(_keys[i]) || ':' || json_extract(_doc, '$.*')[i]), ',') || '}'"
        )
        return f"""deduped as (
  select
    line_number, raw_line, _ok_json, _is_object,
    case when _dup then _fixed else _doc end as _doc,
    case when _dup then list_distinct(_keys) else _keys end as _keys,
    case when _dup then json_transform(_fixed, '{struct}') else _f end as _f
  from (
    select
      *,
      case when len(_keys) > {present} then len(list_distinct(_keys)) < len(_keys)
        else false end as _dup,
      case when _dup then {rebuilt} end as _fixed
    from extracted
  )
),
"""

    def _field_ctes(self, now: datetime) -> str:
        """Per field its fragment j, kind t and typed value v; per check the failing field."""
        extract = ",\n    ".join(f'_f."{n}" as {col("j", n)}' for n in self.names)
        types = ",\n    ".join(f"{kind_of(col('j', n))} as {col('t', n)}" for n in self.names)
        values = ",\n    ".join(
            f"{value_expr(s, self.contract)} as {col('v', n)}" for n, s in self.specs.items()
        )
        field_checks = ",\n    ".join(
            f'{self.per_type_field_check(code, now)} as "_f_{code}"' for code in FIELD_CHECK_CODES
        )
        return f"""fragments as (
  select
    line_number, raw_line, _doc, _ok_json, _is_object, _keys,
    {extract}
  from deduped
),
typed as (
  select
    *,
    {types}
  from fragments
),
valued as (
  select
    *,
    {values}
  from typed
),
field_checks as (
  select
    *,
    {field_checks}
  from valued
),
"""

    def _extra_keys_expr(self) -> str:
        """SQL: the line's keys the contract does not name for its event type."""
        known = {
            t: "[" + ", ".join(lit(n) for n in self.contract.field_names(t)) + "]"
            for t in self.contract.event_types
        }
        # Fast path: when the line has no more keys than contract fields present (non-null)
        # for its type, nothing is unknown; only other lines filter their key list.
        present = {
            t: " + ".join(f"({col('j', n)} is not null)::int" for n in self.contract.field_names(t))
            for t in self.contract.event_types
        }
        return (
            f"case {col('v', 'event_type')} "
            + " ".join(
                f"when {lit(t)} then case when len(_keys) > {present[t]} "
                f"then list_filter(_keys, lambda k: not list_contains({lst}, k)) else [] end"
                for t, lst in known.items()
            )
            + " end"
        )

    def _reason_ctes(self, source_file: str) -> str:
        """The first failing reason in contract order, and the columns kept of each line."""
        reasons = self.reason_exprs()
        reason_code = "case " + " ".join(f"when {c} then {lit(r)}" for r, c, _ in reasons) + " end"
        reason_field = "case " + " ".join(f"when {c} then {f}" for _, c, f in reasons) + " end"
        value_cols = ", ".join(col("v", n) for n in self.names)
        return f"""reasoned as (
  select
    line_number,
    raw_line,
    _doc,
    _ok_json,
    _keys,
    {value_cols},
    {reason_code} as reason_code,
    {reason_field} as reason_field,
    {self._extra_keys_expr()} as _extra_keys
  from field_checks
),
final as (
  select
    line_number,
    {lit(source_file)} as source_file,
    -- the original line is only needed where it is kept as is: quarantine
    case when reason_code is not null then raw_line end as raw_line,
    -- the JSON judged (see _parse_ctes), for the messages of rejected lines
    case when reason_code is not null and _ok_json then _doc end as _json,
    reason_code,
    reason_field,
    {value_cols},
    case when reason_code is null then _extra_keys end as _extra_keys,
    false as _is_duplicate,  -- set afterwards from duplicates_sql (a few rows: an update)
    -- fields the contract does not name, as landed (looked up by JSON pointer)
    case when reason_code is null and len(_extra_keys) > 0 then to_json(map(
      list_distinct(_extra_keys),
      list_transform(list_distinct(_extra_keys), lambda k: json_extract(_doc,
        '/' || replace(replace(k, '~', '~0'), '/', '~1')))
    )) end as _extra_json
  from reasoned
)
"""

    def duplicates_sql(self) -> str:
        """Line numbers of the valid lines of `checked` whose event_id was accepted before: in
        an earlier file, or on a lower line of this one (the first received is kept). A hash
        aggregate over two columns, not a window over the wide table."""
        existing = " union all ".join(
            f"select event_id from {self.contract.raw_table(t)}" for t in self.contract.event_types
        )
        event_id = col("v", "event_id")
        return f"""
with valid as (
  select line_number, {event_id} as event_id from checked where reason_code is null
),
firsts as (
  select event_id, min(line_number) as first_line from valid group by event_id
),
existing as (
  {existing}
),
-- the file's ids that are already loaded: a semi join builds its hash table on this file's
-- ids, not on every id of the warehouse (which only grows)
seen as (
  select distinct e.event_id from existing as e semi join firsts as f on e.event_id = f.event_id
),
final as (
  select v.line_number
  from valid as v
  inner join firsts as f on v.event_id = f.event_id
  left join seen as s on v.event_id = s.event_id
  where v.line_number <> f.first_line or s.event_id is not null
)
select * from final
"""

    def message_sql(self) -> str:
        """reason_message for rejected rows of the checked table (aliased `c`)."""
        return message_sql(self.contract, self.specs)

    def insert_accepted(
        self, event_type: str, source: str, file_line: str, meta: str, order_by: str = ""
    ) -> str:
        """INSERT of the accepted lines of EVENT_TYPE from SOURCE (checked lines aliased `c`)
        into their raw table; FILE_LINE gives `_source_file, _line_number`, META `_load_id,
        _ingested_at` (one statement for the ingest and the replay)."""
        names = self.contract.field_names(event_type)
        cols = ", ".join(f'"{n}"' for n in names)
        vals = ", ".join(f"c.{col('v', n)}" for n in names)
        order = f" order by {order_by}" if order_by else ""
        return f"""insert into {self.contract.raw_table(event_type)}
            ({cols}, _extra_fields, _source_file, _line_number, _load_id, _ingested_at)
            select {vals}, c._extra_json, {file_line}, {meta}
            from {source}
            where {ACCEPTED} and c.{col("v", "event_type")} = {sql_str(event_type)}{order}"""
