"""Round trip: spans emitted with the OpenTelemetry SDK (in-memory exporter), encoded as OTLP
JSON by the SDK's own protobuf encoder -> `floop import otlp` -> ingest -> real dbt build ->
every value found in `marts.fct_interactions`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from google.protobuf.json_format import MessageToJson
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floop.cli import main
from floop.dbt import run_dbt
from floop.ingest import ingest

NOW = datetime(2026, 11, 20, tzinfo=UTC)
START_NS = int(datetime(2026, 11, 19, 10, 0, tzinfo=UTC).timestamp() * 1e9)

RESOURCE = {
    "service.name": "support-bot",
    "tenant.id": "acme",
    "floop.task_type": "support_chat",
    "floop.country": "DE",
    "floop.consent_scope": "analytics,training",
    "floop.knowledge_version": "kb-2026-11-01",
}
CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.response.id": "chatcmpl-42",
    "gen_ai.conversation.id": "conv-7",
    "gen_ai.prompt.name": "support-v7",
    "gen_ai.usage.input_tokens": 812,
    "gen_ai.usage.output_tokens": 164,
    "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"refund?"}]}]',
    "floop.task_id": "ticket-991",
    "user.id": "u42",
}


def emit_otlp_json(path: Path) -> tuple[str, str]:
    """A retrieval span, then a chat span with an evaluation event; returns (trace id, the
    chat span's id) as hex. Encoded by the SDK's OTLP encoder, then protobuf's JSON mapping."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(RESOURCE))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("roundtrip-test")
    with tracer.start_as_current_span("request", start_time=START_NS) as root:
        retrieval = tracer.start_span(
            "retrieval kb",
            start_time=START_NS + 1_000_000,
            attributes={
                "gen_ai.operation.name": "retrieval",
                "gen_ai.retrieval.documents": '[{"id":"kb-12","score":0.9},{"id":"kb-7"}]',
            },
        )
        retrieval.end(end_time=START_NS + 40_000_000)
        chat = tracer.start_span("chat gpt-4o", start_time=START_NS + 50_000_000, attributes=CHAT)
        chat.add_event(
            "gen_ai.evaluation.result",
            attributes={
                "gen_ai.evaluation.name": "groundedness",
                "gen_ai.evaluation.score.value": 0.62,
                "gen_ai.evaluation.score.label": "fail",
            },
            timestamp=START_NS + 2_000_000_000,
        )
        chat.end(end_time=START_NS + 1_670_500_000)  # 1620.5 ms
        root.end(end_time=START_NS + 1_700_000_000)
    provider.shutdown()
    spans = exporter.get_finished_spans()
    path.write_text(MessageToJson(encode_spans(spans)))
    ctx = chat.get_span_context()
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


@pytest.mark.slow
def test_sdk_spans_reach_fct_interactions(tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    trace_id, _ = emit_otlp_json(tmp_path / "spans.json")
    assert main(["import", "otlp", str(tmp_path / "spans.json"), "--landing", str(landing)]) == 0
    result = ingest(landing, wh, NOW, quality=False)
    assert (result.lines, result.accepted) == (2, 2)  # the interaction and its evaluation
    run_dbt(["build"], wh, now=NOW)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        got = con.execute(
            """select output_id, tenant_id, trace_id, session_id, task_type, task_id, country,
                consent_scope, has_training_consent, prompt_version, model_id, model_version,
                knowledge_version, input_tokens, output_tokens, server_latency_ms,
                retrieved_count, interacted_at, user_key is not null, eval_count,
                eval_verdict_count, eval_passed_count
            from marts.fct_interactions"""
        ).fetchall()
        docs = con.execute(
            """select document_id, mean_retrieval_rank, knowledge_version
            from marts.fct_document_retrieval order by 2"""
        ).fetchall()
    finally:
        con.close()
    assert got == [(
        "chatcmpl-42", "acme", trace_id, "conv-7", "support_chat", "ticket-991", "DE",
        ["analytics", "training"], True, "support-v7", "gpt-4o", "gpt-4o-2024-08-06",
        "kb-2026-11-01", 812, 164, 1620.5, 2,
        datetime(2026, 11, 19, 10, 0, 0, 50_000), True, 1, 1, 0,
    )]
    assert docs == [("kb-12", 1.0, "kb-2026-11-01"), ("kb-7", 2.0, "kb-2026-11-01")]
