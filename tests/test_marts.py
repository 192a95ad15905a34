"""The marts on simulated traffic (the session's built warehouse): the staged feedback, the wide
fact and the version marts agree with an independent hand-written SQL over raw (the build's
limit, benchmarks/hand_written.py), the marts reconcile with the wide fact and the ledger,
and every mart column is documented."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

from floop.config import Layout
from floop.dbt import run_dbt
from floop.hash_key import resolve as resolve_hash_key

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parent.parent
MY_MARTS = [
    "fct_interactions",
    "fct_version_outcomes_weekly",
    "fct_version_outcomes_daily",
    "fct_version_outcomes_tenant_weekly",
    "fct_version_changes_weekly",
    "fct_experiment_arms",
    "fct_data_health_daily",
    "dim_workflows",
    "dim_versions",
]


def bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_dbt", PROJECT_DIR / "benchmarks" / "bench_dbt.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def warehouse_copy(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("marts") / "floop.duckdb"
    shutil.copy(built_warehouse, copy)
    return copy


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _rounded(columns: list[str]) -> str:
    doubles = ("weighted_", "rating_", "edit_distance", "server_latency_", "primary_outcome_value")
    return ", ".join(f"round({c}, 9) as {c}" if c.startswith(doubles) else c for c in columns)


@pytest.fixture(scope="module")
def hand_written(warehouse_copy: Path) -> Path:
    """The hand-written limit (benchmarks/hand_written.py) built beside the build's tables."""
    key = resolve_hash_key(Layout.for_warehouse(warehouse_copy), create=False).value
    bench_module().hand_written(warehouse_copy, key)
    return warehouse_copy


def _same_rows(warehouse: Path, built: str, hand: str) -> None:
    assert query(warehouse, f"select count(*) from ({hand})")[0][0] > 10
    assert query(warehouse, f"{built} except all {hand}") == []
    assert query(warehouse, f"{hand} except all {built}") == []


def test_wide_fact_equals_hand_written_sql(hand_written: Path) -> None:
    cols = _rounded(bench_module().COMPARED_COLUMNS)
    assert query(hand_written, "select count(*) from bench.wide")[0][0] > 500
    _same_rows(
        hand_written, f"select {cols} from marts.fct_interactions", f"select {cols} from bench.wide"
    )


def test_staged_feedback_equals_hand_written_sql(hand_written: Path) -> None:
    """Keyed hashes and redaction, written twice (macros/pii.sql, benchmarks/hand_written.py)."""
    cols = "event_id, user_key, actor_key, feedback_text_redacted"
    built, hand = "staging.stg_feedback", "bench.feedback"
    _same_rows(hand_written, f"select {cols} from {built}", f"select {cols} from {hand}")
    redacted = f"select count(*) from {hand} where feedback_text_redacted like '%[%]%'"
    assert query(hand_written, redacted)[0][0] > 0


@pytest.mark.parametrize("period", ["weekly", "daily"])
def test_version_marts_equal_hand_written_sql(hand_written: Path, period: str) -> None:
    """The interaction columns of the outcome-per-version marts (rows with interactions; the
    rows of golden runs and robust thumbs alone are not in the limit)."""
    cols = bench_module().VERSION_COLUMNS
    stamp = {"weekly": "interaction_week", "daily": "interaction_date"}[period]
    built = _rounded([stamp if c == "period_start" else c for c in cols]).replace(
        stamp, f"{stamp} as period_start", 1
    )
    _same_rows(
        hand_written,
        f"select {built} from marts.fct_version_outcomes_{period} where interactions > 0",
        f"select {_rounded(cols)} from bench.versions_{period}",
    )


def test_weekly_mart_reconciles_with_wide_fact(built_warehouse: Path) -> None:
    mart = query(
        built_warehouse,
        "select sum(interactions), sum(tasks_attributed), sum(tasks_with_outcome), "
        "sum(primary_outcome_rate_numerator), sum(thumbs_up_count), sum(retry_rate_numerator) "
        "from marts.fct_version_outcomes_weekly",
    )[0]
    wide = query(
        built_warehouse,
        "select count(*), count(distinct task_id), "
        "count(*) filter (where carries_outcome and primary_outcome_value is not null), "
        "count(*) filter (where carries_outcome and primary_outcome_value > 0), "
        "sum(thumbs_up_count), count(*) filter (where is_retried) "
        "from marts.fct_interactions where not is_shadow",
    )[0]
    assert mart == wide
    # every task is attributed exactly once, so the daily and tenant marts agree too
    for table in ("fct_version_outcomes_daily", "fct_version_outcomes_tenant_weekly"):
        assert query(
            built_warehouse, f"select sum(interactions), sum(tasks_attributed) from marts.{table}"
        )[0] == (wide[0], wide[1])


