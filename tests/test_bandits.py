"""Bandit allocation (floop.allocation, marts.fct_bandit_allocations, `floop allocate`) and
what-changed without false credit, on hand-made numbers and on the simulator's planted truths."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import SIM_START, TEST_NOW

from floop.allocation import (
    FLOOR,
    ArmRewards,
    BanditConfig,
    allocate,
    default_seed,
    load_bandits,
)
from floop.cli import main
from floop.config import parse_now
from floop.dbt import run_dbt
from floop.errors import OperationalError

PLANNED = {"a": 0.5, "b": 0.25, "c": 0.25}


def _bandit(min_units: int = 10, seed: int = 7) -> BanditConfig:
    return BanditConfig("bx", "code_assist", PLANNED, min_units, seed)


def _rewards(units: int = 50) -> dict[str, ArmRewards]:
    # a: 30/50, b: 25/50, c: 5/50 (c is hopeless)
    return {
        "a": ArmRewards(units, 30.0, 50.0),
        "b": ArmRewards(units, 25.0, 50.0),
        "c": ArmRewards(units, 5.0, 50.0),
    }


def test_same_data_same_weights() -> None:
    first = allocate(_bandit(), _rewards())
    assert first == allocate(_bandit(), _rewards())
    assert first != allocate(_bandit(seed=8), _rewards())  # the seed is what varies the draws


def test_weights_sum_to_one_and_respect_the_floor() -> None:
    alloc = allocate(_bandit(), _rewards())
    assert all(a.is_updated for a in alloc.values())
    assert sum(a.weight for a in alloc.values()) == pytest.approx(1.0, abs=1e-12)
    # c never wins a draw, yet keeps the floor
    assert alloc["c"].prob_best == 0.0
    assert alloc["c"].weight == pytest.approx(FLOOR)
    assert alloc["a"].weight > alloc["b"].weight > alloc["c"].weight
    # the posterior is Beta(1 + successes, 1 + failures)
    assert (alloc["a"].alpha, alloc["a"].beta) == (31.0, 21.0)


def test_no_update_before_every_arm_has_its_minimum() -> None:
    rewards = _rewards()
    rewards["b"] = ArmRewards(9, 9.0, 9.0)  # one unit short, and looking perfect
    alloc = allocate(_bandit(min_units=10), rewards)
    assert {k: a.weight for k, a in alloc.items()} == PLANNED
    assert not any(a.is_updated for a in alloc.values())
    assert all(a.prob_best is None for a in alloc.values())
    # an arm with no data at all is an arm below its minimum
    del rewards["b"]
    rewards["b-unplanned"] = ArmRewards(100, 100.0, 100.0)
    alloc = allocate(_bandit(), rewards)
    assert set(alloc) == set(PLANNED) and not alloc["a"].is_updated


def test_bandits_come_from_the_experiment_configs(tmp_path: Path) -> None:
    arms = "arms:\n  - {name: x, weight: 0.5}\n  - {name: y, weight: 0.5}\n"
    (tmp_path / "e1.yml").write_text(f"experiment_id: e1\nworkflow: rag_qa\n{arms}")
    (tmp_path / "e2.yml").write_text(
        f"experiment_id: e2\nworkflow: rag_qa\nmode: bandit\n{arms}minimum_units_per_arm: 5\n"
    )
    (bandit,) = load_bandits(tmp_path)  # e1 is an A/B test
    assert bandit == BanditConfig(
        "e2", "rag_qa", {"x": 0.5, "y": 0.5}, 5, default_seed("e2"), "user_key"
    )
    assert default_seed("e2") == 2_441_403_549  # crc32: the same in every process
    (tmp_path / "e3.yml").write_text("experiment_id: e3\nworkflow: rag_qa\nmode: bandit\n")
    with pytest.raises(OperationalError, match=r"e3\.yml: key 'arms'"):
        load_bandits(tmp_path)


def test_allocation_mart_and_weights_file(built_warehouse: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(built_warehouse), read_only=True)
    rows = con.execute(
        "select variant, weight, allocation_status, posterior_alpha, successes, "
        "proxy_reward_sum, posterior_beta, tasks_with_outcome, tasks_with_proxy "
        "from marts.fct_bandit_allocations where experiment_id = 'bandit-support-style'"
    ).fetchall()
    con.close()
    assert {r[0] for r in rows} == {"style-terse", "style-neutral", "style-friendly"}
    assert sum(r[1] for r in rows) == pytest.approx(1.0, abs=1e-12)
    for _v, weight, status, alpha, succ, proxy, beta, n_out, n_proxy in rows:
        assert status == "updated" and weight >= FLOOR - 1e-12
        assert alpha == pytest.approx(1 + succ + proxy)
        assert beta == pytest.approx(1 + (n_out - succ) + (n_proxy - proxy))
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for out in (a, b):
        assert main(["allocate", "--warehouse", str(built_warehouse), "--out", str(out)]) == 0
    assert a.read_bytes() == b.read_bytes()
    doc = json.loads(a.read_text())
    entry = doc["workflows"]["support_chat"]
    assert entry["experiment_id"] == "bandit-support-style"
    assert entry["arms"] == {r[0]: r[1] for r in rows}
    assert doc["data_watermark"] == entry["data_watermark"] and doc["data_watermark"] < TEST_NOW


def test_allocate_refuses_a_warehouse_without_the_mart(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    out = tmp_path / "w.json"
    assert main(["allocate", "--warehouse", str(empty), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "fct_bandit_allocations is missing" in err
    assert not out.exists()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A simulation big enough for the planted effects to show (400 tasks a day, 21 days):
    ingested, and only the models these tests read built."""
    root = tmp_path_factory.mktemp("planted")
    landing, wh = root / "landing", root / "floop.duckdb"
    args = ["--days", "21", "--tasks-per-day", "400", "--seed", "11", "--start", SIM_START]
    assert main(["simulate", "--out", str(landing), *args]) == 0
    assert main(["ingest", "--landing", str(landing), "--warehouse", str(wh)]
                + ["--now", TEST_NOW, "--quiet"]) == 0  # fmt: skip
    select = "+fct_version_changes_weekly +fct_bandit_allocations"
    skip = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    run_dbt(["build", "-s", select, *skip], wh, now=parse_now(TEST_NOW), capture=True)
    truth = json.loads((root / "landing.truth.json").read_text())
    return wh, truth


