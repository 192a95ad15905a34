"""One contract field's checks as SQL expressions over the columns of the checked lines.

Each object line is parsed once into a struct of every contract field as a JSON fragment `j`;
its kind `t` (from the first character) says whether the type is right, and only then is the
typed value `v` taken from it. Absent and JSON null are both SQL NULL. The columns are named
`"j__<field>"`, `"t__<field>"` and `"v__<field>"` (see `col`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from floop.contract import Contract, FieldSpec
from floop.sql import sql_str

# The field-level reason codes, in the order their columns are computed (`"_f_<code>"`).
FIELD_CHECK_CODES = (
    "missing_required",
    "wrong_type",
    "bad_enum",
    "out_of_range",
    "bad_timestamp",
    "future_timestamp",
)


def lit(value: Any) -> str:
    """A SQL literal for a contract value (strings quoted, numbers as is)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return sql_str(str(value))


def col(prefix: str, name: str) -> str:
    """The column of field `name` in stage `prefix` (j fragment, t kind, v typed value)."""
    return f'"{prefix}__{name}"'


def field_specs(contract: Contract) -> dict[str, FieldSpec]:
    """Every field name of the contract with its spec; a name must mean one type everywhere."""
    specs: dict[str, FieldSpec] = {}
    for event_type in contract.event_types:
        for spec in contract.fields(event_type):
            seen = specs.get(spec.name)
            if seen is not None and seen.type != spec.type:
                raise ValueError(f"field {spec.name!r} has two types in the contract")
            specs.setdefault(spec.name, spec)
    return specs


# The JSON kind of a fragment from json_transform (minified, never JSON null) is the code of its
# first character: one integer per field instead of a parser call or a type-name string.
_KIND_SQL: dict[str, str] = {
    "string": "= 34",  # "
    "array": "= 91",  # [
    "object": "= 123",  # {
    "boolean": "in (102, 116)",  # f, t
    "number": "not in (34, 91, 123, 102, 116)",  # - or a digit
}


def kind_of(j: str) -> str:
    """SQL: the kind code of fragment `j` (its first character)."""
    return f"ascii({j}::varchar)"


def is_kind(t: str, kind: str) -> str:
    """SQL boolean: kind code `t` is `kind` (NULL when the field is absent or null)."""
    return f"{t} {_KIND_SQL[kind]}"


def _has_fraction(j: str) -> str:
    """A JSON number fragment written with a fraction or exponent (JSON has one number type)."""
    return f"(contains({j}, '.') or contains({j}, 'e') or contains({j}, 'E'))"


# A minified JSON array whose elements are all strings.
_STRING_ARRAY_RE = r'\[("(?:[^"\\]|\\.)*"(?:,"(?:[^"\\]|\\.)*")*)?\]'


def value_expr(spec: FieldSpec, contract: Contract) -> str:
    """The typed value of a field; NULL when absent, null or of the wrong type. Numbers are
    cast from the fragment text (DuckDB's number parser)."""
    j, t = col("j", spec.name), col("t", spec.name)
    text = f"({j} ->> '$')"
    if spec.type == "string":
        return f"case when {is_kind(t, 'string')} then {text} end"
    if spec.type == "integer":
        # Integral doubles (e.g. 164.0) count as integers: JSON has one number type.
        # NULL when the integer does not fit 64 bits (then: wrong_type).
        return (
            f"case when {is_kind(t, 'number')} and not {_has_fraction(j)} "
            f"then try_cast({j}::varchar as bigint) "
            f"when {is_kind(t, 'number')} and {j}::varchar::double = trunc({j}::varchar::double) "
            f"and abs({j}::varchar::double) < 9.2e18 then {j}::varchar::double::bigint end"
        )
    if spec.type == "number":
        # DuckDB's JSON reader takes NaN and Infinity (and 1e999 overflows to infinity): not
        # numbers in JSON, so no value (then: wrong_type); they would poison every average.
        return (
            f"case when {is_kind(t, 'number')} and isfinite({j}::varchar::double) "
            f"then {j}::varchar::double end"
        )
    if spec.type == "boolean":
        return f"case when {is_kind(t, 'boolean')} then {j}::varchar = 'true' end"
    if spec.type == "timestamp":
        # Pattern first (explicit offset required), then a real calendar check by the cast;
        # the session time zone is UTC, so ::timestamp is the naive UTC instant.
        pattern = lit(contract.timestamp_pattern)
        return (
            f"case when {is_kind(t, 'string')} and regexp_full_match({text}, {pattern}) "
            f"then case when contains({text}, ':60') then {_leap_second(text)} "
            f"else try_cast(upper({text}) as timestamptz)::timestamp end end"
        )
    if spec.type == "string_list":
        return f"case when {is_kind(t, 'array')} then from_json({j}, '[\"VARCHAR\"]') end"
    raise ValueError(f"unknown contract type {spec.type!r}")


