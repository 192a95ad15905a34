"""OpenTelemetry GenAI spans (OTLP JSON) -> contract events.

An LLM span (`gen_ai.operation.name` chat / text_completion / generate_content, or the
legacy `llm.request.type` chat / completion) becomes one `interaction`; a
`gen_ai.evaluation.result` span event becomes one `evaluation`; the documents of `retrieval`
spans of the same trace that started before the LLM span become its `retrieval_ids`.
docs/import.md has the full table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from floop.importers.events import (
    event_id,
    input_hash,
    make_event,
    number,
    text_of,
    ts_from_nanos,
)
from floop.importers.mapping import FieldMapping
from floop.importers.otlp_json import Span, spans_of
from floop.importers.sources import SourceFile

LLM_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
LEGACY_LLM_TYPES = frozenset({"chat", "completion"})
EVALUATION_EVENT = "gen_ai.evaluation.result"
_LEGACY_PROMPT = re.compile(r"^gen_ai\.prompt\.\d+\.")
_MESSAGE_EVENTS = ("gen_ai.system.message", "gen_ai.user.message", "gen_ai.tool.message")
PASSED_LABELS = {"pass": True, "passed": True, "true": True, "fail": False, "failed": False,
                 "false": False}


def is_llm_span(span: Span) -> bool:
    op = span.attrs.get("gen_ai.operation.name")
    return op in LLM_OPERATIONS or span.attrs.get("llm.request.type") in LEGACY_LLM_TYPES


def span_key(source: SourceFile, span: Span) -> tuple[str, ...]:
    """The ids an event id is derived from: trace and span id, or the span's place in this
    file when it lacks them (still deterministic, and never two spans alike)."""
    if span.trace_id and span.span_id:
        return (span.trace_id, span.span_id)
    return ("no-ids", source.sha256, str(span.index))


def convert(source: SourceFile, mapping: FieldMapping) -> tuple[list[dict[str, Any]], int]:
    """The file's events, and how many spans carried nothing floop imports (agent, tool, HTTP
    spans and the like)."""
    spans = spans_of(source)
    llm = {s.index: s for s in spans if is_llm_span(s)}
    output_ids = {s.index: output_id(s) for s in llm.values()}
    by_span_id = {(s.trace_id, s.span_id): s.index for s in llm.values() if s.span_id}
    events: list[dict[str, Any]] = []
    ignored = 0
    for span in spans:
        is_retrieval = span.attrs.get("gen_ai.operation.name") == "retrieval"
        if span.index not in llm and not is_retrieval and not any(
            ev.name == EVALUATION_EVENT for ev in span.events
        ):
            ignored += 1
        if span.index in llm:
            retrieved = retrieval_ids(span, spans)
            events.append(interaction(source, span, mapping, output_ids[span.index], retrieved))
        own = output_ids.get(span.index)
        if own is None:  # an evaluation span: it evaluates its parent LLM span
            parent = by_span_id.get((span.trace_id, span.parent_id))
            own = output_ids.get(parent) if parent is not None else None
        for n, ev in enumerate(span.events):
            if ev.name == EVALUATION_EVENT:
                events.append(evaluation(source, span, n, mapping, own))
    return events, ignored


def output_id(span: Span) -> str | None:
    return _str(span.attrs.get("gen_ai.response.id")) or span.span_id


def interaction(
    source: SourceFile,
    span: Span,
    mapping: FieldMapping,
    out_id: str | None,
    retrieved: list[str] | None,
) -> dict[str, Any]:
    a = span.attrs
    text = input_text(span)
    model = _str(a.get("gen_ai.request.model"))
    return make_event(
        "interaction",
        event_id(*span_key(source, span), "interaction"),
        ts_from_nanos(span.start_ns) if span.start_ns else None,
        **mapping.context(span.sources, span.trace_id),
        output_id=out_id,
        input_hash=input_hash(text) if text is not None else None,
        prompt_version=mapping.resolve("prompt_version", span.sources),
        model_id=model,
        # No response model (OpenLIT omits it): the requested model is the best version known.
        model_version=_str(a.get("gen_ai.response.model")) or model,
        retrieval_ids=retrieved,
        knowledge_version=mapping.resolve("knowledge_version", span.sources) if retrieved else None,
        input_tokens=number(_first(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")),
        output_tokens=number(
            _first(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
        ),
        server_latency_ms=span.duration_ms,
    )


def evaluation(
    source: SourceFile, span: Span, n: int, mapping: FieldMapping, own: str | None
) -> dict[str, Any]:
    ev = span.events[n]
    a = ev.attrs
    name = _str(a.get("gen_ai.evaluation.name"))
    label = _str(a.get("gen_ai.evaluation.score.label"))
    when = ev.time_ns or span.end_ns
    sources = (a, *span.sources)
    return make_event(
        "evaluation",
        event_id(*span_key(source, span), "evaluation", n, name),
        ts_from_nanos(when) if when else None,
        tenant_id=mapping.resolve("tenant_id", sources),
        trace_id=span.trace_id,
        output_id=_str(a.get("gen_ai.response.id")) or own,
        evaluator_id=name,
        evaluator_version=mapping.resolve("evaluator_version", sources),
        eval_metric=name,
        eval_value=number(a.get("gen_ai.evaluation.score.value")),
        eval_passed=PASSED_LABELS.get(label.lower()) if label else None,
    )


def input_text(span: Span) -> str | None:
    """The model's input as text, from whichever way the instrumentation recorded it: the
    current `gen_ai.input.messages`, the legacy flattened `gen_ai.prompt.N.*`, a `gen_ai.prompt`
    attribute or event, or the per-message events. None when content capture was off."""
    a = span.attrs
    if a.get("gen_ai.input.messages") is not None:
        return text_of(a["gen_ai.input.messages"])
    legacy = {k: v for k, v in a.items() if _LEGACY_PROMPT.match(k)}
    if legacy:
        return text_of(legacy)
    if a.get("gen_ai.prompt") is not None:
        return text_of(a["gen_ai.prompt"])
    for ev in span.events:
        if ev.name == "gen_ai.content.prompt" and ev.attrs.get("gen_ai.prompt") is not None:
            return text_of(ev.attrs["gen_ai.prompt"])
    messages = [ev.attrs for ev in span.events if ev.name in _MESSAGE_EVENTS]
    return text_of(messages) if messages else None


def retrieval_ids(llm: Span, spans: Iterable[Span]) -> list[str] | None:
    """Documents of the trace's retrieval spans that started no later than the LLM span, in
    retrieval order then rank order, each once; None when there are none."""
    found = [
        s for s in spans
        if s.trace_id == llm.trace_id and s.attrs.get("gen_ai.operation.name") == "retrieval"
        and (s.start_ns or 0) <= (llm.start_ns or 0)
    ]
    ids: list[str] = []
    for s in sorted(found, key=lambda s: (s.start_ns or 0, s.index)):
        for doc_id in document_ids(s.attrs.get("gen_ai.retrieval.documents")):
            if doc_id not in ids:
                ids.append(doc_id)
    return ids or None


def document_ids(value: Any) -> list[str]:
    """Ids of `gen_ai.retrieval.documents`: structured [{id, score}] or the same as JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return []
    if not isinstance(value, list):
        return []
    return [str(d["id"]) for d in value if isinstance(d, dict) and d.get("id") is not None]


def _first(attrs: dict[str, Any], *names: str) -> Any:
    for name in names:
        if attrs.get(name) is not None:
            return attrs[name]
    return None


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
