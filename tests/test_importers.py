"""`floop import`: real traces (../shared/realdata/traces) and hand-made OpenInference and
malformed files -> landing folder -> real `floop ingest`, every line accounted for."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from ingest_helpers import NOW

from floop.cli import main
from floop.importers.langfuse import edit_distance
from floop.ingest import ingest

NOW_ARG = "2026-11-20T00:00:00Z"
MAPPING = """
fields:
  country: {default: DE}
  consent_scope: {default: [analytics, evaluation]}
  task_type: {default: support_chat}
"""


def run_import(landing: Path, fmt: str, *inputs: Path, extra: tuple[str, ...] = ()) -> int:
    return main(["import", fmt, *map(str, inputs), "--landing", str(landing), *extra])


def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text(MAPPING)
    return path


def rows(wh: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def count(wh: Path, table: str) -> int:
    return rows(wh, f"select count(*) from raw.{table}")[0][0]


def landed_lines(landing: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in landing.glob("*.jsonl"))


# --- what the real files hold, counted from the sources (not by the importer) --------------


def langfuse_expectations(folder: Path) -> dict[str, Any]:
    generations: list[tuple[str, str, bool]] = []
    scores: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.trace.json")):
        doc = json.loads(path.read_text())
        for obs in doc["observations"]:
            if obs["type"] == "GENERATION":
                generations.append((obs["traceId"], obs["id"], obs["input"] is not None))
        for score in doc["trace"].get("scores", []) + doc["trace"].get("corrections", []):
            scores[score["id"]] = score  # the same score in two files is one event
    distinct = set(generations)
    kinds = Counter()
    for s in scores.values():
        if s["dataType"] == "CORRECTION" or s["source"] == "API":
            kinds["feedback"] += 1
        elif s["source"] == "EVAL":
            kinds["evaluation"] += 1
        elif s["source"] == "ANNOTATION":
            kinds["label"] += 1
    return {
        "generation_lines": len(generations),
        "interactions": sum(1 for g in distinct if g[2]),
        "without_input": sum(1 for g in distinct if not g[2]),
        "score_lines": sum(
            len(json.loads(p.read_text())["trace"].get(k, []))
            for p in folder.glob("*.trace.json")
            for k in ("scores", "corrections")
        ),
        **kinds,
    }


def otlp_llm_spans(folder: Path) -> int:
    n = 0
    for path in folder.glob("*.json"):
        for rs in json.loads(path.read_text())["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    attrs = {a["key"]: a["value"].get("stringValue") for a in span["attributes"]}
                    kinds = (attrs.get("gen_ai.operation.name"), attrs.get("llm.request.type"))
                    if "chat" in kinds:
                        n += 1
    return n


def test_real_traces_import_and_ingest_every_line(shared_dir: Path, tmp_path: Path) -> None:
    traces = shared_dir / "realdata" / "traces"
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    mapping = ("--tenant", "acme", "--mapping", str(mapping_file(tmp_path)))
    assert run_import(landing, "otlp", traces / "otlp", extra=mapping) == 0
    assert run_import(landing, "langfuse", traces / "langfuse", extra=mapping) == 0
    inputs = list((traces / "otlp").glob("*.json")) + list((traces / "langfuse").glob("*.json"))
    assert len(list(landing.glob("*.jsonl"))) == len(inputs)  # one output per input

    result = ingest(landing, wh, NOW, quality=False)
    want = langfuse_expectations(traces / "langfuse")
    lines = landed_lines(landing)
    assert result.lines == lines == (
        want["generation_lines"] + want["score_lines"] + otlp_llm_spans(traces / "otlp")
    )
    assert result.accepted + result.duplicate + result.rejected == lines
    assert count(wh, "interaction_events") == want["interactions"] + otlp_llm_spans(traces / "otlp")
    assert count(wh, "evaluation_events") == want["evaluation"] > 0
    assert count(wh, "label_events") == want.get("label", 0)
    assert count(wh, "feedback_events") == want["feedback"] > 0
    # generations without input have no input_hash: quarantined with the usual reason
    quarantined = "select reason_code, reason_field, count(*) from raw.quarantine group by all"
    assert rows(wh, quarantined) == [("missing_required", "input_hash", want["without_input"])]
    assert result.duplicate == lines - result.accepted - result.rejected > 0
    # the human correction: an edit whose distance is that of the texts (here identical: 0)
    feedback = "select feedback_type, feedback_value, actor_role from raw.feedback_events"
    assert rows(wh, feedback) == [("edit", 0.0, "sme")]


def test_without_mapping_the_missing_fields_are_reported_and_quarantined(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    assert run_import(landing, "otlp", shared_dir / "realdata" / "traces" / "otlp") == 0
    out = capsys.readouterr().out
    assert "missing a required field" in out
    for field in ("tenant_id 2", "task_type 2", "country 2", "consent_scope 2"):
        assert field in out
    ingest(landing, wh, NOW, quality=False)
    assert rows(wh, "select reason_code, count(*) from raw.quarantine group by 1") == [
        ("missing_required", 2)
    ]


def test_reimport_adds_nothing(shared_dir: Path, tmp_path: Path) -> None:
    src = shared_dir / "realdata" / "traces" / "langfuse" / "crewai-2025-07-11.trace.json"
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    opts = ("--tenant", "acme", "--mapping", str(mapping_file(tmp_path)))
    assert run_import(landing, "langfuse", src, extra=opts) == 0
    [out] = list(landing.glob("*.jsonl"))
    first = out.read_bytes()
    first_ingest = ingest(landing, wh, NOW, quality=False)
    assert first_ingest.lines == first_ingest.accepted == 3

    # the same file again (also from another path): same output, unchanged; ingest skips it
    copy = tmp_path / "copy.json"
    copy.write_bytes(src.read_bytes())
    assert run_import(landing, "langfuse", src, copy, extra=opts) == 0
    assert list(landing.glob("*.jsonl")) == [out] and out.read_bytes() == first
    again = ingest(landing, wh, NOW, quality=False)
    assert again.files == [] and again.skipped == [out.name]  # landing-relative paths

    # re-imported into another landing folder: byte-identical under the same name, so ingest
    # knows it (files are identified by landing-relative path and content) and reads nothing
    other = tmp_path / "other"
    assert run_import(other, "langfuse", src, extra=opts) == 0
    assert (other / out.name).read_bytes() == first
    moved = ingest(other, wh, NOW, quality=False)
    assert moved.lines == 0 and moved.skipped == [out.name]


def test_reimport_with_other_settings_never_replaces_a_landing_file(tmp_path: Path) -> None:
    src = write_openinference(tmp_path / "oi.json")
    landing = tmp_path / "landing"
    assert run_import(landing, "openinference", src, extra=("--tenant", "a")) == 0
    before = {p: p.read_bytes() for p in landing.iterdir()}
    assert run_import(landing, "openinference", src, extra=("--tenant", "b")) == 2
    assert {p: p.read_bytes() for p in landing.iterdir()} == before


# --- OpenInference: a hand-made fixture following the OpenInference semantic conventions ----

TRACE = "0af7651916cd43dd8448eb211c80319c"
LLM_SPAN, RETRIEVER_SPAN = "b7ad6b7169203331", "00f067aa0ba902b7"


def kv(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def write_openinference(path: Path) -> Path:
    start = 1_795_000_000_000_000_000  # 2026-11-18
    retriever = {
        "traceId": TRACE, "spanId": RETRIEVER_SPAN, "name": "retrieve",
        "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 50_000_000),
        "attributes": [
            kv("openinference.span.kind", "RETRIEVER"),
            kv("retrieval.documents.1.document.id", "kb-7"),
            kv("retrieval.documents.0.document.id", "kb-12"),
        ],
    }
    llm = {
        "traceId": TRACE, "spanId": LLM_SPAN, "parentSpanId": RETRIEVER_SPAN, "name": "llm",
        "startTimeUnixNano": str(start + 60_000_000),
        "endTimeUnixNano": str(start + 1_560_000_000),
        "attributes": [
            kv("openinference.span.kind", "LLM"),
            kv("llm.model_name", "gpt-4o-2024-08-06"),
            kv("llm.token_count.prompt", 120),
            kv("llm.token_count.completion", 42),
            kv("llm.prompt_template.version", "support-v7"),
            kv("input.value", "How do I reset my password?"),
            kv("session.id", "sess-1"),
            kv("user.id", "u-9"),
            kv("floop.knowledge_version", "kb-2026-11-01"),
        ],
    }
    chain = {"traceId": TRACE, "spanId": "1111111111111111", "name": "chain",
             "attributes": [kv("openinference.span.kind", "CHAIN")]}
    doc = {
        "resourceSpans": [{
            "resource": {"attributes": [kv("floop.country", "FR"),
                                        kv("floop.consent_scope", "analytics,training"),
                                        kv("floop.task_type", "support_chat")]},
            "scopeSpans": [{"spans": [retriever, llm, chain]}],
        }],
        "annotations": [
            {"span_id": LLM_SPAN, "name": "correctness", "annotator_kind": "HUMAN",
             "result": {"label": "correct", "score": 1}, "user_id": "sme-3",
             "created_at": "2026-11-18T12:00:00Z"},
            {"span_id": LLM_SPAN, "name": "groundedness", "annotator_kind": "LLM",
             "result": {"label": "fail", "score": 0.25}, "created_at": "2026-11-18T12:01:00Z"},
            {"span_id": LLM_SPAN, "name": "json_valid", "annotator_kind": "CODE",
             "result": {"label": "pass", "score": 1}, "created_at": "2026-11-18T12:02:00Z"},
        ],
    }
    path.write_text(json.dumps(doc))
    return path


def test_openinference_spans_and_annotations(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    src = write_openinference(tmp_path / "phoenix.json")
    assert run_import(landing, "openinference", src, extra=("--tenant", "acme")) == 0
    result = ingest(landing, wh, NOW, quality=False)
    assert (result.lines, result.accepted) == (4, 4)
    assert rows(wh, """select tenant_id, trace_id, session_id, user_id, task_type, task_id,
        country, consent_scope, output_id, prompt_version, model_id, model_version,
        retrieval_ids, knowledge_version, input_tokens, output_tokens, server_latency_ms
        from raw.interaction_events""") == [(
        "acme", TRACE, "sess-1", "u-9", "support_chat", TRACE, "FR", ["analytics", "training"],
        LLM_SPAN, "support-v7", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06", ["kb-12", "kb-7"],
        "kb-2026-11-01", 120, 42, 1500.0,
    )]
    assert rows(wh, "select output_id, labeler_id, label_name, label_value from raw.label_events") \
        == [(LLM_SPAN, "sme-3", "correctness", "correct")]
    assert rows(wh, """select evaluator_id, eval_value, eval_passed from raw.evaluation_events
        order by 1""") == [("groundedness", 0.25, False), ("json_valid", 1.0, True)]


# --- malformed input --------------------------------------------------------------------------


def test_malformed_files_one_line_each_exit_2_and_good_files_still_land(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = tmp_path / "landing"
    bad_json = tmp_path / "a.json"
    bad_json.write_text("{not json")
    wrong_shape = tmp_path / "b.json"
    wrong_shape.write_text('{"spans": []}')
    good = tmp_path / "c.json.gz"
    good.write_bytes(gzip.compress(write_openinference(tmp_path / "c.json").read_bytes()))
    missing = tmp_path / "nope.json"
    rc = run_import(landing, "openinference", bad_json, wrong_shape, good, missing)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 3, err
    assert "a.json: not JSON" in err[0]
    assert "b.json: wrong shape" in err[1] and "resourceSpans" in err[1]
    assert "nope.json: cannot read" in err[2]
    assert len(list(landing.glob("*.jsonl"))) == 1  # the good (gzipped) file landed
    assert not list(landing.glob(".*"))  # no temporary file left behind


def test_span_without_ids_becomes_a_quarantine_line(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    span = {"name": "chat", "startTimeUnixNano": "1795000000000000000",
            "endTimeUnixNano": "1795000001000000000",
            "attributes": [kv("gen_ai.operation.name", "chat"),
                           kv("gen_ai.request.model", "m"),
                           kv("gen_ai.usage.output_tokens", 3),
                           kv("gen_ai.prompt", "hi")]}
    ok = dict(span, traceId=TRACE, spanId=LLM_SPAN)
    doc = {"resourceSpans": [{"resource": {"attributes": [
        kv("floop.country", "DE"), kv("floop.consent_scope", "analytics"),
        kv("floop.task_type", "support_chat")]},
        "scopeSpans": [{"spans": [span, span, ok]}]}]}
    src = tmp_path / "spans.json"
    src.write_text(json.dumps(doc))
    assert run_import(landing, "otlp", src, extra=("--tenant", "acme")) == 0
    result = ingest(landing, wh, NOW, quality=False)
    assert (result.lines, result.accepted, result.duplicate, result.rejected) == (3, 1, 0, 2)
    assert rows(wh, "select reason_code, reason_field from raw.quarantine") == [
        ("missing_required", "trace_id")
    ] * 2


def test_bad_mapping_is_a_one_line_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "m.yml"
    bad.write_text("fields:\n  colour: {default: red}\n")
    src = write_openinference(tmp_path / "oi.json")
    rc = run_import(tmp_path / "landing", "openinference", src, extra=("--mapping", str(bad)))
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and "fields.colour" in err


# --- Langfuse scores: every source and data type, and a correction's edit distance -----------


def levenshtein(a: str, b: str) -> int:
    """Reference: the textbook dynamic programme (independent of the importer's DuckDB)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def score(sid: str, source: str, data_type: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "name": sid, "source": source, "dataType": data_type, "value": value,
            "timestamp": "2026-11-18T12:00:00Z", "traceId": "t-1", "observationId": None,
            "authorUserId": "person-1", **extra}