@pytest.mark.slow
def test_best_planted_arm_gets_the_most_weight(planted: tuple[Path, dict]) -> None:
    wh, truth = planted
    (bandit,) = truth["bandits"]
    con = duckdb.connect(str(wh), read_only=True)
    weights = dict(
        con.execute(
            "select variant, weight from marts.fct_bandit_allocations where experiment_id = ?",
            [bandit["experiment_id"]],
        ).fetchall()
    )
    con.close()
    assert set(weights) == set(bandit["arms"])
    assert max(weights, key=weights.__getitem__) == bandit["best_arm"] == "style-friendly"
    worst = min(bandit["arms"], key=lambda a: bandit["arms"][a]["planted_effect"])
    assert weights[worst] == pytest.approx(FLOOR, abs=0.01)


@pytest.mark.slow
def test_knowledge_snapshot_of_the_rollout_week_gets_no_credit(planted: tuple[Path, dict]) -> None:
    """support-v8 (+8 pp planted) rolled out in the week a knowledge snapshot took over; the
    snapshot (no effect) used to be `helped` too. Now the prompt is still helped, within the
    knowledge version both weeks share, and the snapshot is confounded with it."""
    wh, truth = planted
    rollout_week = duckdb.sql(
        f"select cast(date_trunc('week', date '{truth['rollout']['day']}') as date)"
    ).fetchall()[0][0]
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "select version_kind, version_id, verdict, verdict_basis, confounded_with, "
        "outcome_delta_ci_low from marts.fct_version_changes_weekly "
        "where task_type = 'support_chat' and interaction_week = ?",
        [rollout_week],
    ).fetchall()
    con.close()
    by_kind = {}
    for kind, version, verdict, basis, confounded_with, naive_low in rows:
        by_kind.setdefault(kind, []).append((version, verdict, basis, confounded_with, naive_low))
    assert [(v, verdict, basis) for v, verdict, basis, *_ in by_kind["prompt"]] == [
        ("support-v8", "helped", "stratified")
    ]
    snapshots = by_kind["knowledge"]
    assert snapshots, "the rollout week has a knowledge change"
    # before/after alone they look helped (what the old verdict said) ...
    assert any(naive_low > 0 for *_, naive_low in snapshots)
    # ... but none is credited
    for _version, verdict, _basis, confounded_with, _low in snapshots:
        assert verdict == "confounded" and confounded_with == "prompt support-v8"
