"""Hypothesis strategies for the ingest fuzz tests: valid events generated from the contract
(its fields, types, enums, patterns, ranges and conditional requirements), random JSON, random
bytes, and mutations of valid lines."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from floop.contract import FieldSpec, load_contract

CONTRACT = load_contract()
INT64_MAX = 2**63 - 1
# Valid timestamps lie between these instants (UTC); the ingest clock is passed in.
EARLIEST = datetime(1900, 1, 1)
_ALL_NAMES = sorted({f.name for t in CONTRACT.event_types for f in CONTRACT.fields(t)})

# Text as emitters send it: any character but lone surrogates (not UTF-8 encodable).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: json.dumps writes NaN, Infinity
    | TEXT,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_ALL_NAMES) | TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


def _number(low: float | None, high: float | None) -> st.SearchStrategy[float | int]:
    floats = st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    ints = st.integers(
        min_value=None if low is None else math.ceil(low),
        max_value=None if high is None else math.floor(high),
    )
    return ints | floats


@st.composite
def timestamps(draw: st.DrawFn, now: datetime) -> str:
    """An RFC 3339 timestamp at most 24 hours after `now` (UTC), in any valid spelling:
    offsets within +-23:59, T/t/space, Z/z, a fraction, now and then a leap second."""
    # (a second short of the limit: digits beyond the microsecond may round up)
    latest = now + timedelta(hours=CONTRACT.max_future_hours, seconds=-1)
    instant = draw(st.datetimes(min_value=EARLIEST, max_value=latest))
    leap = draw(st.booleans()) and draw(st.booleans())
    if leap:  # second 60 of the last minute of a UTC day (before `latest`)
        instant = instant.replace(hour=23, minute=59, second=59) - timedelta(days=1)
    offset_minutes = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59) | st.just(0))
    local = instant + timedelta(minutes=offset_minutes)
    sep = draw(st.sampled_from("Tt "))
    text = local.strftime(f"%Y-%m-%d{sep}%H:%M:") + ("60" if leap else f"{local.second:02d}")
    digits = draw(st.integers(0, 9))
    if digits:
        text += "." + f"{local.microsecond:06d}{draw(st.integers(0, 999))}"[:digits]
    if offset_minutes == 0 and draw(st.booleans()):
        return text + draw(st.sampled_from("Zz"))
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def _value(spec: FieldSpec, event: dict[str, Any], now: datetime) -> st.SearchStrategy[Any]:
    """A valid value of one field (given the fields drawn before it)."""
    if spec.name == "event_type":
        return st.just(event["event_type"])
    if spec.name == "schema_version":
        return st.from_regex(re.compile(CONTRACT.schema_version_pattern), fullmatch=True)
    if spec.type == "timestamp":
        return timestamps(now)
    if spec.type == "string":
        if spec.enum:
            return st.sampled_from(CONTRACT.enums[spec.enum])
        if spec.pattern:
            return st.from_regex(re.compile(spec.pattern), fullmatch=True)
        return TEXT
    if spec.type == "string_list":
        item = st.sampled_from(CONTRACT.enums[spec.enum]) if spec.enum else TEXT
        return st.lists(item, max_size=4)
    if spec.type == "boolean":
        return st.booleans()
    if spec.type == "integer":
        low = 0 if spec.min is None else int(spec.min)
        return st.integers(-INT64_MAX if spec.min is None else low, INT64_MAX)
    if spec.type == "number":
        if spec.values_by:
            rule = spec.values_by["rules"].get(event.get(spec.values_by["field"]), {})
            if "in" in rule:
                return st.sampled_from(rule["in"])
            return _number(rule.get("min"), rule.get("max"))
        return _number(spec.min, spec.max)
    raise ValueError(spec.type)


def _required(spec: FieldSpec, event: dict[str, Any]) -> bool:
    if spec.required:
        return True
    rule = spec.required_when
    if not rule:
        return False
    other = event.get(rule["field"])
    if rule.get("nonempty"):
        return bool(other)
    if rule.get("present"):
        return other is not None
    return other == rule.get("equals")


@st.composite
def valid_events(draw: st.DrawFn, now: datetime) -> dict[str, Any]:
    """A valid event of any type: required fields always, optional ones (or null) sometimes,
    conditionally required ones when their condition holds, and now and then unknown fields."""
    event_type = draw(st.sampled_from(CONTRACT.event_types))
    event: dict[str, Any] = {"event_type": event_type}
    specs = CONTRACT.fields(event_type)
    conditional = [s for s in specs if s.required_when]
    for spec in [s for s in specs if not s.required_when] + conditional:
        if _required(spec, event):
            event[spec.name] = draw(_value(spec, event, now))
        elif draw(st.integers(0, 3)) == 0:
            event[spec.name] = None  # null is absent
        elif draw(st.booleans()):
            event[spec.name] = draw(_value(spec, event, now))
    known = set(CONTRACT.field_names(event_type))
    extra = draw(st.dictionaries(TEXT.filter(lambda k: k not in known), JSON_VALUES, max_size=2))
    event.update(extra)
    keys = draw(st.permutations(list(event)))
    return {k: event[k] for k in keys}


def dumps(event: dict[str, Any], compact: bool) -> str:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(event, separators=separators, ensure_ascii=compact)


@st.composite
def valid_lines(draw: st.DrawFn, now: datetime) -> str:
    return dumps(draw(valid_events(now)), compact=draw(st.booleans()))


@st.composite
def mutated_lines(draw: st.DrawFn, now: datetime) -> str:
    """A valid event broken (or not) in one way: a key dropped, a value replaced by any JSON,
    a key repeated, the text cut, a character inserted or deleted."""
    event = draw(valid_events(now))
    kind = draw(st.sampled_from(["drop", "replace", "repeat", "cut", "insert", "delete"]))
    if kind == "drop":
        event.pop(draw(st.sampled_from(sorted(event))))
    elif kind == "replace":
        event[draw(st.sampled_from(sorted(event)))] = draw(JSON_VALUES)
    text = dumps(event, compact=True)
    if kind == "repeat":
        key = draw(st.sampled_from(sorted(event)))
        text = text[:-1] + f",{json.dumps(key)}:{json.dumps(draw(JSON_VALUES))}}}"
    elif kind in ("cut", "insert", "delete"):
        at = draw(st.integers(0, len(text) - 1))
        if kind == "cut":
            text = text[:at]
        elif kind == "insert":
            text = text[:at] + draw(st.characters(exclude_categories=["Cs"])) + text[at:]
        else:
            text = text[:at] + text[at + 1 :]
    return text.replace("\n", " ").replace("\r", " ")
