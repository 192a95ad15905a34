"""dbt staging models on real DuckDB files: an empty raw schema, hand-made rows (duplicates,
nulls, personal data) and rows that break the contract's enums. Each warehouse costs one
`dbt build --select staging` (models, data tests and unit tests), ~7 s."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from floop.contract import load_contract
from floop.dbt import run_dbt
from floop.hash_key import DEMO_KEY
from floop.warehouse import connect, ensure_raw_schema

pytestmark = pytest.mark.slow

HASH_KEY = "staging-test-key"
DEMO_KEY_WARNING = "FLOOP_HASH_KEY is the public demo key"
STAGING_MODELS = [
    "stg_interactions",
    "stg_feedback",
    "stg_outcomes",
    "stg_evaluations",
    "stg_labels",
    "stg_versions",
    "stg_ingest_ledger",
    "stg_quarantine",
    "stg_duplicate_events",
    "stg_unknown_fields",
]
# Personal values planted in raw; none may appear in any staging column.
PERSONAL = ["u42-secret", "actor-7-secret", "jane@example.com", "+49 30 1234567"]


def _ts(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        cols = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        con.execute(f"insert into raw.{table} ({cols}) values ({marks})", list(row.values()))


def _load(t: str, n: int, ingested: str = "2026-11-02 10:00:00") -> dict[str, Any]:
    return {
        "_source_file": f"{t}.jsonl",
        "_line_number": n,
        "_load_id": "load-1",
        "_ingested_at": _ts(ingested),
        "schema_version": "1",
    }


def _hand_made_rows(con: duckdb.DuckDBPyConnection) -> None:
    env = {"tenant_id": "acme", "trace_id": "t1"}
    interaction = {
        **env,
        "event_type": "interaction",
        "session_id": "s1",
        "task_type": "support_chat",
        "task_id": "ticket-991",
        "country": "DE",
        "input_hash": "9f2c",
        "prompt_version": "support-v7",
        "model_id": "gpt-x",
        "model_version": "2026-10-01",
        "output_tokens": 164,
        "server_latency_ms": 1620.0,
    }
    _insert(
        con,
        "interaction_events",
        [
            {
                **_load("i", 1),
                **interaction,
                "event_id": "i1",
                "output_id": "o1",
                "user_id": "u42-secret",
                "consent_scope": ["analytics", "training"],
                "retrieval_ids": ["kb-12", "kb-7"],
                "cited_ids": ["kb-12"],
                "knowledge_version": "kb-2026-11-01",
                "timestamp": _ts("2026-11-02 09:14:03"),
            },
            # the same event again, received later: dropped (first received wins)
            {
                **_load("i", 2, "2026-11-03 10:00:00"),
                **interaction,
                "event_id": "i1",
                "output_id": "o9",
                "consent_scope": [],
                "timestamp": _ts("2026-11-02 09:14:03"),
            },
            # a second event for o1, later in time: dropped (one row per output_id)
            {
                **_load("i", 3),
                **interaction,
                "event_id": "i2",
                "output_id": "o1",
                "consent_scope": [],
                "is_shadow": True,
                "timestamp": _ts("2026-11-02 09:30:00"),
            },
            {
                **_load("i", 4),
                **interaction,
                "event_id": "i3",
                "output_id": "o2",
                "consent_scope": [],
                "is_shadow": True,
                "timestamp": _ts("2026-11-03 23:59:59"),
            },
        ],
    )
    feedback = {**env, "event_type": "feedback", "output_id": "o1", "actor_role": "end_user"}
    _insert(
        con,
        "feedback_events",
        [
            {
                **_load("f", 1),
                **feedback,
                "event_id": "f1",
                "user_id": "u42-secret",
                "actor_id": "actor-7-secret",
                "feedback_type": "thumbs",
                "feedback_value": -1.0,
                "feedback_text": "wrong, mail jane@example.com or call +49 30 1234567 (support-v7)",
                "timestamp": _ts("2026-11-02 09:15:02"),
            },
            {
                **_load("f", 2),
                **feedback,
                "event_id": "f2",
                "feedback_type": "doc_click",
                "feedback_value": 1.0,
                "document_id": "kb-12",
                "timestamp": _ts("2026-11-02 09:16:00"),
            },
            {
                **_load("f", 3, "2026-11-05 10:00:00"),
                **feedback,
                "event_id": "f2",
                "feedback_type": "doc_click",
                "feedback_value": 1.0,
                "document_id": "kb-12",
                "timestamp": _ts("2026-11-02 09:16:00"),
            },
        ],
    )
    _insert(
        con,
        "outcome_events",
        [
            {
                **_load("o", 1),
                "event_id": "x1",
                "event_type": "outcome",
                "tenant_id": "acme",
                "task_type": "support_chat",
                "task_id": "ticket-991",
                "outcome_metric_name": "resolved",
                "outcome_metric_value": 1.0,
                "timestamp": _ts("2026-11-04 16:00:00"),
            }
        ],
    )
    evaluation = {
        **env,
        "event_type": "evaluation",
        "output_id": "o1",
        "evaluator_id": "groundedness",
        "evaluator_version": "3",
        "eval_metric": "groundedness",
        "eval_value": 0.62,
        "timestamp": _ts("2026-11-02 09:20:00"),
    }
    _insert(
        con,
        "evaluation_events",
        [
            {**_load("e", 1), **evaluation, "event_id": "v1", "eval_passed": False},
            {**_load("e", 2), **evaluation, "event_id": "v2", "golden_task_id": "g-1"},
        ],
    )
    _insert(
        con,
        "label_events",
        [
            {
                **_load("l", 1),
                **env,
                "event_id": "l1",
                "event_type": "label",
                "output_id": "o1",
                "labeler_id": "sme-3",
                "taxonomy_version": "2",
                "label_name": "correctness",
                "label_value": "partially_correct",
                "timestamp": _ts("2026-11-03 11:00:00"),
            }
        ],
    )
    _insert(
        con,
        "version_events",
        [
            {
                **_load("v", 1),
                "event_id": "r1",
                "event_type": "version",
                "version_kind": "prompt",
                "version_id": "support-v7",
                "parent_version_id": "support-v6",
                "timestamp": _ts("2026-10-30 08:00:00"),
            }
        ],
    )
    now = _ts("2026-11-05 10:00:00")
    _insert(
        con,
        "ingest_ledger",
        [
            {
                "load_id": "load-1",
                "file_path": "a.jsonl",
                "file_format": "jsonl",
                "file_size_bytes": 100,
                "sha256": "ab" * 32,
                "lines": 15,
                "accepted": 12,
                "duplicate": 2,
                "rejected": 1,
                "ingested_at": now,
                "duration_ms": 5.0,
            }
        ],
    )
    _insert(
        con,
        "quarantine",
        [
            {
                "load_id": "load-1",
                "source_file": "a.jsonl",
                "line_number": 7,
                "raw_line": '{"user_id": "u42-secret", "feedback_text": "jane@example.com"',
                "reason_code": "invalid_json",
                "reason_message": "not valid JSON",
                "ingested_at": now,
            }
        ],
    )
    _insert(
        con,
        "duplicate_events",
        [
            {
                "load_id": "load-1",
                "source_file": "a.jsonl",
                "line_number": 2,
                "event_id": "i1",
                "event_type": "interaction",
                "event_timestamp": _ts("2026-11-02 09:14:03"),
                "ingested_at": now,
            }
        ],
    )
    _insert(
        con,
        "unknown_fields",
        [
            {
                "load_id": "load-1",
                "source_file": "a.jsonl",
                "event_type": "interaction",
                "field_name": "browser",
                "events": 3,
            }
        ],
    )


def _warehouse(path: Path, fill: Any = None) -> Path:
    con = connect(path)
    ensure_raw_schema(con)
    if fill:
        fill(con)
    con.close()
    return path


def _build(wh: Path, monkeypatch: pytest.MonkeyPatch, key: str | None, check: bool = True) -> str:
    if key is None:
        monkeypatch.delenv("FLOOP_HASH_KEY", raising=False)
    else:
        monkeypatch.setenv("FLOOP_HASH_KEY", key)
    proc = run_dbt(["build", "--select", "staging"], wh, capture=True, check=check)
    return proc.stdout


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    wh = _warehouse(tmp_path_factory.mktemp("stg") / "hand.duckdb", _hand_made_rows)
    mp = pytest.MonkeyPatch()
    try:
        out = _build(wh, mp, HASH_KEY)
    finally:
        mp.undo()
    return wh, out


def test_empty_raw_schema_builds_and_warns_once_about_the_demo_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = _warehouse(tmp_path / "empty.duckdb")
    out = _build(wh, monkeypatch, DEMO_KEY)
    assert out.count(DEMO_KEY_WARNING) == 1, out[-3000:]
    con = duckdb.connect(str(wh), read_only=True)
    for model in STAGING_MODELS:
        assert con.execute(f"select count(*) from staging.{model}").fetchone() == (0,)


def test_hand_made_rows_build_green_without_warning(hand_made: tuple[Path, str]) -> None:
    _, out = hand_made
    assert "Completed successfully" in out
    assert DEMO_KEY_WARNING not in out


def _q(wh: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_dedupe_defaults_and_derived_columns(hand_made: tuple[Path, str]) -> None:
    wh, _ = hand_made
    rows = _q(
        wh,
        "select event_id, output_id, is_shadow, retrieved_count, cited_count, "
        "has_analytics_consent, has_evaluation_consent, has_training_consent, event_date, "
        "source_file from staging.stg_interactions order by event_id",
    )
    assert [r[:2] for r in rows] == [("i1", "o1"), ("i3", "o2")]
    assert rows[0][2:9] == (False, 2, 1, True, False, True, _ts("2026-11-02").date())
    assert rows[0][9] == "i.jsonl"
    assert rows[1][2:6] == (True, 0, 0, False)
    assert _q(wh, "select event_id from staging.stg_feedback order by 1") == [("f1",), ("f2",)]
    kinds = dict(_q(wh, "select feedback_type, feedback_kind from staging.stg_feedback"))
    contract_kinds = load_contract().feedback_kinds
    assert kinds == {t: contract_kinds[t] for t in ("thumbs", "doc_click")}
    assert _q(wh, "select event_id, is_golden from staging.stg_evaluations order by 1") == [
        ("v1", False),
        ("v2", True),
    ]
    assert _q(wh, "select event_id, event_at from staging.stg_duplicate_events") == [
        ("i1", _ts("2026-11-02 09:14:03"))
    ]


def test_identifiers_are_keyed_hashes(hand_made: tuple[Path, str]) -> None:
    wh, _ = hand_made
    user_key, actor_key = _q(
        wh, "select user_key, actor_key from staging.stg_feedback where event_id = 'f1'"
    )[0]
    assert user_key == hashlib.sha256(f"{HASH_KEY}|u42-secret".encode()).hexdigest()
    assert actor_key == hashlib.sha256(f"{HASH_KEY}|actor-7-secret".encode()).hexdigest()
    (interaction_key,) = _q(
        wh, "select user_key from staging.stg_interactions where event_id = 'i1'"
    )[0]
    assert interaction_key == user_key  # the same person joins across models
    (text,) = _q(
        wh, "select feedback_text_redacted from staging.stg_feedback where event_id = 'f1'"
    )[0]
    assert text == "wrong, mail [EMAIL] or call [PHONE] (support-v7)"


def test_no_personal_data_in_staging(hand_made: tuple[Path, str]) -> None:
    """No raw identifier, email or phone in any staging column; no personal column names;
    the hash key is not stored in any view definition."""
    wh, _ = hand_made
    columns = _q(
        wh,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'staging' order by all",
    )
    names = {c for _, c in columns}
    assert not names & {"user_id", "actor_id", "feedback_text", "raw_line"}
    assert {t for t, _ in columns} >= set(STAGING_MODELS)
    con = duckdb.connect(str(wh), read_only=True)
    leaks = []
    for table, column in columns:
        for value in PERSONAL:
            n = con.execute(
                f'select count(*) from staging."{table}" '
                f'where contains(cast("{column}" as varchar), ?)',
                [value],
            ).fetchone()[0]
            if n:
                leaks.append(f"{table}.{column} contains {value!r}")
    views = con.execute("select sql from duckdb_views() where schema_name = 'staging'").fetchall()
    con.close()
    assert not leaks
    assert views and not any(HASH_KEY in sql for (sql,) in views)


def _bad_rows(con: duckdb.DuckDBPyConnection) -> None:
    _hand_made_rows(con)
    con.execute("update raw.feedback_events set actor_role = 'robot' where event_id = 'f1'")
    con.execute(
        "update raw.interaction_events set consent_scope = ['marketing'] where event_id = 'i3'"
    )
    con.execute("update raw.ingest_ledger set lines = lines + 1")  # a line lost
    con.execute("update raw.quarantine set reason_code = 'mystery'")


def test_contract_enums_are_tested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values outside the contract's enums fail the build (the tests can fail)."""
    wh = _warehouse(tmp_path / "bad.duckdb", _bad_rows)
    out = _build(wh, monkeypatch, HASH_KEY, check=False)
    failed = {line.split("FAIL 1 ")[1].split()[0] for line in out.splitlines() if "FAIL 1 " in line}
    assert any(name.startswith("accepted_values_stg_feedback_actor_role") for name in failed), out
    assert any(
        name.startswith("elements_accepted_values_stg_interactions_consent_scope")
        for name in failed
    ), out
    assert any(name.startswith("rows_satisfy_stg_ingest_ledger") for name in failed), out
    assert any(name.startswith("accepted_values_stg_quarantine_reason_code") for name in failed)
    assert len(failed) == 4, failed  # and nothing else fails


