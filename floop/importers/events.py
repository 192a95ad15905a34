"""Contract v1 events as the importers build them: deterministic ids, RFC 3339 timestamps,
the envelope, and which required fields an event still lacks (read from the contract)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from floop.contract import load_contract

SCHEMA_VERSION = "1"


def event_id(*parts: object) -> str:
    """A deterministic event id from the source's ids (trace, span, kind, ...): importing the
    same source again gives the same ids, so ingest sees duplicates, not new events."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return "imp-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def input_hash(text: str) -> str:
    """sha256 of the input text, whitespace at both ends stripped (the normalisation)."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def text_of(value: Any) -> str | None:
    """A source's input or output as text: strings as they are, anything else as canonical
    JSON; None when absent."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def ts_from_nanos(nanos: int) -> str:
    """Unix nanoseconds as RFC 3339 UTC with microseconds."""
    seconds, rest = divmod(int(nanos), 1_000_000_000)
    dt = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (Langfuse's) as an aware datetime; None when absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def ts_from_datetime(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_event(event_type: str, eid: str, timestamp: str | None, **fields: Any) -> dict[str, Any]:
    """An event: the envelope, then FIELDS; fields that are None are left out (so a missing
    required one is quarantined by ingest with its name)."""
    event: dict[str, Any] = {
        "event_id": eid,
        "event_type": event_type,
        "schema_version": SCHEMA_VERSION,
        "timestamp": timestamp,
        **fields,
    }
    return {k: v for k, v in event.items() if v is not None}


def missing_required(event: Mapping[str, Any]) -> list[str]:
    """The fields the contract requires of this event's type that it lacks."""
    fields = load_contract().fields(str(event["event_type"]))
    return [f.name for f in fields if f.required and event.get(f.name) is None]


def to_line(event: Mapping[str, Any]) -> str:
    """One NDJSON line; the same event always gives the same bytes."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def number(value: Any) -> Any:
    """A source number (OTLP int64s arrive as strings) as int or float. A value that is not a
    finite number is passed on as text, so ingest rejects it as `wrong_type` and keeps it."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
        try:
            parsed = float(value)
        except ValueError:
            return value
        return parsed if parsed == parsed and abs(parsed) != float("inf") else value
    return str(value)
