"""Incremental == full refresh for the wide fact and the marts made incremental (issue 14), on
hand-made days loaded one after another: a retry that re-assigns attribution to a newer
interaction, a corrected outcome, an outcome arriving days late (outside the look-back
window), orphan feedback whose interaction lands later, a duplicate and a rejected line. Each
day builds what `floop run` would (`floop.build_state`: only the models downstream of the
sources that got new rows; issue 14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from floop.build_state import plan_build, record_build
from floop.config import Layout, parse_now
from floop.dbt import run_dbt
from floop.ingest import ingest

pytestmark = pytest.mark.slow

TENANT = "acme"
# Look-back of one day, so every late change in the scenario below lies outside the window
# and only the ingested_at watermark can bring it in.
VARS = {"lookback_days": 1}
DBT_NOW = parse_now("2026-11-12T00:00:00Z")
# The models under test and everything upstream of them (issue 14: the marts made incremental).
WITHIN = ["+fct_interactions", "+fct_review_context", "+fct_document_retrieval"]
SELECT = ["--select", " ".join(WITHIN)]
# Each day's selection of the incremental build (the sources that changed), in order.
PLANNED: list[list[str]] = []


def interaction(
    output_id: str, task_type: str, task_id: str, ts: str, *, shadow: bool = False, **extra: Any
) -> dict[str, Any]:
    event = {
        "event_id": f"ev-{output_id}",
        "event_type": "interaction",
        "schema_version": "1",
        "timestamp": ts,
        "tenant_id": TENANT,
        "trace_id": f"tr-{output_id}",
        "session_id": f"s-{task_id}",
        "user_id": "u1",
        "task_type": task_type,
        "task_id": task_id,
        "country": "DE",
        "consent_scope": ["analytics", "training"],
        "output_id": output_id,
        "input_hash": "h",
        "prompt_version": "p1",
        "model_id": "gpt-x",
        "model_version": "m1",
        "output_tokens": 10,
        "server_latency_ms": 100,
        "is_shadow": shadow,
    }
    event.update(extra)
    return event


def feedback(
    event_id: str, output_id: str, ts: str, ftype: str, value: float, role: str = "end_user"
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": "feedback",
        "schema_version": "1",
        "timestamp": ts,
        "tenant_id": TENANT,
        "trace_id": f"tr-{output_id}",
        "output_id": output_id,
        "feedback_type": ftype,
        "feedback_value": value,
        "actor_role": role,
    }


def outcome(
    event_id: str, task_type: str, task_id: str, ts: str, metric: str, value: float
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": "outcome",
        "schema_version": "1",
        "timestamp": ts,
        "tenant_id": TENANT,
        "task_type": task_type,
        "task_id": task_id,
        "outcome_metric_name": metric,
        "outcome_metric_value": value,
    }


# (ingest clock, events of that day's file)
DAYS: list[tuple[str, list[dict[str, Any] | str]]] = [
    (
        "2026-11-02T23:00:00Z",
        [
            interaction("a1", "support_chat", "A", "2026-11-02T10:00:00Z"),
            interaction("b1", "code_assist", "B", "2026-11-02T11:00:00Z"),
            interaction(
                "b1s", "code_assist", "B", "2026-11-02T11:00:01Z", shadow=True, prompt_version="p2"
            ),
            interaction(
                "c1",
                "rag_qa",
                "C",
                "2026-11-01T12:00:00Z",
                retrieval_ids=["d1", "d2"],
                cited_ids=["d1"],
                knowledge_version="kb-1",
            ),
            feedback("f1", "a1", "2026-11-02T10:05:00Z", "thumbs", 1),
            feedback("f2", "b1", "2026-11-02T11:05:00Z", "thumbs", -1, "anonymous"),
            feedback("f3", "b1", "2026-11-02T11:06:00Z", "thumbs", -1, "anonymous"),
            # orphan: its interaction d1 lands two days later
            feedback("f4", "d1", "2026-11-02T09:00:00Z", "thumbs", 1, "sme"),
            outcome("o1", "support_chat", "A", "2026-11-02T20:00:00Z", "resolved", 0),
        ],
    ),
    (
        "2026-11-03T23:00:00Z",
        [
            # a retry of task A: a1 (day 1) becomes superseded, a2 carries the outcome
            interaction("a2", "support_chat", "A", "2026-11-03T09:00:00Z", prompt_version="p2"),
            # corrected outcome: the later timestamp wins
            outcome("o2", "support_chat", "A", "2026-11-03T12:00:00Z", "resolved", 1),
            outcome("o3", "support_chat", "A", "2026-11-03T12:00:00Z", "csat", 4),
            interaction("e1", "support_chat", "E", "2026-11-03T15:00:00Z"),
        ],
    ),
    (
        "2026-11-04T23:00:00Z",
        [
            # late interaction for the orphan feedback, on day 1
            interaction("d1", "rag_qa", "D", "2026-11-02T08:00:00Z"),
            interaction(
                "h0",
                "rag_qa",
                "H0",
                "2026-11-04T09:00:00Z",
                retrieval_ids=["d3"],
                knowledge_version="kb-1",
            ),
            outcome("o4", "code_assist", "B", "2026-11-04T10:00:00Z", "tests_passed", 1),
            {
                "event_id": "v1",
                "event_type": "evaluation",
                "schema_version": "1",
                "timestamp": "2026-11-04T10:00:00Z",
                "tenant_id": TENANT,
                "trace_id": "tr-b1s",
                "output_id": "b1s",
                "evaluator_id": "unit_tests",
                "evaluator_version": "1",
                "eval_metric": "pass",
                "eval_value": 1,
                "eval_passed": True,
            },
            {
                "event_id": "l1",
                "event_type": "label",
                "schema_version": "1",
                "timestamp": "2026-11-04T11:00:00Z",
                "tenant_id": TENANT,
                "trace_id": "tr-c1",
                "output_id": "c1",
                "labeler_id": "sme-1",
                "taxonomy_version": "1",
                "label_name": "correctness",
                "label_value": "correct",
            },
        ],
    ),
    (
        "2026-11-10T23:00:00Z",
        [
            # outcome of C lands 8 days late; B's outcome is corrected to 0
            outcome("o5", "rag_qa", "C", "2026-11-01T18:00:00Z", "answer_accepted", 1),
            outcome("o6", "code_assist", "B", "2026-11-09T10:00:00Z", "tests_passed", 0),
            feedback("f5", "e1", "2026-11-10T10:00:00Z", "edit", 0.5),
            # a second vote on a1 (day 1) and a second evaluation of b1s: re-aggregated in full
            feedback("f6", "a1", "2026-11-10T10:00:00Z", "thumbs", -1, "anonymous"),
            {
                "event_id": "v2",
                "event_type": "evaluation",
                "schema_version": "1",
                "timestamp": "2026-11-10T10:00:00Z",
                "tenant_id": TENANT,
                "trace_id": "tr-b1s",
                "output_id": "b1s",
                "evaluator_id": "groundedness",
                "evaluator_version": "1",
                "eval_metric": "groundedness",
                "eval_value": 0.2,
                "eval_passed": False,
            },
            feedback("f1", "a1", "2026-11-02T10:05:00Z", "thumbs", 1),  # duplicate event_id
            "{not json",
            interaction("g1", "support_chat", "G", "2026-11-10T10:00:00Z"),
            # a second event for e1 (day 2), earlier: it becomes the staged row; and one for
            # a2, later: it loses, a2 stays as staged
            interaction(
                "e1",
                "support_chat",
                "E",
                "2026-11-03T14:00:00Z",
                event_id="ev-e1-early",
                prompt_version="p3",
                # in another session: the old session is left without events
                session_id="s-E-moved",
            ),
            interaction("a2", "support_chat", "A", "2026-11-03T10:00:00Z", event_id="ev-a2-late"),
            # a late click on c1's second document (day 1), and h0 (day 3) re-sent earlier
            # without retrievals: its documents must go
            {**feedback("f9", "c1", "2026-11-10T11:00:00Z", "doc_click", 1), "document_id": "d2"},
            interaction("h0", "rag_qa", "H0", "2026-11-04T08:00:00Z", event_id="ev-h0-early"),
        ],
    ),
    # the same clock as the load before, then an earlier one (a backfill): the ingest stamp
    # still moves forward, so nothing here may be missed by the watermarks
    (
        "2026-11-10T23:00:00Z",
        [
            feedback("f7", "b1", "2026-11-10T12:00:00Z", "thumbs", -1),
            outcome("o9", "support_chat", "A", "2026-11-10T12:00:00Z", "resolved", 0),
        ],
    ),
    (
        "2026-11-05T23:00:00Z",
        [
            interaction("h1", "rag_qa", "H", "2026-11-05T09:00:00Z"),
            feedback("f8", "a2", "2026-11-05T12:00:00Z", "copy", 1),
        ],
    ),
]


def write_day(landing: Path, index: int, events: list[dict[str, Any] | str]) -> None:
    lines = [e if isinstance(e, str) else json.dumps(e) for e in events]
    (landing / f"day{index}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def table_rows(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def wide(warehouse: Path) -> list[tuple[Any, ...]]:
    return table_rows(warehouse, "select * from marts.fct_interactions order by output_id")


@pytest.fixture(scope="module")
def incremental_and_full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    landing.mkdir()
    inc = root / "inc.duckdb"
    run_dbt(["seed"], inc, vars=VARS, now=DBT_NOW, capture=True)
    for i, (now, events) in enumerate(DAYS):
        write_day(landing, i, events)
        ingest(landing, inc, parse_now(now), quality=False)  # GX not under test here
        planned_run(inc)
    full = root / "full.duckdb"
    shutil.copy(inc, full)
    # the same hash key (floop.hash_key): a key of its own would change every user_key (the
    # suite sets FLOOP_HASH_KEY, tests/conftest.py; a key file exists only without it)
    if (key_file := Layout.for_warehouse(inc).hash_key_file).exists():
        shutil.copy(key_file, Layout.for_warehouse(full).hash_key_file)
    run_dbt(["run", *SELECT, "--full-refresh"], full, vars=VARS, now=DBT_NOW, capture=True)
    return inc, full


def planned_run(warehouse: Path) -> None:
    """`dbt run` of what the build plan selects (within WITHIN), then recorded as
    `floop run` records it."""
    layout = Layout.for_warehouse(warehouse)
    manifest = json.loads((layout.dbt_target / "manifest.json").read_text())
    plan = plan_build(layout, manifest, DBT_NOW)
    PLANNED.append(plan.select)
    if not plan.build:
        return
    select = " ".join(f"{s},{within}" for s in plan.select for within in WITHIN) or SELECT[1]
    # as BuildPlan.select_args: the views (unchanged definitions) are not created again
    exclude = ["--exclude", " ".join(plan.views)] if plan.views else []
    run_dbt(["run", "--select", select, *exclude], warehouse, vars=VARS, now=DBT_NOW, capture=True)
    record_build(layout, manifest, plan, DBT_NOW)


INCREMENTAL_MODELS = [
    "staging.stg_interactions",
    "staging.stg_feedback",
    "staging.stg_evaluations",
    "staging.stg_labels",
    "staging.stg_outcomes",
    "intermediate.int_feedback_per_output",
    "intermediate.int_evaluations_per_output",
    "intermediate.int_labels_per_output",
    "intermediate.int_outcomes_latest",
    "intermediate.int_task_outcomes",
    "intermediate.int_task_attribution",
    "marts.fct_interactions",
    "marts.fct_review_context",
    "intermediate.int_document_retrievals",
    "marts.fct_document_retrieval",
]


@pytest.mark.parametrize("table", INCREMENTAL_MODELS)
def test_incremental_equals_full_refresh(
    incremental_and_full: tuple[Path, Path], table: str
) -> None:
    inc, full = incremental_and_full
    sql = f"select * from {table} order by all"
    inc_rows, full_rows = table_rows(inc, sql), table_rows(full, sql)
    assert full_rows
    assert inc_rows == full_rows


def test_models_of_unchanged_sources_were_not_run(
    incremental_and_full: tuple[Path, Path],
) -> None:
    """The equality above held although some days left the interaction models out."""
    assert PLANNED[0] == []  # the first build: the whole project
    days_without = [s for s in PLANNED[1:] if "source:events.interaction_events+" not in s]
    assert days_without and all(days_without)


def test_wide_fact_has_every_interaction(incremental_and_full: tuple[Path, Path]) -> None:
    _, full = incremental_and_full
    assert len(wide(full)) == 10  # a1 a2 b1 b1s c1 d1 e1 g1 h0 h1


def test_staged_interaction_is_the_first_by_event_time(
    incremental_and_full: tuple[Path, Path],
) -> None:
    """A later load's earlier event replaces the staged row; a later event does not."""
    inc, _ = incremental_and_full
    staged = dict(
        table_rows(
            inc,
            "select output_id, event_id from staging.stg_interactions "
            "where output_id in ('a2', 'e1')",
        )
    )
    assert staged == {"a2": "ev-a2", "e1": "ev-e1-early"}