def _leap_second(text: str) -> str:
    """A leap second (second 60; the pattern allows no other ':60'): valid in RFC 3339 only in
    the last minute of a UTC day, and stored as 23:59:59.999999 of that day (a timestamp has
    no second 60; the event keeps its date and stays before the next day's first second)."""
    at_59 = rf"try_cast(upper(regexp_replace({text}, ':60(\.[0-9]+)?', ':59')) as timestamptz)"
    return (
        f"case when strftime({at_59}::timestamp, '%H:%M:%S') = '23:59:59' "
        f"then date_trunc('second', {at_59}::timestamp) + interval 999999 microsecond end"
    )


def _type_ok_expr(spec: FieldSpec) -> str:
    t, v, j = col("t", spec.name), col("v", spec.name), col("j", spec.name)
    if spec.type in ("string", "timestamp"):
        return is_kind(t, "string")
    if spec.type == "integer":
        return f"{v} is not null"
    if spec.type == "number":
        return f"{v} is not null"
    if spec.type == "boolean":
        return is_kind(t, "boolean")
    if spec.type == "string_list":
        return f"{is_kind(t, 'array')} and regexp_full_match({j}, {lit(_STRING_ARRAY_RE)})"
    raise ValueError(spec.type)


def _required_expr(spec: FieldSpec) -> str | None:
    """When the field is required (SQL boolean), or None when it never is."""
    if spec.required:
        return "true"
    rule = spec.required_when
    if not rule:
        return None
    other = rule["field"]
    if rule.get("nonempty"):
        t, j = col("t", other), col("j", other)
        return f"({is_kind(t, 'array')} and {j} <> '[]')"
    if rule.get("present"):
        return f"{col('t', other)} is not null"
    if "equals" in rule:
        return f"{col('v', other)} = {lit(rule['equals'])}"
    raise ValueError(f"unknown required_when rule {rule!r}")


def _enum_fail_expr(spec: FieldSpec, contract: Contract) -> str | None:
    v = col("v", spec.name)
    parts = []
    if spec.enum and spec.name != "event_type":  # event_type: unknown_event_type instead
        allowed = ", ".join(lit(x) for x in contract.enums[spec.enum])
        if spec.type == "string_list":
            parts.append(f"len(list_filter({v}, lambda x: x not in ({allowed}))) > 0")
        else:
            parts.append(f"{v} not in ({allowed})")
    if spec.pattern:
        pat = lit(spec.pattern)
        if spec.type == "string_list":
            bad = f"list_filter({v}, lambda x: not regexp_full_match(x, {pat}))"
            parts.append(f"len({bad}) > 0")
        else:
            parts.append(f"not regexp_full_match({v}, {pat})")
    return " or ".join(f"({p})" for p in parts) if parts else None


def _range(v: str, rule: dict[str, Any]) -> str:
    conds = []
    if "in" in rule:
        conds.append(f"{v} not in ({', '.join(lit(float(x)) for x in rule['in'])})")
    if rule.get("min") is not None:
        conds.append(f"{v} < {lit(float(rule['min']))}")
    if rule.get("max") is not None:
        conds.append(f"{v} > {lit(float(rule['max']))}")
    return " or ".join(conds) if conds else "false"


def _range_fail_expr(spec: FieldSpec) -> str | None:
    v = col("v", spec.name)
    parts = []
    if spec.min is not None or spec.max is not None:
        parts.append(_range(v, {"min": spec.min, "max": spec.max}))
    if spec.values_by:
        ctrl = col("v", spec.values_by["field"])
        whens = " ".join(
            f"when {lit(val)} then {_range(v, rule)}"
            for val, rule in spec.values_by["rules"].items()
        )
        parts.append(f"case {ctrl} {whens} else false end")
    return " or ".join(f"({p})" for p in parts) if parts else None


def check_fail_expr(code: str, spec: FieldSpec, contract: Contract, now: datetime) -> str | None:
    """SQL boolean: this field fails check `code` (NULL counts as not failing); None when the
    check never applies to the field."""
    t, v = col("t", spec.name), col("v", spec.name)
    if code == "missing_required":
        req = _required_expr(spec)
        return None if req is None else f"{t} is null and {req}"
    if code == "wrong_type":
        return f"{t} is not null and not ({_type_ok_expr(spec)})"
    if code == "bad_enum":
        return _enum_fail_expr(spec, contract)
    if code == "out_of_range":
        return _range_fail_expr(spec)
    if code == "bad_timestamp" and spec.type == "timestamp":
        return f"{is_kind(t, 'string')} and {v} is null"
    if code == "future_timestamp" and spec.type == "timestamp":
        hours = contract.max_future_hours
        limit = f"timestamp '{now.isoformat(sep=' ')}' + interval ({hours}) hour"
        return f"{v} > {limit}"
    return None
