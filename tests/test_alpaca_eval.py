"""AlpacaEval 2.0 on the real public results (../shared/realdata/alpaca_eval): `floop import
alpaca-eval` turns the outputs and the judge's annotations into contract events, ingest and the
dbt build land them, and the analyst copy's fct_evaluation_scores gives the published
(length-uncontrolled) win rates of the four versions."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
from conftest import SHARED_DIR, TEST_NOW

from floop.cli import main
from floop.config import Layout, parse_now
from floop.dbt import run_dbt
from floop.importers.alpaca_eval import output_id, split_generator
from floop.publish import publish_analyst_copy

RESULTS = SHARED_DIR / "realdata" / "alpaca_eval" / "results"
# The AlpacaEval 2.0 leaderboard's win rates (weighted_alpaca_eval_gpt4_turbo, not length
# controlled), as published: (model_id, model_version, prompt_version) -> win rate, 3 decimals.
PUBLISHED = {
    ("gpt-3.5-turbo", "0301", "default"): 9.622,
    ("gpt-3.5-turbo", "1106", "default"): 9.178,
    ("gpt-3.5-turbo", "1106", "concise"): 7.416,
    ("gpt-3.5-turbo", "1106", "verbose"): 12.763,
}


@pytest.fixture(scope="module")
def results() -> Path:
    if not RESULTS.is_dir():
        pytest.skip(f"AlpacaEval results not found at {RESULTS} (../shared/realdata missing)")
    return RESULTS


def test_generator_names_split_into_versions() -> None:
    assert split_generator("gpt-3.5-turbo-1106_concise") == ("gpt-3.5-turbo", "1106", "concise")
    assert split_generator("gpt-3.5-turbo-0301") == ("gpt-3.5-turbo", "0301", "default")
    assert split_generator("claude") == ("claude", "unversioned", "default")
    assert output_id("g", "x") == output_id("g", "x") != output_id("g", "y")


@pytest.mark.slow
def test_published_win_rates_from_the_analyst_copy(results: Path, tmp_path: Path) -> None:
    landing, wh = tmp_path / "landing", tmp_path / "floop.duckdb"
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(
        "fields:\n  tenant_id: {default: evals}\n  country: {default: US}\n"
        "  consent_scope: {default: evaluation}\n",
        encoding="utf-8",
    )
    argv = ["import", "alpaca-eval", str(results), "--landing", str(landing)]
    assert main([*argv, "--mapping", str(mapping)]) == 0
    assert main([*argv, "--mapping", str(mapping)]) == 0, "a re-import changes nothing"
    assert len(list(landing.glob("*.jsonl"))) == 8
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
    # only what the scores need: the whole project would take three times as long
    run_dbt(
        ["build", "--select", "+fct_evaluation_scores", "--indirect-selection", "cautious"],
        wh,
        now=parse_now(TEST_NOW),
    )
    layout = Layout.for_warehouse(wh)
    copy = publish_analyst_copy(wh, layout.analyst_copy, layout.dbt_manifest).path
    con = duckdb.connect(str(copy), read_only=True)
    try:
        rows = con.execute(
            "select model_id, model_version, prompt_version, win_rate, preferences, "
            "is_registered_workflow from marts.fct_evaluation_scores "
            "where eval_metric = 'preference'"
        ).fetchall()
        interactions = con.execute(
            "select count(*) from intermediate.int_evaluations_versioned where has_interaction"
        ).fetchall()
    finally:
        con.close()
    got = {tuple(r[:3]): round(r[3], 3) for r in rows}
    assert got == PUBLISHED
    assert {r[4] for r in rows} == {805}
    assert not any(r[5] for r in rows), "alpaca_eval is no workflow of the seed: kept anyway"
    assert interactions == [(4 * 805,)]
    # the same numbers straight from the files, as AlpacaEval computes them
    for gen_dir in results.iterdir():
        ann = json.loads(gzip.decompress(next(gen_dir.glob("*annotations*")).read_bytes()))
        prefs = [1.5 if a["preference"] == 0 else a["preference"] for a in ann]
        win = 100 * sum(p - 1 for p in prefs if 1 <= p <= 2) / len(prefs)
        assert round(win, 3) == PUBLISHED[split_generator(gen_dir.name)]
