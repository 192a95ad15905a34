"""Langfuse trace exports (`{"trace": {...}, "observations": [...]}`, the trace carrying its
`scores` and `corrections`) -> contract events.

GENERATION observations -> `interaction`; scores by source: EVAL -> `evaluation`,
ANNOTATION -> `label`, API -> `feedback` (BOOLEAN thumbs, NUMERIC rating, CATEGORICAL
comment); a CORRECTION (a human's corrected output) -> `feedback` of type `edit` whose value
is the normalised edit distance between the output and the correction. A score on the trace
rather than an observation is about the trace's last generation. docs/import.md has the table.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from floop.importers.events import (
    event_id,
    input_hash,
    make_event,
    number,
    parse_iso,
    text_of,
    ts_from_datetime,
)
from floop.importers.mapping import FieldMapping
from floop.importers.sources import ImportFileError, SourceFile

Record = dict[str, Any]


def convert(source: SourceFile, mapping: FieldMapping) -> tuple[list[Record], int]:
    """The file's events, and how many observations were not generations (not imported)."""
    events: list[Record] = []
    ignored = 0
    for doc_no, doc in enumerate(source.documents, 1):
        trace, observations = _trace_of(source, doc_no, doc)
        attrs = trace_attributes(trace)
        generations = [o for o in observations if o.get("type") == "GENERATION"]
        ignored += len(observations) - len(generations)
        for n, obs in enumerate(generations):
            events.append(interaction(source, (doc_no, n), trace, obs, attrs, mapping))
        last = _last_generation(generations)
        by_id = {str(o.get("id")): o for o in generations}
        for score in _scores(trace, doc, "scores") + _scores(trace, doc, "corrections"):
            target = by_id.get(str(score.get("observationId"))) or last
            events.append(score_event(trace, score, target, attrs, mapping))
    return events, ignored


def _trace_of(source: SourceFile, doc_no: int, doc: Any) -> tuple[Record, list[Record]]:
    where = f"{source.path}: wrong shape" + (f" (document {doc_no})" if doc_no > 1 else "")
    if not isinstance(doc, dict) or not isinstance(doc.get("trace"), dict):
        raise ImportFileError(f"{where}: no `trace` object (not a Langfuse trace export)")
    trace = doc["trace"]
    observations = doc.get("observations", trace.get("observations", []))
    if not isinstance(observations, list) or not all(isinstance(o, dict) for o in observations):
        raise ImportFileError(f"{where}: `observations` is not a list of objects")
    return trace, observations


def _scores(trace: Record, doc: Record, key: str) -> list[Record]:
    """The trace's scores (or corrections), from the trace or beside it; each once by id."""
    found = [s for s in (trace.get(key) or []) + (doc.get(key) or []) if isinstance(s, dict)]
    seen: set[str] = set()
    out = []
    for s in found:
        sid = str(s.get("id"))
        if sid not in seen:
            seen.add(sid)
            out.append(s)
    return out


def trace_attributes(trace: Record) -> Record:
    """What mapped fields are looked up in for this trace: Langfuse's own fields under
    attribute-like names, then the trace metadata's top-level keys."""
    native = {
        "session.id": trace.get("sessionId"),
        "user.id": trace.get("userId"),
        "langfuse.trace.name": trace.get("name"),
        "langfuse.environment": trace.get("environment"),
        "langfuse.release": trace.get("release"),
        "langfuse.version": trace.get("version"),
    }
    meta = _json_obj(trace.get("metadata"))
    return {**{k: v for k, v in meta.items() if k != "resourceAttributes"}, **native}


def interaction(
    source: SourceFile,
    where: tuple[int, int],
    trace: Record,
    obs: Record,
    trace_attrs: Record,
    mapping: FieldMapping,
) -> Record:
    meta = _json_obj(obs.get("metadata"))
    span_attrs = _json_obj(meta.get("attributes"))
    sources = (span_attrs, trace_attrs, _json_obj(meta.get("resourceAttributes")))
    trace_id = _str(obs.get("traceId")) or _str(trace.get("id"))
    obs_id = _str(obs.get("id"))
    start, end = parse_iso(obs.get("startTime")), parse_iso(obs.get("endTime"))
    usage = obs.get("usageDetails") if isinstance(obs.get("usageDetails"), dict) else {}
    text = text_of(obs.get("input"))
    prompt = _str(obs.get("promptName"))
    if prompt and obs.get("promptVersion") is not None:
        prompt = f"{prompt}:{obs['promptVersion']}"
    model = _str(obs.get("model"))
    key = (trace_id, obs_id) if trace_id and obs_id else ("no-ids", source.sha256, *where)
    return make_event(
        "interaction",
        event_id(*key, "interaction"),
        ts_from_datetime(start) if start else None,
        **mapping.context(sources, trace_id),
        output_id=obs_id,
        input_hash=input_hash(text) if text is not None else None,
        prompt_version=prompt or mapping.resolve("prompt_version", sources),
        model_id=model,
        model_version=_str(span_attrs.get("gen_ai.response.model")) or model,
        input_tokens=number(usage.get("input", obs.get("inputUsage"))),
        output_tokens=number(usage.get("output", obs.get("outputUsage"))),
        server_latency_ms=(end - start).total_seconds() * 1000 if start and end else None,
    )


