"""OpenInference spans (Arize Phoenix; OTLP JSON) and their annotations -> contract events.

A span with `openinference.span.kind` LLM becomes one `interaction`; the documents of the
trace's RETRIEVER spans that started before it become its `retrieval_ids`. Annotations ride in
the same JSON document as an `annotations` list in Phoenix's span-annotation shape
(`span_id`, `name`, `annotator_kind`, `result: {label, score, explanation}`, `metadata`,
`user_id`, `created_at`): annotator_kind HUMAN -> `label`, LLM or CODE -> `evaluation`.
docs/import.md has the full table.
"""

from __future__ import annotations

import re
from typing import Any

from floop.importers.events import (
    event_id,
    input_hash,
    make_event,
    number,
    parse_iso,
    text_of,
    ts_from_datetime,
    ts_from_nanos,
)
from floop.importers.mapping import FieldMapping
from floop.importers.otlp import PASSED_LABELS, span_key
from floop.importers.otlp_json import Span, otlp_id, spans_of
from floop.importers.sources import ImportFileError, SourceFile

_DOC_ID = re.compile(r"^retrieval\.documents\.(\d+)\.document\.id$")
_INPUT_MESSAGE = re.compile(r"^llm\.input_messages\.\d+\.")
EVALUATOR_KINDS = frozenset({"LLM", "CODE"})


def kind(span: Span) -> str:
    return str(span.attrs.get("openinference.span.kind", "")).upper()


def convert(source: SourceFile, mapping: FieldMapping) -> tuple[list[dict[str, Any]], int]:
    """The file's events, and how many spans were neither LLM nor RETRIEVER (not imported)."""
    spans = spans_of(source)
    ignored = sum(1 for s in spans if kind(s) not in ("LLM", "RETRIEVER"))
    events = [
        interaction(source, s, mapping, retrieval_ids(s, spans))
        for s in spans
        if kind(s) == "LLM"
    ]
    by_id = {s.span_id: s for s in spans if s.span_id}
    for doc_no, doc in enumerate(source.documents, 1):
        annotations = doc.get("annotations", []) if isinstance(doc, dict) else []
        if not isinstance(annotations, list):
            raise ImportFileError(f"{source.path}: wrong shape: `annotations` is not a list")
        for n, ann in enumerate(annotations):
            if not isinstance(ann, dict):
                raise ImportFileError(f"{source.path}: wrong shape: annotation {n} not an object")
            events.append(annotation(source, (doc_no, n), ann, by_id, mapping))
    return events, ignored


def interaction(
    source: SourceFile, span: Span, mapping: FieldMapping, retrieved: list[str] | None
) -> dict[str, Any]:
    a = span.attrs
    text = input_text(span)
    model = _str(a.get("llm.model_name"))
    return make_event(
        "interaction",
        event_id(*span_key(source, span), "interaction"),
        ts_from_nanos(span.start_ns) if span.start_ns else None,
        **mapping.context(span.sources, span.trace_id),
        output_id=span.span_id,
        input_hash=input_hash(text) if text is not None else None,
        prompt_version=mapping.resolve("prompt_version", span.sources),
        model_id=model,
        # OpenInference names one model string; it carries the version (gpt-4o-2024-08-06).
        model_version=model,
        retrieval_ids=retrieved,
        knowledge_version=mapping.resolve("knowledge_version", span.sources) if retrieved else None,
        input_tokens=number(a.get("llm.token_count.prompt")),
        output_tokens=number(a.get("llm.token_count.completion")),
        server_latency_ms=span.duration_ms,
    )


def annotation(
    source: SourceFile,
    where: tuple[int, int],
    ann: dict[str, Any],
    spans: dict[str, Span],
    mapping: FieldMapping,
) -> dict[str, Any]:
    """One annotation: HUMAN -> label, LLM/CODE -> evaluation; any other kind is written as an
    evaluation without `eval_value`, so ingest quarantines it instead of it vanishing."""
    span_id = otlp_id(ann.get("span_id"), 8)
    span = spans.get(span_id) if span_id else None
    result = ann.get("result") if isinstance(ann.get("result"), dict) else {}
    metadata = ann.get("metadata") if isinstance(ann.get("metadata"), dict) else {}
    sources = (metadata, *(span.sources if span else ()))
    name = _str(ann.get("name"))
    label = _str(result.get("label"))
    score = number(result.get("score"))
    created = parse_iso(ann.get("created_at"))
    when = ts_from_datetime(created) if created else (
        ts_from_nanos(span.end_ns) if span and span.end_ns else None
    )
    ann_kind = str(ann.get("annotator_kind", "")).upper()
    key = (span_id or f"no-span:{source.sha256}:{where}", name, ann_kind)
    common = {
        "tenant_id": mapping.resolve("tenant_id", sources),
        "trace_id": otlp_id(ann.get("trace_id"), 16) or (span.trace_id if span else None),
        "output_id": span_id,
    }
    if ann_kind == "HUMAN":
        return make_event(
            "label",
            event_id(*key, "label"),
            when,
            **common,
            labeler_id=_str(ann.get("user_id")) or _str(metadata.get("user_id")),
            taxonomy_version=mapping.resolve("taxonomy_version", sources),
            label_name=name,
            label_value=label if label is not None else (str(score) if score is not None else None),
        )
    return make_event(
        "evaluation",
        event_id(*key, "evaluation"),
        when,
        **common,
        evaluator_id=name,
        evaluator_version=mapping.resolve("evaluator_version", sources),
        eval_metric=name,
        eval_value=score if ann_kind in EVALUATOR_KINDS else None,
        eval_passed=PASSED_LABELS.get(label.lower()) if label else None,
    )


def input_text(span: Span) -> str | None:
    a = span.attrs
    if a.get("input.value") is not None:
        return text_of(a["input.value"])
    messages = {k: v for k, v in a.items() if _INPUT_MESSAGE.match(k)}
    return text_of(messages) if messages else None


def retrieval_ids(llm: Span, spans: list[Span]) -> list[str] | None:
    """Document ids of the trace's RETRIEVER spans that started no later than the LLM span, in
    retrieval order then rank order (`retrieval.documents.N`), each once."""
    found = [
        s for s in spans
        if s.trace_id == llm.trace_id and kind(s) == "RETRIEVER"
        and (s.start_ns or 0) <= (llm.start_ns or 0)
    ]
    ids: list[str] = []
    for s in sorted(found, key=lambda s: (s.start_ns or 0, s.index)):
        ranked = sorted(
            (int(m.group(1)), str(v))
            for k, v in s.attrs.items()
            if (m := _DOC_ID.match(k)) and v is not None
        )
        for _, doc in ranked:
            if doc not in ids:
                ids.append(doc)
    return ids or None


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