def test_rates_are_recomputable_from_their_columns(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select primary_outcome_rate_numerator, primary_outcome_rate_denominator, "
        "primary_outcome_rate, primary_outcome_rate_ci_low, primary_outcome_rate_ci_high "
        "from marts.fct_version_outcomes_weekly where primary_outcome_rate_denominator > 0",
    )
    assert rows
    z = 1.96
    for s, n, rate, low, high in rows:
        p = s / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
        assert rate == pytest.approx(p)
        assert low == pytest.approx(max(0.0, centre - half))
        assert high == pytest.approx(min(1.0, centre + half))
        assert low <= rate <= high


def test_experiment_arms_against_control(built_warehouse: Path) -> None:
    arms = query(
        built_warehouse,
        "select experiment_id, variant, control_variant, primary_outcome_rate, delta_vs_control "
        "from marts.fct_experiment_arms",
    )
    assert arms, "the simulator runs experiments"
    rates = {(e, v): r for e, v, _, r, _ in arms}
    for experiment, _variant, control, rate, delta in arms:
        if rate is not None and rates[(experiment, control)] is not None:
            assert delta == pytest.approx(rate - rates[(experiment, control)])
    rows = query(
        built_warehouse,
        "select experiment_id, variant, "
        "count(*) filter (where carries_outcome and primary_outcome_value > 0), "
        "count(*) filter (where carries_outcome and primary_outcome_value is not null) "
        "from marts.fct_interactions where not is_shadow and experiment_id is not null "
        "group by all",
    )
    for experiment, variant, successes, n in rows:
        if n:
            assert rates[(experiment, variant)] == pytest.approx(successes / n)


def test_data_health_adds_up_to_the_ledger(built_warehouse: Path) -> None:
    health = query(
        built_warehouse,
        "select sum(lines_landed), sum(lines_accepted), sum(lines_duplicate), "
        "sum(lines_rejected) from marts.fct_data_health_daily",
    )[0]
    ledger = query(
        built_warehouse,
        "select sum(lines), sum(accepted), sum(duplicate), sum(rejected) from raw.ingest_ledger",
    )[0]
    assert health == ledger
    reasons = query(
        built_warehouse,
        "select sum(v::bigint) from marts.fct_data_health_daily, "
        "json_each(rejected_by_reason) as j(k, v)",
    )[0][0]
    assert reasons == ledger[3]


def test_every_mart_column_is_documented(warehouse_copy: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    layout = dataclasses.replace(Layout.for_warehouse(warehouse_copy), dbt_target=target)
    run_dbt(["docs", "generate"], layout, capture=True)
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    for name in MY_MARTS:
        node = manifest["nodes"][f"model.floop.{name}"]
        assert node["config"]["contract"]["enforced"], name
        built = catalog["nodes"][f"model.floop.{name}"]["columns"]
        undocumented = [c for c in built if not node["columns"].get(c, {}).get("description")]
        assert not undocumented, (name, undocumented)


def test_anonymous_flood_cannot_move_the_weighted_share(built_warehouse: Path) -> None:
    # The simulator plants a burst of anonymous thumbs-down on one tenant's new support prompt.
    # Take the tenant x prompt x week with the most anonymous votes: its raw share drops, its
    # trust-weighted share stays near the share of the votes without the anonymous ones.
    flood = query(
        built_warehouse,
        """
        select tenant_id, prompt_version, interaction_week,
            sum(thumbs_up_count) / sum(thumbs_up_count + thumbs_down_count) as raw_share,
            sum(weighted_thumbs_up) / sum(weighted_thumbs_up + weighted_thumbs_down) as weighted
        from marts.fct_interactions
        where not is_shadow
        group by all
        order by sum(anonymous_thumbs_count) desc, tenant_id, prompt_version, interaction_week
        limit 1
        """,
    )[0]
    tenant, prompt, week, raw_share, weighted = flood
    without_anonymous = query(
        built_warehouse,
        f"""
        select count(*) filter (where f.feedback_value > 0) / count(*)
        from staging.stg_feedback f
        join marts.fct_interactions i using (output_id)
        where f.feedback_type = 'thumbs' and f.actor_role <> 'anonymous'
            and i.tenant_id = '{tenant}' and i.prompt_version = '{prompt}'
            and i.interaction_week = '{week}' and not i.is_shadow
        """,
    )[0][0]
    assert abs(raw_share - without_anonymous) > 0.2, "the flood is visible in the raw share"
    assert abs(weighted - without_anonymous) < 0.1, "and barely moves the weighted share"


def test_version_changes_store_no_clock_dependent_column(built_warehouse: Path) -> None:
    """weeks_ago is computed by the reader (date_diff from interaction_week), never stored: a
    stored value would go stale the week after the build. interaction_week is a Monday."""
    columns = {
        name
        for (name,) in query(
            built_warehouse,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_version_changes_weekly'",
        )
    }
    assert "interaction_week" in columns and "weeks_ago" not in columns
    weeks = query(
        built_warehouse, "select distinct interaction_week from marts.fct_version_changes_weekly"
    )
    assert weeks and all(week.isoweekday() == 1 for (week,) in weeks)
