"""The human loop's marts on the simulated demo warehouse: the triage budget holds per workflow
and week, the queue is the same on a rebuild, `floop triage` prints and writes it; labeler
agreement equals the reference libraries (Krippendorff's alpha: the `krippendorff` package;
Cohen's kappa: scikit-learn) and ranks the planted noisy labeler last; the planted taxonomy
change is detected (chi-squared p-value equal to scipy's). Hand-made cases of every formula
are dbt unit tests (models/marts/labels/_unit_tests.yml)."""

from __future__ import annotations

import csv
import json
import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import krippendorff
import numpy as np
import pytest
from conftest import TEST_NOW
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from floop.cli import main
from floop.config import TAXONOMY_SEED, parse_now
from floop.dbt import run_dbt
from floop.errors import UsageError
from floop.labeling import Item, label_events
from floop.taxonomy import load_taxonomies, seed_csv

BUDGET_SHARE = 0.15  # dbt_project.yml var triage_budget_share
# The planted-truth checks need more labels than the session's small demo (60 tasks a day,
# about 80 labels): 300 tasks a day give about 400.
PLANTED_TASKS_PER_DAY = 300


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated landing of 21 days x 300 tasks, ingested, with the label marts built (and
    what they need): the warehouse file; its truth file is beside it."""
    root = tmp_path_factory.mktemp("planted")
    landing, wh = root / "landing", root / "floop.duckdb"
    sim = [
        "simulate",
        "--out",
        str(landing),
        "--days",
        "21",
        "--seed",
        "11",
        "--start",
        "2026-10-30",
        "--tasks-per-day",
        str(PLANTED_TASKS_PER_DAY),
    ]
    assert main(sim) == 0
    assert (
        main(
            [
                "ingest",
                "--landing",
                str(landing),
                "--warehouse",
                str(wh),
                "--now",
                TEST_NOW,
                "--quiet",
            ]
        )
        == 0
    )
    now = parse_now(TEST_NOW)
    run_dbt(["seed"], wh, now=now)
    run_dbt(
        [
            "run",
            "-s",
            "+fct_labeler_quality",
            "+fct_label_agreement",
            "+fct_taxonomy_changes",
            "+fct_label_value_trend",
        ],
        wh,
        now=parse_now(TEST_NOW),
    )
    return wh


def rows(wh: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def labels_by_item(wh: Path) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """(label_name, version) -> output_id -> labeler -> value, non-gold latest labels."""
    out: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for name, version, output, labeler, value in rows(
        wh,
        "select label_name, taxonomy_version, output_id, labeler_id, label_value "
        "from intermediate.int_label_events where not is_gold",
    ):
        out.setdefault((name, version), {}).setdefault(output, {})[labeler] = value
    return out


# ------------------------------------------------------------------------------------------
# Triage queue
# ------------------------------------------------------------------------------------------


def test_triage_budget_holds_per_workflow_and_week(built_warehouse: Path) -> None:
    capacity = dict(
        rows(
            built_warehouse,
            "select task_type, sum(weekly_capacity) from reference.labelers "
            "where role = 'labeler' group by all",
        )
    )
    weeks = rows(
        built_warehouse,
        "select task_type, triage_week, count(*), count(*) filter (where is_labeled_before_queue)"
        " from marts.fct_triage_candidates group by all",
    )
    queued = {
        (t, w): (n, b, q)
        for t, w, n, b, q in rows(
            built_warehouse,
            "select task_type, triage_week, count(*), any_value(week_budget), "
            "any_value(week_questionable_count) from marts.fct_triage_queue group by all",
        )
    }
    assert weeks and queued
    for task_type, week, questionable, labeled_before in weeks:
        budget = min(math.ceil(questionable * BUDGET_SHARE), capacity[task_type])
        n, mart_budget, mart_questionable = queued.get((task_type, week), (0, budget, None))
        assert mart_budget == budget and mart_questionable in (None, questionable)
        # the budget holds, and is used up when enough unlabeled candidates remain
        assert n == min(budget, questionable - labeled_before), (task_type, week)
    # (the capacity bound: unit test triage_queue_budget_and_round_robin)


def test_triage_queue_round_robin_and_progress(built_warehouse: Path) -> None:
    bad = rows(
        built_warehouse,
        """
        with expected as (
            select q.output_id, l.labeler_id as expected_assignee
            from marts.fct_triage_queue as q
            join (
                select task_type, labeler_id,
                    row_number() over (partition by task_type order by labeler_id) - 1 as slot,
                    count(*) over (partition by task_type) as n
                from reference.labelers where role = 'labeler'
            ) as l on q.task_type = l.task_type and (q.queue_rank - 1) % l.n = l.slot
        )
        select count(*) from marts.fct_triage_queue join expected using (output_id)
        where assignee <> expected_assignee
        """,
    )
    assert bad == [(0,)]
    progress = rows(
        built_warehouse,
        "select sum(assigned_count), sum(labeled_count + open_count) "
        "from marts.fct_triage_progress",
    )
    total = rows(built_warehouse, "select count(*) from marts.fct_triage_queue")
    assert progress[0][0] == progress[0][1] == total[0][0]


QUEUE_SQL = (
    "select task_type, triage_week, output_id, queue_rank, assignee, priority "
    "from marts.fct_triage_queue order by all"
)


@pytest.mark.slow
def test_triage_sampling_is_stable_across_runs(built_warehouse: Path, tmp_path: Path) -> None:
    """A second build (incremental: nothing new) and a full refresh give the same queue,
    ranks and assignees included."""
    wh = tmp_path / "floop.duckdb"
    shutil.copy(built_warehouse, wh)
    target = built_warehouse.parent / f"{built_warehouse.stem}_dbt_target"
    if target.exists():
        shutil.copytree(target, tmp_path / f"{wh.stem}_dbt_target")
    before = rows(wh, QUEUE_SQL)
    now = parse_now(TEST_NOW)
    run_dbt(["run", "-s", "+fct_triage_queue"], wh, now=now)
    assert rows(wh, QUEUE_SQL) == before
    run_dbt(["run", "-s", "+fct_triage_queue", "--full-refresh"], wh, now=now)
    assert rows(wh, QUEUE_SQL) == before


def test_floop_triage_prints_and_writes_csv(
    built_warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    week = rows(built_warehouse, "select max(triage_week) from marts.fct_triage_queue")[0][0]
    args = [
        "triage",
        "--warehouse",
        str(built_warehouse),
        "--workflow",
        "support_chat",
        "--week",
        (week + (date(2026, 1, 3) - date(2026, 1, 1))).isoformat(),
    ]
    expected = rows(
        built_warehouse,
        "select output_id, assignee from marts.fct_triage_queue where task_type = "
        f"'support_chat' and triage_week = date '{week}' order by queue_rank",
    )
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"{len(expected)} queued items" in printed
    assert all(o in printed for o, _ in expected)
    out = tmp_path / "queue.csv"
    assert main([*args, "--out", str(out)]) == 0
    with out.open() as fh:
        got = [(r["output_id"], r["assignee"]) for r in csv.DictReader(fh)]
    assert got == expected
    assert main(["triage", "--warehouse", str(built_warehouse), "--week", "2026-13-01"]) == 2
    assert main(["triage", "--warehouse", str(tmp_path / "missing.duckdb")]) == 2


# ------------------------------------------------------------------------------------------
# Agreement: equal to the reference libraries, and the planted labeler accuracy
# ------------------------------------------------------------------------------------------


def _alpha(items: dict[str, dict[str, str]]) -> float:
    labelers = sorted({lab for by in items.values() for lab in by})
    values = sorted({v for by in items.values() for v in by.values()})
    code = {v: float(i) for i, v in enumerate(values)}
    data = np.full((len(labelers), len(items)), np.nan)
    for j, by in enumerate(items.values()):
        for lab, v in by.items():
            data[labelers.index(lab), j] = code[v]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_hand_made_alpha_is_the_package_alpha() -> None:
    """The hand computation of the dbt unit test label_agreement_by_hand (alpha 0.5)."""
    items = {
        "u1": {"A": "x", "B": "x", "C": "y"},
        "u2": {"A": "y", "B": "y"},
        "u3": {"A": "x", "C": "x"},
        "u4": {"B": "y"},
    }
    assert _alpha(items) == pytest.approx(0.5, abs=1e-12)
    assert cohen_kappa_score(["x", "x"], ["y", "x"]) == pytest.approx(0.0, abs=1e-12)


@pytest.fixture(params=["demo", "planted"])
def label_warehouse(request: pytest.FixtureRequest, built_warehouse: Path) -> Path:
    return built_warehouse if request.param == "demo" else request.getfixturevalue("planted")


def test_alpha_equals_krippendorff_package(label_warehouse: Path) -> None:
    built_warehouse = label_warehouse
    mart = dict(
        ((n, v), a)
        for n, v, a in rows(
            built_warehouse,
            "select distinct label_name, taxonomy_version, krippendorff_alpha "
            "from marts.fct_label_agreement",
        )
    )
    data = labels_by_item(built_warehouse)
    assert set(mart) == set(data) and mart
    for key, items in data.items():
        assert abs(mart[key] - _alpha(items)) < 1e-9, key


def test_kappa_equals_sklearn(label_warehouse: Path) -> None:
    built_warehouse = label_warehouse
    data = labels_by_item(built_warehouse)
    pairs = rows(
        built_warehouse,
        "select label_name, taxonomy_version, labeler_a, labeler_b, pair_item_count, "
        "cohen_kappa from marts.fct_label_agreement",
    )
    assert pairs
    for name, version, a, b, n, kappa in pairs:
        both = [by for by in data[(name, version)].values() if a in by and b in by]
        assert len(both) == n
        ref = cohen_kappa_score([by[a] for by in both], [by[b] for by in both])
        assert (kappa is None and math.isnan(ref)) or abs(kappa - ref) < 1e-9
    quality = rows(
        built_warehouse,
        "select label_name, taxonomy_version, labeler_id, majority_item_count, "
        "kappa_vs_majority from marts.fct_labeler_quality",
    )
    for name, version, labeler, n, kappa in quality:
        own, majority = [], []
        for by in data[(name, version)].values():
            others = [v for lab, v in by.items() if lab != labeler]
            if labeler not in by or not others:
                continue
            counts = sorted(((others.count(v), v) for v in set(others)), reverse=True)
            if len(counts) == 1 or counts[0][0] > counts[1][0]:
                own.append(by[labeler])
                majority.append(counts[0][1])
        assert len(own) == n
        ref = cohen_kappa_score(own, majority) if own else float("nan")
        assert (kappa is None and math.isnan(ref)) or abs(kappa - ref) < 1e-9


def _truth(wh: Path) -> dict:
    (path,) = wh.parent.glob("*.truth.json")
    return json.loads(path.read_text())


@pytest.mark.slow
def test_planted_labeler_accuracy_is_reflected_in_agreement(planted: Path) -> None:
    """The simulator plants labelers of accuracy 0.95 / 0.80 / 0.60: pooled over taxonomy
    versions, agreement with the others' majority ranks them in that order (the noisy one
    last), and within every taxonomy version the noisy one ranks last."""
    labelers = _truth(planted)["labels"]["labelers"]
    by_accuracy = sorted(labelers, key=lambda name: -labelers[name]["planted_accuracy"])
    pooled = rows(
        planted,
        "select labeler_id, sum(majority_agreement_count) / sum(majority_item_count) "
        "from marts.fct_labeler_quality group by all order by 2 desc",
    )
    assert [lab for lab, _ in pooled] == by_accuracy
    last = rows(
        planted,
        "select taxonomy_version, arg_max(labeler_id, agreement_rank) "
        "from marts.fct_labeler_quality group by all",
    )
    assert last and all(lab == by_accuracy[-1] for _, lab in last)


@pytest.mark.slow
def test_taxonomy_change_is_detected(planted: Path) -> None:
    truth = _truth(planted)["labels"]
    change = date.fromisoformat(truth["taxonomy_change_day"])
    (row,) = rows(
        planted,
        "select previous_taxonomy_version, taxonomy_version, change_week, p_value, "
        "is_distribution_changed, undeclared_before + undeclared_after from "
        "marts.fct_taxonomy_changes",
    )
    prev, new, week, p_value, changed, undeclared = row
    assert (prev, new) == ("1", "2") and changed and undeclared == 0
    assert week == date.fromordinal(change.toordinal() - change.weekday())
    counts = dict(
        ((v, val), n)
        for v, val, n in rows(
            planted,
            "select taxonomy_version, label_value, count(*) from intermediate.int_label_events "
            "group by all",
        )
    )
    values = sorted({val for _, val in counts})
    table = [[counts.get((v, val), 0) for val in values] for v in ("1", "2")]
    ref = stats.chi2_contingency(table, correction=False)
    assert p_value == pytest.approx(float(ref.pvalue), rel=1e-9)
    breaks = rows(
        planted,
        "select distinct label_week from marts.fct_label_value_trend where is_version_break",
    )
    assert breaks == [(week,)]


# ------------------------------------------------------------------------------------------
# Taxonomy files and label events
# ------------------------------------------------------------------------------------------


def test_taxonomy_seed_is_generated_from_the_yaml() -> None:
    assert TAXONOMY_SEED.read_text() == seed_csv(load_taxonomies()), (
        "run python scripts/gen_taxonomy_seed.py"
    )


def test_label_events_take_only_current_taxonomy_values() -> None:
    taxonomies = load_taxonomies()
    item = Item("out-1", "acme", "tr-1")
    now = parse_now(TEST_NOW)
    (event,) = label_events(item, " sme-1 ", {"correctness": "partially_correct"}, taxonomies, now)
    assert event["labeler_id"] == "sme-1" and event["taxonomy_version"] == "2"
    assert event["timestamp"] == "2026-11-20T00:00:00.000Z"
    with pytest.raises(UsageError):
        label_events(item, "sme-1", {"correctness": "maybe"}, taxonomies, now)
    with pytest.raises(UsageError):
        label_events(item, "  ", {"correctness": "correct"}, taxonomies, now)