def test_late_changes_reach_old_rows(incremental_and_full: tuple[Path, Path]) -> None:
    inc, _ = incremental_and_full
    rows = {
        r[0]: r[1:]
        for r in table_rows(
            inc,
            "select output_id, carries_outcome, is_superseded, primary_outcome_value, "
            "thumbs_up_count, edit_count, eval_count from marts.fct_interactions",
        )
    }
    # retry on day 2 superseded a1; the outcome corrected again (to 0) by the load that
    # repeated the previous clock is on both rows of task A
    assert rows["a1"][:3] == (False, True, 0.0)
    assert rows["a2"][:3] == (True, False, 0.0)
    # the backfill load (an earlier clock) is in: its interaction and its feedback
    assert "h1" in rows
    assert table_rows(
        inc, "select is_copied from marts.fct_interactions where output_id = 'a2'"
    ) == [(True,)]
    # B corrected to 0 on day 4; the shadow b1s carries nothing but has its evaluation
    assert rows["b1"][:3] == (True, False, 0.0)
    assert rows["b1s"][:3] == (False, False, None) and rows["b1s"][5] == 2
    # C's outcome landed 8 days late, outside the 1-day look-back
    assert rows["c1"][2] == 1.0
    # the orphan thumbs-up found its interaction; e1's late edit is counted; the duplicate
    # thumbs event is not
    assert rows["d1"][3] == 1
    assert rows["e1"][4] == 1
    assert rows["a1"][3] == 1
    assert table_rows(
        inc, "select thumbs_down_count from marts.fct_interactions where output_id = 'a1'"
    ) == [(1,)]
