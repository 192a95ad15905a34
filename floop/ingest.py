"""`floop ingest`: load new landing files into the raw schema, nothing lost.

Every line of every new file ends in exactly one place: its event table (accepted),
`raw.duplicate_events` (an `event_id` accepted before) or `raw.quarantine` (rejected, with one
reason code from the contract). The checks are SQL generated from the contract
(`floop.contract`) and run by DuckDB over the whole file at once: there is no Python loop over
events. Each file loads in one transaction, so a killed run leaves no half-loaded file and a
re-run loads it exactly once.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from floop import quality as quality_checks
from floop.contract import RAW_SCHEMA, Contract, FieldSpec, load_contract
from floop.landing import file_format
from floop.sql import sql_str as _sql_str
from floop.warehouse import connect, ensure_raw_schema


class IngestError(Exception):
    """Raised inside ingest for operational failures; `main` turns it into exit code 2."""


@dataclass
class FileResult:
    path: str
    file_format: str
    lines: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    unknown_fields: dict[str, int] = field(default_factory=dict)
    accepted_by_type: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    changed: bool = False  # same path loaded before with other content

    def line(self) -> str:
        text = (
            f"{self.path}: {self.lines} lines, {self.accepted} accepted, "
            f"{self.duplicate} duplicate, {self.rejected} rejected"
        )
        if self.rejected_by_reason:
            text += " (" + ", ".join(f"{k} {v}" for k, v in self.rejected_by_reason.items()) + ")"
        return text


@dataclass
class IngestResult:
    load_id: str
    landing: Path
    warehouse: Path
    now: datetime
    files: list[FileResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already loaded, same checksum
    quality: Any = None  # floop.quality.QualityResult when GX ran

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def duplicate(self) -> int:
        return sum(f.duplicate for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def _summed(self, attr: str) -> dict[str, int]:
        """A per-file count dict summed over the run's files, largest first."""
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(getattr(f, attr))
        return dict(total.most_common())

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        return self._summed("rejected_by_reason")

    @property
    def unknown_fields(self) -> dict[str, int]:
        return self._summed("unknown_fields")

    @property
    def accepted_by_type(self) -> dict[str, int]:
        return self._summed("accepted_by_type")


# --------------------------------------------------------------------------------------------
# SQL generation from the contract


