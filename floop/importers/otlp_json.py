"""OTLP JSON (`TracesData` / `ExportTraceServiceRequest`) as plain spans: flattened attribute
values, hex ids, nanosecond times. Shared by the OpenTelemetry GenAI and OpenInference
importers, which differ only in the attribute names they read."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floop.importers.sources import ImportFileError, SourceFile

_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True)
class SpanEvent:
    name: str
    time_ns: int | None
    attrs: dict[str, Any]


@dataclass(frozen=True)
class Span:
    index: int  # position in the file: names a span that has no ids
    trace_id: str | None
    span_id: str | None
    parent_id: str | None
    name: str
    start_ns: int | None
    end_ns: int | None
    attrs: dict[str, Any]
    resource: dict[str, Any]
    events: list[SpanEvent] = field(default_factory=list)

    @property
    def sources(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Where mapped fields are looked up: span attributes, then resource attributes."""
        return (self.attrs, self.resource)

    @property
    def duration_ms(self) -> float | None:
        if self.start_ns is None or self.end_ns is None or self.end_ns < self.start_ns:
            return None
        return (self.end_ns - self.start_ns) / 1e6


def any_value(value: Any) -> Any:
    """An OTLP AnyValue ({"stringValue": ...}, {"intValue": "14"}, arrays, kvlists) as Python."""
    if not isinstance(value, dict) or not value:
        return None
    kind, inner = next(iter(value.items()))
    if kind == "intValue":
        try:
            return int(inner)
        except (TypeError, ValueError):
            return inner
    if kind == "arrayValue":
        return [any_value(v) for v in (inner or {}).get("values", [])]
    if kind == "kvlistValue":
        return attributes((inner or {}).get("values", []))
    return inner  # stringValue, boolValue, doubleValue, bytesValue (base64 text)


def attributes(items: Any) -> dict[str, Any]:
    """A list of OTLP KeyValue as a dict (later keys win, as in the SDK)."""
    out: dict[str, Any] = {}
    if isinstance(items, list):
        for kv in items:
            if isinstance(kv, dict) and isinstance(kv.get("key"), str):
                out[kv["key"]] = any_value(kv.get("value"))
    return out


def otlp_id(value: Any, n_bytes: int) -> str | None:
    """A trace (16 bytes) or span (8 bytes) id as lower-case hex. OTLP JSON writes hex; the
    generic protobuf JSON mapping (`MessageToJson`) writes base64, which is accepted too.
    Anything else is kept as given (any string is a valid contract id); empty is None."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 2 * n_bytes and _HEX.match(value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    return raw.hex() if len(raw) == n_bytes else value


def _nanos(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", "0", 0) else None
    except (TypeError, ValueError):
        return None


def spans_of(source: SourceFile) -> list[Span]:
    """Every span of every `TracesData` document in the file, in file order."""
    spans: list[Span] = []
    for doc_no, doc in enumerate(source.documents, 1):
        resource_spans = doc.get("resourceSpans") if isinstance(doc, dict) else None
        if not isinstance(resource_spans, list):
            raise _shape(source.path, doc_no, "no `resourceSpans` list (not OTLP JSON traces)")
        for rs in resource_spans:
            if not isinstance(rs, dict) or not isinstance(rs.get("scopeSpans", []), list):
                raise _shape(source.path, doc_no, "a resourceSpans entry without `scopeSpans`")
            resource = attributes((rs.get("resource") or {}).get("attributes"))
            for ss in rs.get("scopeSpans", []):
                raw_spans = ss.get("spans", []) if isinstance(ss, dict) else None
                if not isinstance(raw_spans, list):
                    raise _shape(source.path, doc_no, "a scopeSpans entry without `spans`")
                for raw in raw_spans:
                    if not isinstance(raw, dict):
                        raise _shape(source.path, doc_no, "a span that is not an object")
                    spans.append(_span(len(spans), raw, resource))
    return spans


def _span(index: int, raw: dict[str, Any], resource: dict[str, Any]) -> Span:
    events = [
        SpanEvent(
            str(e.get("name", "")), _nanos(e.get("timeUnixNano")), attributes(e.get("attributes"))
        )
        for e in raw.get("events") or []
        if isinstance(e, dict)
    ]
    return Span(
        index=index,
        trace_id=otlp_id(raw.get("traceId"), 16),
        span_id=otlp_id(raw.get("spanId"), 8),
        parent_id=otlp_id(raw.get("parentSpanId"), 8),
        name=str(raw.get("name", "")),
        start_ns=_nanos(raw.get("startTimeUnixNano")),
        end_ns=_nanos(raw.get("endTimeUnixNano")),
        attrs=attributes(raw.get("attributes")),
        resource=resource,
        events=events,
    )


def _shape(path: Path, doc_no: int, what: str) -> ImportFileError:
    where = f" (document {doc_no})" if doc_no > 1 else ""
    return ImportFileError(f"{path}: wrong shape{where}: {what}")
