"""The human-readable `reason_message` of a quarantined line, as SQL over the checked rows.

The texts are part of the quarantine table's contents: keep them word for word."""

from __future__ import annotations

from typing import Any

from floop.contract import Contract, FieldSpec
from floop.ingest.checks_fields import col, is_kind, lit

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "timestamp": "a string (RFC 3339 timestamp)",
    "string_list": "a list of strings",
}
_NON_FINITE = "a finite number (not NaN or Infinity)"


def _bounds(low: Any, high: Any) -> str:
    """'>= low and <= high', either side left out when None."""
    parts = (f">= {low:g}" if low is not None else "", f"<= {high:g}" if high is not None else "")
    return " and ".join(x for x in parts if x)


def _case_on_field(parts: list[str]) -> str:
    """A `case c.reason_field` over `when` parts, or '' when there are none."""
    return "case c.reason_field " + " ".join(parts) + " end" if parts else "''"


def _expected_sql(specs: dict[str, FieldSpec], value: str) -> str:
    """What the field must be. A number field whose value is a JSON number all the same (NaN,
    Infinity or one that overflows a double) must be a finite number."""
    number = (
        f"case when {is_kind(f'ascii({value})', 'number')} then {lit(_NON_FINITE)} "
        f"else {lit(_TYPE_WORDS['number'])} end"
    )
    whens = " ".join(
        f"when {lit(n)} then {number if s.type == 'number' else lit(_TYPE_WORDS[s.type])}"
        for n, s in specs.items()
    )
    return "case c.reason_field " + whens + " end"


def _enum_desc_sql(specs: dict[str, FieldSpec], contract: Contract) -> str:
    parts = []
    for n, s in specs.items():
        desc = []
        if s.enum:
            desc.append("allowed: " + ", ".join(contract.enums[s.enum]))
        if s.pattern:
            desc.append(f"must match {s.pattern}")
        if desc:
            parts.append(f"when {lit(n)} then {lit('; '.join(desc))}")
    return _case_on_field(parts)


def _values_by_desc(spec: FieldSpec) -> str:
    """The range rule of a field whose allowed values depend on another field's value."""
    assert spec.values_by is not None
    ctrl = spec.values_by["field"]
    whens = []
    for value, rule in spec.values_by["rules"].items():
        if "in" in rule:
            desc = "one of " + ", ".join(f"{x:g}" for x in rule["in"])
        else:
            desc = _bounds(rule.get("min"), rule.get("max"))
        whens.append(f"when {lit(value)} then {lit(f'must be {desc} for {ctrl} {value}')}")
    return f"case json_extract_string(c._json, '/{ctrl}') {' '.join(whens)} end"


def _range_desc_sql(specs: dict[str, FieldSpec]) -> str:
    parts = []
    for n, s in specs.items():
        if s.min is not None or s.max is not None:
            parts.append(f"when {lit(n)} then {lit('must be ' + _bounds(s.min, s.max))}")
        elif s.values_by:
            parts.append(f"when {lit(n)} then {_values_by_desc(s)}")
    return _case_on_field(parts)


def message_sql(contract: Contract, specs: dict[str, FieldSpec]) -> str:
    """reason_message for rejected rows of the checked table (aliased `c`)."""
    fragment = "json_extract(c._json, '/' || c.reason_field)::varchar"
    val = f"coalesce(left({fragment}, 200), '')"
    expected = _expected_sql(specs, fragment)
    enum_desc = _enum_desc_sql(specs, contract)
    range_desc = _range_desc_sql(specs)
    hours = f"{contract.max_future_hours:g}"
    event_type = col("v", "event_type")
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