def _lit(value: Any) -> str:
    """A SQL literal for a contract value (strings quoted, numbers as is)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _col(prefix: str, name: str) -> str:
    return f'"{prefix}__{name}"'


def _field_specs(contract: Contract) -> dict[str, FieldSpec]:
    """Every field name of the contract with its spec; a name must mean one type everywhere."""
    specs: dict[str, FieldSpec] = {}
    for event_type in contract.event_types:
        for spec in contract.fields(event_type):
            seen = specs.get(spec.name)
            if seen is not None and seen.type != spec.type:
                raise ValueError(f"field {spec.name!r} has two types in the contract")
            specs.setdefault(spec.name, spec)
    return specs


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "timestamp": "a string (RFC 3339 timestamp)",
    "string_list": "a list of strings",
}


# The JSON kind of a fragment from json_transform (minified, never JSON null) is the code of its
# first character: one integer per field instead of a parser call or a type-name string.
_KIND_SQL: dict[str, str] = {
    "string": "= 34",  # "
    "array": "= 91",  # [
    "object": "= 123",  # {
    "boolean": "in (102, 116)",  # f, t
    "number": "not in (34, 91, 123, 102, 116)",  # - or a digit
}


def _kind_of(j: str) -> str:
    return f"ascii({j}::varchar)"


def _is(t: str, kind: str) -> str:
    """SQL boolean: kind code `t` is `kind` (NULL when the field is absent or null)."""
    return f"{t} {_KIND_SQL[kind]}"


def _has_fraction(j: str) -> str:
    """A JSON number fragment written with a fraction or exponent (JSON has one number type)."""
    return f"(contains({j}, '.') or contains({j}, 'e') or contains({j}, 'E'))"


# A minified JSON array whose elements are all strings.
_STRING_ARRAY_RE = r'\[("(?:[^"\\]|\\.)*"(?:,"(?:[^"\\]|\\.)*")*)?\]'


class CheckSQL:
    """The generated SQL of the checks: one SELECT over `(line_number, raw_line)` rows.

    Each object line is parsed once into a struct of every contract field as a JSON fragment
    `j`; its kind `t` (from the first character) says whether the type is right, and only
    then is the typed value `v` taken from it. Absent and JSON null are both SQL NULL."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.specs = _field_specs(contract)
        self.names = list(self.specs)

    # --- per-field expressions over fragment j, its kind t and typed value v ---------------

    def value_expr(self, spec: FieldSpec) -> str:
        """The typed value of a field; NULL when absent, null or of the wrong type. Numbers
        are cast from the fragment text (DuckDB's number parser)."""
        j, t = _col("j", spec.name), _col("t", spec.name)
        text = f"({j} ->> '$')"
        if spec.type == "string":
            return f"case when {_is(t, 'string')} then {text} end"
        if spec.type == "integer":
            # Integral doubles (e.g. 164.0) count as integers: JSON has one number type.
            # NULL when the integer does not fit 64 bits (then: wrong_type).
            return (
                f"case when {_is(t, 'number')} and not {_has_fraction(j)} "
                f"then try_cast({j}::varchar as bigint) "
                f"when {_is(t, 'number')} and {j}::varchar::double = trunc({j}::varchar::double) "
                f"and abs({j}::varchar::double) < 9.2e18 then {j}::varchar::double::bigint end"
            )
        if spec.type == "number":
            return f"case when {_is(t, 'number')} then {j}::varchar::double end"
        if spec.type == "boolean":
            return f"case when {_is(t, 'boolean')} then {j}::varchar = 'true' end"
        if spec.type == "timestamp":
            # Pattern first (explicit offset required), then a real calendar check by the cast;
            # the session time zone is UTC, so ::timestamp is the naive UTC instant.
            pattern = _lit(self.contract.timestamp_pattern)
            return (
                f"case when {_is(t, 'string')} and regexp_full_match({text}, {pattern}) "
                f"then try_cast(upper({text}) as timestamptz)::timestamp end"
            )
        if spec.type == "string_list":
            return f"case when {_is(t, 'array')} then from_json({j}, '[\"VARCHAR\"]') end"
        raise ValueError(f"unknown contract type {spec.type!r}")

    def type_ok_expr(self, spec: FieldSpec) -> str:
        t, v, j = _col("t", spec.name), _col("v", spec.name), _col("j", spec.name)
        if spec.type in ("string", "timestamp"):
            return _is(t, "string")
        if spec.type == "integer":
            return f"{v} is not null"
        if spec.type == "number":
            return _is(t, "number")
        if spec.type == "boolean":
            return _is(t, "boolean")
        if spec.type == "string_list":
            return f"{_is(t, 'array')} and regexp_full_match({j}, {_lit(_STRING_ARRAY_RE)})"
        raise ValueError(spec.type)

    def required_expr(self, spec: FieldSpec) -> str | None:
        """When the field is required (SQL boolean), or None when it never is."""
        if spec.required:
            return "true"
        rule = spec.required_when
        if not rule:
            return None
        other = rule["field"]
        if rule.get("nonempty"):
            t, j = _col("t", other), _col("j", other)
            return f"({_is(t, 'array')} and {j} <> '[]')"
        if rule.get("present"):
            return f"{_col('t', other)} is not null"
        if "equals" in rule:
            return f"{_col('v', other)} = {_lit(rule['equals'])}"
        raise ValueError(f"unknown required_when rule {rule!r}")

    def enum_fail_expr(self, spec: FieldSpec) -> str | None:
        v = _col("v", spec.name)
        parts = []
        if spec.enum and spec.name != "event_type":  # event_type: unknown_event_type instead
            allowed = ", ".join(_lit(x) for x in self.contract.enums[spec.enum])
            if spec.type == "string_list":
                parts.append(f"len(list_filter({v}, lambda x: x not in ({allowed}))) > 0")
            else:
                parts.append(f"{v} not in ({allowed})")
        if spec.pattern:
            pat = _lit(spec.pattern)
            if spec.type == "string_list":
                bad = f"list_filter({v}, lambda x: not regexp_full_match(x, {pat}))"
                parts.append(f"len({bad}) > 0")
            else:
                parts.append(f"not regexp_full_match({v}, {pat})")
        return " or ".join(f"({p})" for p in parts) if parts else None

    @staticmethod
    def _range(v: str, rule: dict[str, Any]) -> str:
        conds = []
        if "in" in rule:
            conds.append(f"{v} not in ({', '.join(_lit(float(x)) for x in rule['in'])})")
        if rule.get("min") is not None:
            conds.append(f"{v} < {_lit(float(rule['min']))}")
        if rule.get("max") is not None:
            conds.append(f"{v} > {_lit(float(rule['max']))}")
        return " or ".join(conds) if conds else "false"

    def range_fail_expr(self, spec: FieldSpec) -> str | None:
        v = _col("v", spec.name)
        parts = []
        if spec.min is not None or spec.max is not None:
            parts.append(self._range(v, {"min": spec.min, "max": spec.max}))
        if spec.values_by:
            ctrl = _col("v", spec.values_by["field"])
            whens = " ".join(
                f"when {_lit(val)} then {self._range(v, rule)}"
                for val, rule in spec.values_by["rules"].items()
            )
            parts.append(f"case {ctrl} {whens} else false end")
        return " or ".join(f"({p})" for p in parts) if parts else None

    def check_fail_expr(self, code: str, spec: FieldSpec, now: datetime) -> str | None:
        """SQL boolean: this field fails check `code` (NULL counts as not failing)."""
        t, v = _col("t", spec.name), _col("v", spec.name)
        if code == "missing_required":
            req = self.required_expr(spec)
            return None if req is None else f"{t} is null and {req}"
        if code == "wrong_type":
            return f"{t} is not null and not ({self.type_ok_expr(spec)})"
        if code == "bad_enum":
            return self.enum_fail_expr(spec)
        if code == "out_of_range":
            return self.range_fail_expr(spec)
        if code == "bad_timestamp" and spec.type == "timestamp":
            return f"{_is(t, 'string')} and {v} is null"
        if code == "future_timestamp" and spec.type == "timestamp":
            hours = self.contract.max_future_hours
            limit = f"timestamp '{now.isoformat(sep=' ')}' + interval ({hours}) hour"
            return f"{v} > {limit}"
        return None

    def per_type_field_check(self, code: str, now: datetime) -> str:
        """The first field (contract order) of the line's event type failing `code`, or NULL."""
        branches = []
        for event_type in self.contract.event_types:
            whens = []
            for spec in self.contract.fields(event_type):
                cond = self.check_fail_expr(code, spec, now)
                if cond:
                    whens.append(f"when {cond} then {_lit(spec.name)}")
            if whens:
                branches.append(f"when {_lit(event_type)} then case {' '.join(whens)} end")
        if code == "missing_required":
            # Without a known event type only the always-required envelope can be judged.
            whens = [
                f"when {_col('t', s.name)} is null then {_lit(s.name)}"
                for s in self.specs.values()
                if s.envelope and s.required
            ]
            fallback = f"case {' '.join(whens)} end"
            return f"case {_col('v', 'event_type')} {' '.join(branches)} else {fallback} end"
        if not branches:
            return "null"
        return f"case {_col('v', 'event_type')} {' '.join(branches)} end"

    def reason_exprs(self, now: datetime) -> list[tuple[str, str, str]]:
        """(reason code, SQL boolean 'fails', SQL field name or NULL) in contract order."""
        sv_t, sv_v = _col("t", "schema_version"), _col("v", "schema_version")
        et_t, et_v = _col("t", "event_type"), _col("v", "event_type")
        event_types = ", ".join(_lit(x) for x in self.contract.event_types)
        out = []
        for code in self.contract.reason_codes:
            if code == "invalid_json":
                out.append((code, "not _ok_json", "null"))
            elif code == "not_an_object":
                out.append((code, "not _is_object", "null"))
            elif code == "unsupported_schema_version":
                pat = _lit(self.contract.schema_version_pattern)
                cond = f"{_is(sv_t, 'string')} and not regexp_full_match({sv_v}, {pat})"
                out.append((code, cond, "'schema_version'"))
            elif code == "unknown_event_type":
                cond = (
                    f"{et_t} is not null and (not {_is(et_t, 'string')} "
                    f"or {et_v} not in ({event_types}))"
                )
                out.append((code, cond, "'event_type'"))
            elif code in (
                "missing_required",
                "wrong_type",
                "bad_enum",
                "out_of_range",
                "bad_timestamp",
                "future_timestamp",
            ):
                col = f'"_f_{code}"'
                out.append((code, f"{col} is not null", col))
            else:
                raise ValueError(f"no check implemented for reason code {code!r}")
        return out

    def checked_select(self, source_sql: str, now: datetime, source_file: str) -> str:
        """One SELECT: every line with its typed fields and reason (NULL when valid)."""
        struct = "{" + ", ".join(f'"{n}": "JSON"' for n in self.names) + "}"
        extract = ",\n    ".join(f'_f."{n}" as {_col("j", n)}' for n in self.names)
        types = ",\n    ".join(f"{_kind_of(_col('j', n))} as {_col('t', n)}" for n in self.names)
        values = ",\n    ".join(
            f"{self.value_expr(s)} as {_col('v', n)}" for n, s in self.specs.items()
        )
        field_checks = ",\n    ".join(
            f'{self.per_type_field_check(code, now)} as "_f_{code}"'
            for code in (
                "missing_required",
                "wrong_type",
                "bad_enum",
                "out_of_range",
                "bad_timestamp",
                "future_timestamp",
            )
        )
        reasons = self.reason_exprs(now)
        reason_code = "case " + " ".join(f"when {c} then {_lit(r)}" for r, c, _ in reasons) + " end"
        reason_field = "case " + " ".join(f"when {c} then {f}" for _, c, f in reasons) + " end"
        known = {
            t: "[" + ", ".join(_lit(n) for n in self.contract.field_names(t)) + "]"
            for t in self.contract.event_types
        }
        # Fast path: when the line has no more keys than contract fields present (non-null)
        # for its type, nothing is unknown; only other lines filter their key list.
        present = {
            t: " + ".join(
                f"({_col('j', n)} is not null)::int" for n in self.contract.field_names(t)
            )
            for t in self.contract.event_types
        }
        extra_keys = (
            f"case {_col('v', 'event_type')} "
            + " ".join(
                f"when {_lit(t)} then case when len(_keys) > {present[t]} "
                f"then list_filter(_keys, lambda k: not list_contains({lst}, k)) else [] end"
                for t, lst in known.items()
            )
            + " end"
        )
        value_cols = ", ".join(_col("v", n) for n in self.names)
        return f"""
with src as (
  {source_sql}
),
parsed as (
  select
    line_number,
    raw_line,
    json_valid(raw_line) as _ok_json
  from src
),
shaped as (
  select
    *,
    -- ltrim copies the line: only for the rare line that does not start with {{ itself
    _ok_json and case when starts_with(raw_line, '{{') then true
      else starts_with(ltrim(raw_line, ' ' || chr(9) || chr(13) || chr(10)), '{{') end
      as _is_object
  from parsed
),
extracted as (
  -- (not try(json_keys) instead of json_valid: try() evaluates a whole vector row by row
  -- when one line fails, 4x slower on a file with 1% broken lines)
  select
    line_number, raw_line, _ok_json, _is_object,
    case when _is_object then json_keys(raw_line) end as _keys,
    case when _is_object then json_transform(raw_line, '{struct}') end as _f
  from shaped
),
fragments as (
  select
    line_number, raw_line, _ok_json, _is_object, _keys,
    {extract}
  from extracted
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
reasoned as (
  select
    line_number,
    raw_line,
    _keys,
    {value_cols},
    {reason_code} as reason_code,
    {reason_field} as reason_field,
    {extra_keys} as _extra_keys
  from field_checks
),
final as (
  select
    line_number,
    {_lit(source_file)} as source_file,
    -- the original line is only needed where it is kept as is: quarantine
    case when reason_code is not null then raw_line end as raw_line,
    reason_code,
    reason_field,
    {value_cols},
    case when reason_code is null then _extra_keys end as _extra_keys,
    false as _is_duplicate,  -- set afterwards from duplicates_sql (a few rows: an update)
    -- fields the contract does not name, as landed (looked up by JSON pointer)
    case when reason_code is null and len(_extra_keys) > 0 then to_json(map(
      list_distinct(_extra_keys),
      list_transform(list_distinct(_extra_keys), lambda k: json_extract(raw_line,
        '/' || replace(replace(k, '~', '~0'), '/', '~1')))
    )) end as _extra_json
  from reasoned
)
select * from final
"""

    def duplicates_sql(self) -> str:
        """Line numbers of the valid lines of `checked` whose event_id was accepted before: in
        an earlier file, or on a lower line of this one (the first received is kept). A hash
        aggregate over two columns, not a window over the wide table."""
        existing = " union all ".join(
            f"select event_id from {self.contract.raw_table(t)}" for t in self.contract.event_types
        )
        event_id = _col("v", "event_id")
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
        val = "coalesce(left(json_extract(c._json, '/' || c.reason_field)::varchar, 200), '')"
        expected = (
            "case c.reason_field "
            + " ".join(
                f"when {_lit(n)} then {_lit(_TYPE_WORDS[s.type])}" for n, s in self.specs.items()
            )
            + " end"
        )
        enum_desc_parts = []
        range_desc_parts = []
        for n, s in self.specs.items():
            desc = []
            if s.enum:
                desc.append("allowed: " + ", ".join(self.contract.enums[s.enum]))
            if s.pattern:
                desc.append(f"must match {s.pattern}")
            if desc:
                enum_desc_parts.append(f"when {_lit(n)} then {_lit('; '.join(desc))}")
            if s.min is not None or s.max is not None:
                rng = " and ".join(
                    x
                    for x in (
                        f">= {s.min:g}" if s.min is not None else "",
                        f"<= {s.max:g}" if s.max is not None else "",
                    )
                    if x
                )
                range_desc_parts.append(f"when {_lit(n)} then {_lit('must be ' + rng)}")
            elif s.values_by:
                ctrl = s.values_by["field"]
                whens = []
                for value, rule in s.values_by["rules"].items():
                    if "in" in rule:
                        desc_r = "one of " + ", ".join(f"{x:g}" for x in rule["in"])
                    else:
                        desc_r = " and ".join(
                            x
                            for x in (
                                f">= {rule['min']:g}" if "min" in rule else "",
                                f"<= {rule['max']:g}" if "max" in rule else "",
                            )
                            if x
                        )
                    whens.append(
                        f"when {_lit(value)} then {_lit(f'must be {desc_r} for {ctrl} {value}')}"
                    )
                range_desc_parts.append(
                    f"when {_lit(n)} then case json_extract_string(c._json, '/{ctrl}') "
                    f"{' '.join(whens)} end"
                )
        enum_desc = (
            "case c.reason_field " + " ".join(enum_desc_parts) + " end" if enum_desc_parts else "''"
        )
        range_desc = (
            "case c.reason_field " + " ".join(range_desc_parts) + " end"
            if range_desc_parts
            else "''"
        )
        hours = f"{self.contract.max_future_hours:g}"
        event_type = _col("v", "event_type")
        return f"""case c.reason_code
  when 'invalid_json' then case when trim(c.raw_line, ' ' || chr(9) || chr(13)) = ''
    then 'empty line (not valid JSON)' else 'line is not valid JSON' end
  when 'not_an_object' then 'line is valid JSON but not an object'
  when 'unsupported_schema_version' then 'schema_version ' || {val}
    || ' is not supported (accepted: "1" or "1.x")'
  when 'unknown_event_type' then 'unknown event_type ' || {val}
  when 'missing_required' then 'missing required field ''' || c.reason_field || ''''
    || coalesce(' for event_type ''' || c.{event_type} || '''', '')
  when 'wrong_type' then 'field ''' || c.reason_field || ''' must be ' || {expected}
    || ', got ' || {val}
  when 'bad_enum' then 'field ''' || c.reason_field || ''' value ' || {val}
    || ' is not allowed (' || coalesce({enum_desc}, '') || ')'
  when 'out_of_range' then 'field ''' || c.reason_field || ''' value ' || {val}
    || ' is out of range (' || coalesce({range_desc}, '') || ')'
  when 'bad_timestamp' then 'field ''' || c.reason_field || ''' value ' || {val}
    || ' is not an RFC 3339 timestamp with offset'
  when 'future_timestamp' then 'field ''' || c.reason_field || ''' value ' || {val}
    || ' is more than {hours} hours after now'
end"""