def test_langfuse_scores_by_source_and_type(tmp_path: Path) -> None:
    output, corrected = "Refunds take 5 days.", "Refunds take 3-5 business days."
    gen = {"id": "g-1", "traceId": "t-1", "type": "GENERATION", "model": "gpt-4o",
           "startTime": "2026-11-18T10:00:00Z", "endTime": "2026-11-18T10:00:01.250Z",
           "input": "refund?", "output": json.dumps(output),
           "usageDetails": {"input": 5, "output": 7}, "metadata": "{}"}
    trace = {"id": "t-1", "sessionId": "s-1", "userId": "u-1", "output": json.dumps(output),
             "scores": [score("helpful", "API", "BOOLEAN", 0),
                        score("stars", "API", "NUMERIC", 4),
                        score("reason", "API", "CATEGORICAL", None, stringValue="too long"),
                        score("tone", "ANNOTATION", "CATEGORICAL", None, stringValue="polite"),
                        score("toxicity", "EVAL", "NUMERIC", 0.1)],
             "corrections": [score("output", "ANNOTATION", "CORRECTION", 0,
                                   longStringValue=corrected)]}
    src = tmp_path / "lf.json"
    src.write_text(json.dumps({"trace": trace, "observations": [gen]}))
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    opts = ("--tenant", "acme", "--mapping", str(mapping_file(tmp_path)))
    assert run_import(landing, "langfuse", src, extra=opts) == 0
    result = ingest(landing, wh, NOW, quality=False)
    assert (result.lines, result.accepted) == (7, 7)
    distance = levenshtein(output, corrected) / max(len(output), len(corrected))
    assert rows(wh, """select feedback_type, feedback_value, feedback_text, actor_role, output_id
        from raw.feedback_events order by 1""") == [
        ("comment", 0.0, "too long", "end_user", "g-1"),
        ("edit", pytest.approx(distance), None, "sme", "g-1"),
        ("rating", 4.0, None, "end_user", "g-1"),
        ("thumbs", -1.0, None, "end_user", "g-1"),
    ]
    assert rows(wh, "select label_name, label_value, labeler_id from raw.label_events") == [
        ("tone", "polite", "person-1")
    ]
    assert rows(wh, "select eval_metric, eval_value from raw.evaluation_events") == [
        ("toxicity", 0.1)
    ]
    assert rows(wh, "select server_latency_ms, session_id, user_id from raw.interaction_events") \
        == [(1250.0, "s-1", "u-1")]


def test_edit_distance_leaves_duckdbs_default_connection_usable() -> None:
    """It runs on the module's shared connection: a half-read result left there (fetchone on
    duckdb 2.x) made the next statement of any caller fail with ResourceInUseException."""
    assert edit_distance("abc", "abd") == pytest.approx(1 / 3)
    assert duckdb.sql("select 42").fetchall() == [(42,)]
