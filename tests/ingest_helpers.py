"""Hand-made events for the ingest tests: one valid event per type, changed per test."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

NOW = datetime(2026, 11, 20)
DROP = object()  # marks a key to remove from the base event

BASE: dict[str, dict[str, Any]] = {
    "interaction": {
        "event_type": "interaction",
        "schema_version": "1",
        "timestamp": "2026-11-02T09:14:03.120Z",
        "tenant_id": "acme",
        "trace_id": "t1",
        "session_id": "s1",
        "user_id": "u42",
        "task_type": "support_chat",
        "task_id": "ticket-991",
        "country": "DE",
        "consent_scope": ["analytics", "training"],
        "output_id": "o1",
        "input_hash": "9f2c",
        "prompt_version": "support-v7",
        "model_id": "gpt-x",
        "model_version": "2026-10-01",
        "retrieval_ids": ["kb-12", "kb-7"],
        "cited_ids": ["kb-12"],
        "knowledge_version": "kb-2026-11-01",
        "input_tokens": 812,
        "output_tokens": 164,
        "client_latency_ms": 1840,
        "server_latency_ms": 1620.5,
        "experiment_id": "exp-1",
        "variant": "treatment",
    },
    "feedback": {
        "event_type": "feedback",
        "schema_version": "1",
        "timestamp": "2026-11-02T09:14:40Z",
        "tenant_id": "acme",
        "trace_id": "t1",
        "output_id": "o1",
        "feedback_type": "thumbs",
        "feedback_value": -1,
        "actor_role": "end_user",
    },
    "outcome": {
        "event_type": "outcome",
        "schema_version": "1",
        "timestamp": "2026-11-04T16:00:00Z",
        "tenant_id": "acme",
        "task_type": "support_chat",
        "task_id": "ticket-991",
        "outcome_metric_name": "resolved",
        "outcome_metric_value": 1,
    },
    "evaluation": {
        "event_type": "evaluation",
        "schema_version": "1",
        "timestamp": "2026-11-02T09:20:00Z",
        "tenant_id": "acme",
        "trace_id": "t1",
        "output_id": "o1",
        "evaluator_id": "groundedness",
        "evaluator_version": "3",
        "eval_metric": "groundedness",
        "eval_value": 0.62,
        "eval_passed": False,
    },
    "label": {
        "event_type": "label",
        "schema_version": "1",
        "timestamp": "2026-11-03T11:00:00Z",
        "tenant_id": "acme",
        "trace_id": "t1",
        "output_id": "o1",
        "labeler_id": "sme-3",
        "taxonomy_version": "2",
        "label_name": "correctness",
        "label_value": "partially_correct",
    },
    "version": {
        "event_type": "version",
        "schema_version": "1",
        "timestamp": "2026-10-30T08:00:00Z",
        "version_kind": "prompt",
        "version_id": "support-v7",
        "parent_version_id": "support-v6",
    },
}


def event(event_type: str, event_id: str, /, **changes: Any) -> dict[str, Any]:
    out = {"event_id": event_id, **BASE[event_type]}
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def line(event_type: str, event_id: str, /, **changes: Any) -> str:
    return json.dumps(event(event_type, event_id, **changes))


def write_lines(path: Path, lines: list[str], trailing_newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("\n" if trailing_newline else ""), encoding="utf-8")
    return path


def query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_counts(warehouse: Path) -> dict[str, int]:
    """Rows per raw table (events per type, quarantine, duplicates, ledger sums)."""
    tables = [f"{t}_events" for t in BASE] + ["quarantine", "duplicate_events"]
    out = {t: query(warehouse, f"select count(*) from raw.{t}")[0][0] for t in tables}
    ledger = query(
        warehouse,
        "select coalesce(sum(lines), 0), coalesce(sum(accepted), 0), "
        "coalesce(sum(duplicate), 0), coalesce(sum(rejected), 0), count(*) from raw.ingest_ledger",
    )[0]
    out.update(
        ledger_lines=ledger[0],
        ledger_accepted=ledger[1],
        ledger_duplicate=ledger[2],
        ledger_rejected=ledger[3],
        ledger_files=ledger[4],
    )
    return out
