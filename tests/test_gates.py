"""The gates on the simulator's planted truths (issue 12): a warehouse built once for this
module from 21 simulated days, then `marts.fct_version_gates` and `floop gate` are checked
against the truth file, and the mart's statistics against gbstats 0.8.0 itself."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from gbstats_env import GbstatsUnavailable, run_gbstats

from floop.cli import main
from floop.config import parse_now
from floop.dbt import run_dbt
from floop.experiment_results import ratio_stats
from floop.gates import Decision, exit_code
from floop.stats import frequentist

pytestmark = pytest.mark.slow

NOW = "2026-11-20T00:00:00Z"
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """(warehouse, truth) of 21 days x 800 tasks: enough units for the planted effects."""
    root = tmp_path_factory.mktemp("gates")
    landing, wh = root / "landing", root / "floop.duckdb"
    args = ["simulate", "--out", str(landing), "--days", "21", "--tasks-per-day", "800",
            "--seed", "11", "--start", "2026-10-30"]
    assert main(args) == 0
    assert main(["ingest", "--landing", str(landing), "--warehouse", str(wh), "--now", NOW,
                 "--quiet"]) == 0
    run_dbt(["build", "--select", "+fct_version_gates", "--exclude", "test_type:data",
             "test_type:unit"], wh, now=parse_now(NOW))
    truth = json.loads((root / "landing.truth.json").read_text())
    return wh, truth


def rows(wh: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def decisions(wh: Path) -> dict[str, str]:
    found = rows(wh, "select candidate_id, experiment_id, candidate_version, decision "
                     "from marts.fct_version_gates")
    out = {}
    for r in found:
        key = r["experiment_id"] or f"shadow {r['candidate_version']}"
        out[key] = r["decision"]
    return out


def test_planted_truths_are_found(gated: tuple[Path, dict]) -> None:
    wh, truth = gated
    expected = truth["gates"]["expected_decisions"]
    got = decisions(wh)
    for candidate, want in expected.items():
        assert candidate in got, (candidate, got)
        if want.startswith("not "):
            assert got[candidate] != want.removeprefix("not "), (candidate, got[candidate])
        else:
            assert got[candidate] == want, (candidate, got[candidate])


def test_reasons_name_the_planted_cause(gated: tuple[Path, dict]) -> None:
    wh, truth = gated
    by_exp = {r["experiment_id"]: r for r in rows(wh, "select * from marts.fct_version_gates "
                                                      "where experiment_id is not null")}
    srm = by_exp[truth["gates"]["srm"]["experiment_id"]]
    assert srm["srm_gate"] == "fail" and srm["srm_p_value"] < 0.001 and "SRM" in srm["reasons"]
    breach = by_exp[truth["gates"]["guardrail_breach"]["experiment_id"]]
    assert breach["guardrail_gate"] == "breached"
    assert "server_latency_p95" in breach["breached_guardrails"]
    win = by_exp["exp-rag-rerank"]
    assert win["primary_gate"] == "positive" and win["golden_gate"] == "pass"
    assert win["primary_lift_seq_ci_low"] > 0
    shadow = rows(wh, "select * from marts.fct_version_gates where candidate_version = "
                      f"'{truth['gates']['worse_shadow']['prompt_version']}'")[0]
    assert shadow["shadow_gate"] == "fail" and shadow["shadow_pass_rate_diff_ci_high"] < 0


def test_gate_exit_codes(gated: tuple[Path, dict], tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    wh, _truth = gated
    base = ["gate", "--warehouse", str(wh)]
    assert main([*base, "--candidate", "exp-rag-rerank"]) == 0
    assert main([*base, "--candidate", "exp-support-tone"]) == 1  # unhealthy
    assert main([*base, "--candidate", "exp-code-fastpath"]) == 1  # rollback
    assert main([*base, "--candidate", "no-such-version"]) == 3
    assert main([*base, "--workflow", "code_assist", "--candidate", "exp-code-context"]) in (3,)
    out = tmp_path / "gate.json"
    assert main([*base, "--json", str(out)]) == 1  # the whole set holds a rollback
    doc = json.loads(out.read_text())
    assert doc["exit_code"] == 1
    ids = {c["candidate_id"] for c in doc["candidates"]}
    assert "experiment:exp-rag-rerank/treatment" in ids
    first = doc["candidates"][0]
    assert set(first) >= {"decision", "reasons", "gates", "candidate_version"}
    assert isinstance(first["reasons"], list) and first["gates"]["srm"]
    capsys.readouterr()
    assert main(["gate", "--warehouse", str(tmp_path / "missing.duckdb")]) == 2
    assert "no such DuckDB file" in capsys.readouterr().err
    assert main([*base, "--json", str(tmp_path / "no" / "dir" / "g.json")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_exit_code_rule() -> None:
    def d(decision: str) -> Decision:
        return Decision("c", "experiment", "w", "e", "v", "i", decision, [], {})

    assert exit_code([d("promote"), d("promote")]) == 0
    assert exit_code([d("promote"), d("rollback")]) == 1
    assert exit_code([d("keep_running"), d("unhealthy")]) == 1
    assert exit_code([d("promote"), d("keep_running")]) == 3
    assert exit_code([d("insufficient_data")]) == 3
    assert exit_code([]) == 3


def test_mart_equals_floop_stats_and_gbstats(gated: tuple[Path, dict], tmp_path: Path) -> None:
    """The published lifts, intervals, p-values, chance to win and SRM p-values equal gbstats
    0.8.0 on the simulated experiments, to 1e-6."""
    wh, _truth = gated
    stats = rows(wh, "select * from marts.fct_experiment_arm_stats order by 1, 2, 3")
    results = rows(wh, "select * from marts.fct_experiment_results where metric <> "
                       "'server_latency_p95'")
    arms = {(r["experiment_id"], r["arm"], r["metric"]): r for r in stats}
    specs = {
        "ttest_rel": {"engine": "ttest", "difference_type": "relative", "alpha": 0.05},
        "ttest_abs": {"engine": "ttest", "difference_type": "absolute", "alpha": 0.05},
        "seq_rel": {"engine": "sequential", "difference_type": "relative", "alpha": 0.05,
                    "tuning": 5000},
        "seq_abs": {"engine": "sequential", "difference_type": "absolute", "alpha": 0.05,
                    "tuning": 5000},
        "bayes_rel": {"engine": "bayesian", "difference_type": "relative", "alpha": 0.05,
                      "prior": None, "inverse": False},
    }
    keys = ("n", "num_sum", "num_sum_sq", "den_sum", "den_sum_sq", "num_den_sum")
    pairs = []
    # SRM is per experiment over all its planned arms (a bandit has three)
    srm = [
        {"id": exp, "observed": [a["units"] for a in planned],
         "weights": [a["planned_weight"] for a in planned]}
        for exp in sorted({r["experiment_id"] for r in results})
        if (planned := [a for a in stats if a["experiment_id"] == exp
                        and a["metric"] == "primary_outcome" and a["is_planned"]])
    ]  # fmt: skip
    for r in results:
        c = ratio_stats(arms[(r["experiment_id"], r["control_arm"], r["metric"])])
        t = ratio_stats(arms[(r["experiment_id"], r["arm"], r["metric"])])
        assert not c.pre and not t.pre  # task units: no pre-period, so no CUPED here
        pairs.append({"id": f"{r['experiment_id']}|{r['arm']}|{r['metric']}", "kind": "ratio",
                      "a": {k: getattr(c, k) for k in keys},
                      "b": {k: getattr(t, k) for k in keys}, "tests": specs})
        # the mart is floop.stats on the mart's own sums (the plumbing)
        again = frequentist(c, t, relative=True, sequential=True)
        assert abs(again.ci_low - r["lift_relative_seq_ci_low"]) <= TOLERANCE
    try:
        ref = run_gbstats({"pairs": pairs, "srm": srm}, tmp_path)
    except GbstatsUnavailable as exc:
        pytest.skip(str(exc))
    compared = 0
    for r in results:
        theirs = ref["pairs"][f"{r['experiment_id']}|{r['arm']}|{r['metric']}"]
        if theirs["ttest_rel"]["error"] is not None:
            continue
        ours = {
            ("ttest_rel", "expected"): r["lift_relative"],
            ("ttest_rel", "ci_low"): r["lift_relative_ci_low"],
            ("ttest_rel", "ci_high"): r["lift_relative_ci_high"],
            ("ttest_rel", "p_value"): r["p_value"],
            ("ttest_abs", "expected"): r["lift_absolute"],
            ("ttest_abs", "ci_low"): r["lift_absolute_ci_low"],
            ("ttest_abs", "ci_high"): r["lift_absolute_ci_high"],
            ("seq_rel", "ci_low"): r["lift_relative_seq_ci_low"],
            ("seq_rel", "ci_high"): r["lift_relative_seq_ci_high"],
            ("seq_rel", "p_value"): r["seq_p_value"],
            ("seq_abs", "ci_low"): r["lift_absolute_seq_ci_low"],
            ("seq_abs", "ci_high"): r["lift_absolute_seq_ci_high"],
            ("bayes_rel", "chance_to_win"): r["chance_to_win"],
            ("bayes_rel", "risk_control"): r["risk_control"],
            ("bayes_rel", "risk_treatment"): r["risk_treatment"],
        }
        for (test, field), value in ours.items():
            assert abs(value - theirs[test][field]) <= TOLERANCE, (r["experiment_id"], test, field)
            compared += 1
        if r["metric"] == "primary_outcome":
            assert abs(r["srm_p_value"] - ref["srm"][r["experiment_id"]]) <= TOLERANCE
    assert compared >= 4 * 15  # every experiment's goal metric at least