def test_built_column_types_are_the_declared_ones(hand_made: tuple[Path, str]) -> None:
    """What DuckDB actually built equals the generated YAML (itself checked against the
    contract by test_contract_drift.py), column by column and in order."""
    wh, _ = hand_made
    declared = yaml.safe_load(
        (Path(__file__).parent.parent / "models/staging/events/_models.yml").read_text()
    )
    for model in declared["models"]:
        built = _q(
            wh,
            "select column_name, data_type from information_schema.columns where "
            f"table_schema = 'staging' and table_name = '{model['name']}' "
            "order by ordinal_position",
        )
        expected = [(c["name"], c["data_type"].upper()) for c in model["columns"]]
        assert built == expected, model["name"]


# --- end to end: simulated traffic -> floop ingest -> dbt build (the shared session fixture) --


def test_planted_personal_data_is_redacted_end_to_end(
    demo_landing: Path, built_warehouse: Path
) -> None:
    """Every personal value the simulator planted in feedback text (its truth file) is gone
    from stg_feedback, replaced by the token of its kind."""
    truth = json.loads(demo_landing.with_name(demo_landing.name + ".truth.json").read_text())
    planted = [p for p in truth["pii"] if p["field"] == "feedback_text"]
    assert planted, "the simulator plants personal data"
    texts = dict(
        _q(built_warehouse, "select event_id, feedback_text_redacted from staging.stg_feedback")
    )
    wrong = []
    for p in planted:
        text = texts.get(p["event_id"])
        if text is None or p["value"] in text or f"[{p['kind'].upper()}]" not in text:
            wrong.append(f"{p['event_id']} {p['kind']}: {text!r}")
    assert not wrong, wrong


def test_no_raw_identifier_outside_raw(built_warehouse: Path) -> None:
    """No user_id/actor_id value and no planted personal text appears in any column of any
    schema other than raw (staging, intermediate, marts, ...)."""
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        con.execute(
            "create temp table ids as "
            "select user_id as v from raw.interaction_events where user_id is not null union "
            "select user_id from raw.feedback_events where user_id is not null union "
            "select actor_id from raw.feedback_events where actor_id is not null"
        )
        assert con.execute("select count(*) from temp.ids").fetchone()[0] > 0
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema not in ('raw', 'information_schema', 'pg_catalog') "
            "and table_catalog = current_database() and data_type = 'VARCHAR'"
        ).fetchall()
        leaks = []
        for schema, table, column in columns:
            (n,) = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" in '
                "(select v from temp.ids)"
            ).fetchone()
            if n:
                leaks.append(f"{schema}.{table}.{column}: {n} raw identifiers")
    finally:
        con.close()
    assert columns and not leaks, leaks