def score_event(
    trace: Record, score: Record, target: Record | None, trace_attrs: Record, mapping: FieldMapping
) -> Record:
    """One score: CORRECTION -> edit feedback; else by source EVAL / ANNOTATION / API. A score
    of another source is written as feedback without a type, so ingest quarantines it."""
    when = parse_iso(score.get("timestamp")) or parse_iso(score.get("createdAt"))
    common = {
        "tenant_id": mapping.resolve("tenant_id", (trace_attrs,)),
        "trace_id": _str(score.get("traceId")) or _str(trace.get("id")),
        "output_id": _str(target.get("id")) if target else None,
    }
    eid = event_id("langfuse-score", score.get("id"))
    ts = ts_from_datetime(when) if when else None
    name, source = _str(score.get("name")), str(score.get("source", "")).upper()
    value, data_type = number(score.get("value")), str(score.get("dataType", "")).upper()
    if data_type == "CORRECTION":
        corrected = score.get("longStringValue") or score.get("stringValue")
        output = _output_text(target.get("output") if target and score.get("observationId")
                              else trace.get("output"))
        return make_event(
            "feedback", eid, ts, **common, feedback_type="edit",
            feedback_value=edit_distance(output, corrected),
            actor_role="sme", actor_id=_str(score.get("authorUserId")),
        )
    if source == "EVAL":
        return make_event(
            "evaluation", eid, ts, **common, evaluator_id=name,
            evaluator_version=mapping.resolve("evaluator_version", (trace_attrs,)),
            eval_metric=name, eval_value=value,
        )
    if source == "ANNOTATION":
        return make_event(
            "label", eid, ts, **common, labeler_id=_str(score.get("authorUserId")),
            taxonomy_version=mapping.resolve("taxonomy_version", (trace_attrs,)),
            label_name=name, label_value=_label_value(score, data_type, value),
        )
    feedback_type, feedback_value, text = _feedback(score, data_type, value, source)
    return make_event(
        "feedback", eid, ts, **common, feedback_type=feedback_type,
        feedback_value=feedback_value, feedback_text=text,
        actor_role=mapping.resolve("actor_role", (trace_attrs,)),
        actor_id=_str(score.get("authorUserId")),
    )


def _feedback(
    score: Record, data_type: str, value: Any, source: str
) -> tuple[str | None, Any, str | None]:
    """(feedback_type, feedback_value, feedback_text) of an API score: BOOLEAN -> thumbs
    (1 up, -1 down), NUMERIC -> rating (its value; outside 1-5 ingest rejects it), CATEGORICAL
    -> comment (value 0, the category and comment as text)."""
    comment = _str(score.get("comment"))
    if source != "API":
        return None, value, comment
    if data_type == "BOOLEAN":
        return "thumbs", (1 if value else -1) if value is not None else None, comment
    if data_type == "CATEGORICAL":
        category = _str(score.get("stringValue"))
        text = ": ".join(t for t in (category, comment) if t) or None
        return "comment", 0, text
    return "rating", value, comment


def _label_value(score: Record, data_type: str, value: Any) -> str | None:
    if data_type == "CATEGORICAL":
        return _str(score.get("stringValue"))
    if data_type == "BOOLEAN" and value is not None:
        return "true" if value else "false"
    return None if value is None else str(value)


def _last_generation(generations: list[Record]) -> Record | None:
    """The trace's final answer: the generation that ended last (start time breaks ties)."""
    if not generations:
        return None
    return max(generations, key=lambda o: (str(o.get("endTime") or ""), str(o.get("startTime"))))


def _output_text(output: Any) -> str | None:
    """The text a person saw: a JSON-encoded string decoded; a chat choice's message content;
    anything else as canonical JSON."""
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except json.JSONDecodeError:
            return output
    if isinstance(output, dict) and isinstance(output.get("message"), dict):
        output = output["message"].get("content", output)
    return text_of(output)


def edit_distance(output: str | None, corrected: Any) -> float | None:
    """Levenshtein distance between OUTPUT and CORRECTED over the longer one's length (0 kept as
    is, 1 rewritten), computed by DuckDB; None when either text is missing."""
    if output is None or not isinstance(corrected, str):
        return None
    # fetchall, not fetchone: duckdb 2.x keeps a half-read result open on the shared default
    # connection, and the next statement anyone runs there fails
    rows = duckdb.execute(
        "select coalesce(levenshtein($a, $b) / nullif(greatest(length($a), length($b)), 0), 0)",
        {"a": output, "b": corrected},
    ).fetchall()
    return float(rows[0][0]) if rows else None


def _json_obj(value: Any) -> Record:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
