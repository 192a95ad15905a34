"""The simulator's planted poisoning (a burst of anonymous thumbs-down on one tenant's new
prompt): every day of it is flagged, and the robust share of the version marts stays within
2 percentage points of the share without the attack."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from floop.cli import main
from floop.config import parse_now
from floop.dbt import run_dbt

pytestmark = pytest.mark.slow

NOW = "2026-11-10T00:00:00Z"


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """8 days at 300 tasks a day (the attack falls on days 7 and 8), ingested and built."""
    root = tmp_path_factory.mktemp("poison")
    landing, wh = root / "landing", root / "floop.duckdb"
    sim = ["simulate", "--out", str(landing), "--days", "8", "--tasks-per-day", "300"]
    assert main([*sim, "--seed", "7", "--start", "2026-11-02"]) == 0
    assert (
        main(["ingest", "--landing", str(landing), "--warehouse", str(wh), "--now", NOW, "--quiet"])
        == 0
    )
    select = ["--select", "+fct_version_outcomes_tenant_weekly", "+fct_feedback_anomalies"]
    run_dbt(["build", *select, "--indirect-selection", "cautious"], wh, now=parse_now(NOW))
    truth = json.loads((root / "landing.truth.json").read_text())["poisoning"]
    return wh, truth


def test_every_day_of_the_attack_is_flagged(attacked: tuple[Path, dict]) -> None:
    wh, truth = attacked
    assert truth["events"] > 50
    con = duckdb.connect(str(wh), read_only=True)
    try:
        flagged = con.execute(
            "select strftime(vote_date, '%Y-%m-%d'), z_score from "
            "marts.fct_feedback_anomalies where is_flagged and tenant_id = ? "
            "and actor_role = ? and prompt_version = ? order by 1",
            [truth["tenant_id"], truth["actor_role"], truth["prompt_version"]],
        ).fetchall()
        elsewhere = con.execute(
            "select count(*) from marts.fct_feedback_anomalies "
            "where is_flagged and tenant_id <> ?",
            [truth["tenant_id"]],
        ).fetchall()
    finally:
        con.close()
    assert [d for d, _z in flagged] == [truth["first_day"], truth["last_day"]]
    assert all(z < -3 for _d, z in flagged)
    assert elsewhere == [(0,)], "no other tenant's low-trust feedback is flagged"


# The tenant's weighted share over the attack's weeks: from the marts (robust and plain), and
# from staging with the planted events left out (the share without the attack).
MART = """
select
    sum(robust_weighted_thumbs_up) / sum(robust_weighted_thumbs_up + robust_weighted_thumbs_down),
    sum(weighted_thumbs_up) / sum(weighted_thumbs_up + weighted_thumbs_down),
    sum(flagged_thumbs_votes)
from marts.fct_version_outcomes_tenant_weekly
where tenant_id = $tenant and task_type = 'support_chat' and prompt_version = $prompt
    and interaction_week between date_trunc('week', $first::date) and $last::date
"""
CLEAN = """
with votes as (
    select f.actor_role, f.feedback_value, f.event_date
    from staging.stg_feedback as f
    join marts.fct_interactions as i using (output_id)
    where not i.is_shadow and i.tenant_id = $tenant and i.task_type = 'support_chat'
        and i.prompt_version = $prompt and f.feedback_type = 'thumbs'
        and i.interaction_week between date_trunc('week', $first::date) and $last::date
),
clean as (
    select * from votes
    where not (actor_role = $role and feedback_value < 0
        and event_date between $first::date and $last::date)
)
select sum(w.trust_weight) filter (where feedback_value > 0) / sum(w.trust_weight)
from clean join reference.actor_role_weights as w using (actor_role)
"""


def test_robust_share_moves_less_than_two_points(attacked: tuple[Path, dict]) -> None:
    wh, truth = attacked
    con = duckdb.connect(str(wh), read_only=True)
    params = {
        "tenant": truth["tenant_id"],
        "prompt": truth["prompt_version"],
        "first": truth["first_day"],
        "last": truth["last_day"],
    }
    try:
        robust, weighted, flagged = con.execute(MART, params).fetchall()[0]
        (clean,) = con.execute(CLEAN, params | {"role": truth["actor_role"]}).fetchall()[0]
    finally:
        con.close()
    assert flagged > 0.8 * truth["events"]
    assert abs(robust - clean) < 0.02, (robust, clean, weighted)
    assert abs(weighted - clean) > abs(robust - clean), "the attack moves the plain share more"