# --------------------------------------------------------------------------------------------
# Files


def list_landing(landing: Path) -> list[Path]:
    """Every landing file under `landing`, recursively, sorted by path (determinism)."""
    files = [p for p in landing.rglob("*") if p.is_file() and file_format(p)]
    return sorted(files, key=lambda p: p.as_posix())


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _text_lines_sql(path: Path) -> str:
    """(line_number, raw_line) of a text file: exact 1-based line numbers; a trailing newline
    does not make an extra line. A CR before the LF stays (JSON whitespace: CRLF files parse)."""
    return f"""
  select line_number, raw_line
  from (
    select
      unnest(generate_series(1, len(parts))) as line_number,
      unnest(parts) as raw_line,
      len(parts) as n_parts
    from (select string_split(content, chr(10)) as parts from read_text({_sql_str(str(path))}))
  )
  where not (line_number = n_parts and raw_line = '')"""


def _parquet_lines_sql(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """(line_number, raw_line) of a Parquet file: each row as JSON text, line = row + 1.
    Timestamp columns become RFC 3339 text in UTC (naive ones are taken as UTC)."""
    src = f"read_parquet({_sql_str(str(path))}, file_row_number = true)"
    cols = con.execute(f"describe select * from read_parquet({_sql_str(str(path))})").fetchall()
    parts = []
    for name, col_type, *_ in cols:
        ident = '"' + name.replace('"', '""') + '"'
        expr = ident
        if col_type.startswith("TIMESTAMP"):
            expr = f"strftime({ident}, '%Y-%m-%dT%H:%M:%S.%fZ')"
        parts.append(f"{ident} := {expr}")  # struct_pack takes identifiers, not strings
    row = f"to_json(struct_pack({', '.join(parts)}))::varchar" if parts else "'{}'"
    return f"select file_row_number + 1 as line_number, {row} as raw_line from {src}"


# --------------------------------------------------------------------------------------------
# Loading


def _lines_from_broken_utf8(con: duckdb.DuckDBPyConnection, path: Path, tmpdir: Path) -> None:
    """temp.lines of a text file that is not valid UTF-8 (rare: read_text refuses it). Bytes
    that do not decode become U+FFFD, and each such line is marked invalid (a leading U+FFFD
    makes it invalid JSON), so it is quarantined as invalid_json instead of accepted with
    altered text. A line loop in Python, but only for such broken files."""
    fixed = tmpdir / (uuid.uuid4().hex + ".jsonl")
    with open(path, "rb") as src, open(fixed, "w", encoding="utf-8", newline="") as dst:
        for raw in src:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = "\ufffd" + raw.decode("utf-8", errors="replace")
            dst.write(text)
    con.execute("create temp table lines as " + _text_lines_sql(fixed))


def _is_no_space(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or (
        "No space left on device" in str(exc)
    )


def _load_file(
    con: duckdb.DuckDBPyConnection,
    checks: CheckSQL,
    path: Path,
    fmt: str,
    size: int,
    sha: str,
    load_id: str,
    now: datetime,
    stamp: datetime,
    tmpdir: Path,
    repair_utf8: bool = False,
) -> FileResult:
    """Load one file in one transaction (the caller has begun it). `repair_utf8`: the file
    is not valid UTF-8 (read_text refused it in a first attempt)."""
    contract = checks.contract
    started = time.perf_counter()
    source_file = path.as_posix()
    result = FileResult(path=source_file, file_format=fmt)
    if fmt == "parquet":
        source_sql = _parquet_lines_sql(con, path)
    else:
        text_path = path
        if fmt.endswith(".gz"):
            # read_text does not decompress: stream it to a temp file (no full copy in memory).
            text_path = tmpdir / (uuid.uuid4().hex + ".jsonl")
            with gzip.open(path, "rb") as src, open(text_path, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        source_sql = _text_lines_sql(text_path)

    # Lines first, into a table: the checks then scan it in parallel (read_text is one row).
    con.execute("drop table if exists temp.lines")
    if repair_utf8 and fmt != "parquet":
        _lines_from_broken_utf8(con, text_path, tmpdir)
    else:
        con.execute("create temp table lines as " + source_sql)
    con.execute("drop table if exists temp.checked")
    con.execute(
        "create temp table checked as "
        + checks.checked_select("select line_number, raw_line from temp.lines", now, source_file)
    )
    con.execute("drop table temp.lines")
    con.execute("drop table if exists temp.dups")
    con.execute("create temp table dups as " + checks.duplicates_sql())
    ingested_at = f"timestamp '{stamp.isoformat(sep=' ')}'"
    meta = f"{_sql_str(load_id)}, {ingested_at}"
    con.execute(
        "update checked set _is_duplicate = true "
        "where line_number in (select line_number from dups)"
    )
    dup_where = "c._is_duplicate"
    accepted_where = f"c.reason_code is null and not {dup_where}"
    for event_type in contract.event_types:
        names = contract.field_names(event_type)
        cols = ", ".join(f'"{n}"' for n in names)
        vals = ", ".join(f"c.{_col('v', n)}" for n in names)
        con.execute(
            f"""insert into {contract.raw_table(event_type)}
            ({cols}, _extra_fields, _source_file, _line_number, _load_id, _ingested_at)
            select {vals}, c._extra_json, c.source_file, c.line_number, {meta}
            from checked c
            where {accepted_where} and c.{_col("v", "event_type")} = {_sql_str(event_type)}"""
        )
    con.execute(
        f"""insert into {RAW_SCHEMA}.quarantine
        (load_id, source_file, line_number, raw_line, reason_code, reason_field, reason_message,
         event_type, event_id, ingested_at)
        select {_sql_str(load_id)}, c.source_file, c.line_number, c.raw_line, c.reason_code,
          c.reason_field, {checks.message_sql()},
          json_extract_string(c._json, '/event_type'), json_extract_string(c._json, '/event_id'),
          {ingested_at}
        from (select *, case when json_valid(raw_line) then raw_line end as _json from checked
              where reason_code is not null) c
        order by c.line_number"""
    )
    con.execute(
        f"""insert into {RAW_SCHEMA}.duplicate_events
        (load_id, source_file, line_number, event_id, event_type, event_timestamp, ingested_at)
        select {_sql_str(load_id)}, c.source_file, c.line_number, c.{_col("v", "event_id")},
          c.{_col("v", "event_type")}, c.{_col("v", "timestamp")}, {ingested_at}
        from checked c where {dup_where}
        order by c.line_number"""
    )
    con.execute(
        f"""insert into {RAW_SCHEMA}.unknown_fields
        (load_id, source_file, event_type, field_name, events)
        select {_sql_str(load_id)}, source_file, event_type, field_name, count(*)
        from (
          select c.source_file, c.{_col("v", "event_type")} as event_type,
            unnest(list_distinct(c._extra_keys)) as field_name
          from checked c where {accepted_where} and len(c._extra_keys) > 0
        )
        group by all
        order by all"""
    )
    counts = con.execute(
        """select
          count(*),
          count(*) filter (where c.reason_code is null) - (select count(*) from dups),
          (select count(*) from dups),
          count(*) filter (where c.reason_code is not null)
        from checked c"""
    ).fetchone()
    assert counts is not None
    result.lines, result.accepted, result.duplicate, result.rejected = (int(x) for x in counts)
    if result.lines != result.accepted + result.duplicate + result.rejected:
        # Would be a bug in the generated SQL; never commit a file that does not add up.
        raise RuntimeError(f"{source_file}: counts do not add up {counts}")
    result.rejected_by_reason = dict(
        con.execute(
            "select reason_code, count(*) from checked where reason_code is not null "
            "group by 1 order by 2 desc, 1"
        ).fetchall()
    )
    result.accepted_by_type = dict(
        con.execute(
            f"select c.{_col('v', 'event_type')}, count(*) from checked c where {accepted_where} "
            "group by 1 order by 2 desc, 1"
        ).fetchall()
    )
    result.unknown_fields = dict(
        con.execute(
            f"""select event_type || '.' || field_name, sum(events)::bigint
            from {RAW_SCHEMA}.unknown_fields
            where load_id = ? and source_file = ? group by 1 order by 2 desc, 1""",
            [load_id, source_file],
        ).fetchall()
    )
    result.seconds = time.perf_counter() - started
    con.execute(
        f"""insert into {RAW_SCHEMA}.ingest_ledger
        (load_id, file_path, file_format, file_size_bytes, sha256, lines, accepted, duplicate,
         rejected, ingested_at, duration_ms)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, {ingested_at}, ?)""",
        [
            load_id,
            source_file,
            fmt,
            size,
            sha,
            result.lines,
            result.accepted,
            result.duplicate,
            result.rejected,
            round(result.seconds * 1000, 1),
        ],
    )
    con.execute("drop table temp.checked")
    con.execute("drop table temp.dups")
    return result


def _open_warehouse(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:
        con = connect(warehouse)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise IngestError(
                f"warehouse {warehouse} is in use by another writer (could not set lock); "
                "try again when it has finished"
            ) from exc
        if _is_no_space(exc):
            raise IngestError(f"no space left on device opening {warehouse}") from exc
        raise IngestError(f"cannot open warehouse {warehouse}: {exc}") from exc
    con.execute("set TimeZone = 'UTC'")  # naive UTC timestamps: the cast relies on it
    # A file's large insert is written to disk as new row groups at commit; the checkpoint's
    # vacuum would then merge the previous file's partly filled last row group with them,
    # compressing every row a second time (~30% of the insert CPU at 1M events). Without it a
    # raw table keeps at most one partly filled row group per large file (small files fill
    # the last group as usual). Only this connection's checkpoints are affected.
    con.execute("set max_vacuum_tasks = 0")
    return con


def ingest(
    landing: Path,
    warehouse: Path,
    now: datetime,
    progress: bool = False,
    quality: bool = True,
) -> IngestResult:
    """Load every landing file not loaded before. Raises `floop.cli.OperationalError` for
    failures of the run itself (folder missing, warehouse locked, disk full)."""
    from floop.errors import OperationalError

    landing = Path(landing).resolve()
    warehouse = Path(warehouse)
    if not landing.is_dir():
        raise OperationalError(f"landing folder {landing} does not exist")
    contract = load_contract()
    checks = CheckSQL(contract)
    result = IngestResult(
        load_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        landing=landing,
        warehouse=warehouse,
        now=now,
    )
    files = list_landing(landing)
    try:
        con = _open_warehouse(warehouse)
    except IngestError as exc:
        raise OperationalError(str(exc)) from exc
    # Checksums of the next files are computed in a thread while DuckDB loads the current one
    # (hashlib and DuckDB both release the GIL): the hashing costs no wall time after file 1.
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floop-sha256")
    try:
        checksums = [hasher.submit(sha256_of, path) for path in files]
        ensure_raw_schema(con)
        loaded: dict[str, set[str]] = {}
        for path_s, sha in con.execute(
            f"select file_path, sha256 from {RAW_SCHEMA}.ingest_ledger"
        ).fetchall():
            loaded.setdefault(path_s, set()).add(sha)
        # Each load's stamp is strictly after every earlier load's, even when --now repeats or
        # goes backwards (a backfill of an older day): incremental dbt models pick up new rows
        # by `ingested_at > watermark`. `now` still judges future timestamps.
        last_stamp = con.execute(
            f"select max(ingested_at) from {RAW_SCHEMA}.ingest_ledger"
        ).fetchone()[0]
        stamp = now if last_stamp is None else max(now, last_stamp + timedelta(microseconds=1))
        with tempfile.TemporaryDirectory(prefix="floop-ingest-") as tmp:
            for i, path in enumerate(files, start=1):
                fmt = file_format(path)
                assert fmt is not None
                key = path.as_posix()
                sha = checksums[i - 1].result()
                if sha in loaded.get(key, set()):
                    result.skipped.append(key)
                    continue
                changed = key in loaded
                if changed and progress:
                    print(
                        f"warning: {key} was loaded before with other content; "
                        "loading it as a new file",
                        file=sys.stderr,
                    )
                for repair_utf8 in (False, True):
                    con.begin()
                    try:
                        fr = _load_file(
                            con,
                            checks,
                            path,
                            fmt,
                            path.stat().st_size,
                            sha,
                            result.load_id,
                            now,
                            stamp,
                            Path(tmp),
                            repair_utf8,
                        )
                        con.commit()
                        break
                    except duckdb.InvalidInputException as exc:
                        con.rollback()
                        if repair_utf8 or "UTF-8" not in str(exc):
                            raise
                    except BaseException:
                        con.rollback()
                        raise
                fr.changed = changed
                loaded.setdefault(key, set()).add(sha)
                result.files.append(fr)
                if progress:
                    print(
                        f"[{i}/{len(files)} files] {fr.line()} [{fr.seconds:.1f}s]", file=sys.stderr
                    )
        if quality and result.accepted > 0:
            result.quality = quality_checks.validate_load(
                con, result.load_id, result.warehouse, result.now
            )
    except (OSError, duckdb.Error) as exc:
        if _is_no_space(exc):
            raise OperationalError(f"no space left on device: {exc}") from exc
        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            raise OperationalError(f"warehouse {warehouse} is locked: {exc}") from exc
        raise
    finally:
        hasher.shutdown(wait=True, cancel_futures=True)
        con.close()
    return result


def format_summary(result: IngestResult) -> str:
    out = []
    for fr in result.files:
        out.append(("changed content, loaded as new: " if fr.changed else "") + fr.line())
    if result.skipped:
        out.append(f"{len(result.skipped)} file(s) already loaded, skipped")
    out.append(
        f"total: {len(result.files)} file(s), {result.lines} lines, {result.accepted} accepted, "
        f"{result.duplicate} duplicate, {result.rejected} rejected"
    )
    if result.accepted_by_type:
        out.append(
            "  accepted by type: "
            + ", ".join(f"{k} {v}" for k, v in result.accepted_by_type.items())
        )
    if result.rejected_by_reason:
        out.append(
            "  rejected by reason: "
            + ", ".join(f"{k} {v}" for k, v in result.rejected_by_reason.items())
        )
    if result.unknown_fields:
        out.append(
            "  unknown fields (kept in _extra_fields): "
            + ", ".join(f"{k} {v}" for k, v in result.unknown_fields.items())
        )
    if result.quality is not None:
        out.extend(result.quality.summary_lines())
    return "\n".join(out)


def main(landing: Path, warehouse: Path, now: datetime, quiet: bool = False) -> int:
    """`floop ingest`. Exit 0 also when lines were rejected: they are data, kept in
    quarantine; operational failures raise `OperationalError` (exit 2)."""
    result = ingest(landing, warehouse, now, progress=not quiet)
    if not quiet:
        print(format_summary(result))
    return 0
