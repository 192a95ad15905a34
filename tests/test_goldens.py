"""Golden tasks on simulated traffic: fct_golden_results and the version marts' golden columns
equal the simulator's truth (golden runs have no interaction; they are versioned by their own
fields)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from floop.cli import main
from floop.goldens import propose

pytestmark = pytest.mark.slow

GRAIN = ("workflow", "model_id", "model_version", "prompt_version")


def _truth(demo_landing: Path) -> list[dict]:
    truth_path = demo_landing.parent / f"{demo_landing.name}.truth.json"
    return json.loads(truth_path.read_text())["golden"]["by_version"]


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_golden_results_equal_the_truth(built_warehouse: Path, demo_landing: Path) -> None:
    truth = {tuple(r[k] for k in GRAIN): r for r in _truth(demo_landing)}
    assert len(truth) >= 4, "the simulator runs goldens of every workflow and the candidate"
    rows = _query(
        built_warehouse,
        "select workflow, model_id, model_version, prompt_version, golden_tasks_covered, "
        "golden_pass_rate_denominator, golden_pass_rate_numerator, golden_pass_rate, "
        "golden_score_mean, golden_tasks_registered from marts.fct_golden_results",
    )
    assert {r[:4] for r in rows} == set(truth)
    for *key, covered, n, passed, rate, score, registered in rows:
        want = truth[tuple(key)]
        assert (covered, n, passed) == (want["tasks_covered"], want["evaluations"], want["passed"])
        assert rate == pytest.approx(want["pass_rate"], abs=1e-12)
        assert score == pytest.approx(want["score_mean"], abs=1e-9)
        assert registered == 10


def test_version_marts_carry_the_golden_pass_rate(
    built_warehouse: Path, demo_landing: Path
) -> None:
    """Summed over weeks (and tenants), each version's golden counts equal the truth; before
    the fix the denominator was 0 in every row."""
    truth = {
        (r["workflow"], r["model_id"], r["model_version"], r["prompt_version"]): r
        for r in _truth(demo_landing)
    }
    for table in (
        "fct_version_outcomes_weekly",
        "fct_version_outcomes_daily",
        "fct_version_outcomes_tenant_weekly",
    ):
        rows = _query(
            built_warehouse,
            "select task_type, model_id, model_version, prompt_version, "
            "sum(golden_pass_rate_numerator), sum(golden_pass_rate_denominator) "
            f"from marts.{table} group by all having sum(golden_pass_rate_denominator) > 0",
        )
        got = {tuple(r[:4]): (int(r[4]), int(r[5])) for r in rows}
        assert got == {k: (v["passed"], v["evaluations"]) for k, v in truth.items()}, table


def test_propose_lists_diverse_sessions_with_an_outcome(
    built_warehouse: Path, tmp_path: Path
) -> None:
    first = propose(built_warehouse, "support_chat", limit=12)
    assert propose(built_warehouse, "support_chat", limit=12) == first, "stable"
    rows = [dict(zip(first.columns, r, strict=True)) for r in first.rows]
    assert len(rows) == 12
    assert len({r["input_hash"] for r in rows}) == 12, "one per distinct input"
    assert len({r["tenant_id"] for r in rows}) >= 4, "spread across tenants"
    assert {r["primary_outcome_value"] > 0 for r in rows} == {True, False}
    outputs = ", ".join(f"'{r['output_id']}'" for r in rows)
    checked = _query(
        built_warehouse,
        "select count(*) from marts.fct_interactions where carries_outcome and not is_golden "
        f"and not is_shadow and task_type = 'support_chat' and output_id in ({outputs})",
    )
    assert checked == [(12,)]
    out = tmp_path / "candidates.csv"
    argv = ["goldens", "propose", "--workflow", "support_chat", "--limit", "12"]
    assert main([*argv, "--warehouse", str(built_warehouse), "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 13
    assert main([*argv[:3], "--workflow", "nope", "--warehouse", str(built_warehouse)]) == 2
