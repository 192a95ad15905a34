"""Experiment configs (floop.experiments): validation errors name file, key and expectation;
the repo's configs load; the seeds dbt reads are exactly what the configs render."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from floop.config import EXPERIMENTS_DIR, PROJECT_DIR
from floop.experiments import (
    DEFAULTS,
    ExperimentConfigError,
    Guardrails,
    load_experiment,
    load_experiments,
    render_seeds,
)

GOOD = {
    "experiment_id": "exp-x",
    "workflow": "rag_qa",
    "arms": [{"name": "control", "weight": 0.5}, {"name": "treatment", "weight": 0.5}],
}


def write(tmp_path: Path, doc: dict, name: str = "exp-x") -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_minimal_config_gets_the_defaults(tmp_path: Path) -> None:
    e = load_experiment(write(tmp_path, GOOD))
    assert e.mode == DEFAULTS["mode"] == "ab"
    assert e.randomization_unit == "user_key"
    assert e.alpha == 0.05 and e.minimum_units_per_arm == 100
    assert e.guardrails == Guardrails()
    assert e.start is None
    assert e.control.name == "control"
    assert [a.version for a in e.arms] == ["control", "treatment"]


def test_full_config(tmp_path: Path) -> None:
    doc = GOOD | {
        "mode": "bandit", "randomization_unit": "session_id",
        "start": "2026-11-03T09:00:00+01:00", "minimum_units_per_arm": 50, "alpha": 0.1,
        "non_inferiority_margin": 0.05,
        "arms": [{"name": "a", "weight": 0.25, "version": "rag-v2"},
                 {"name": "b", "weight": 0.75, "control": True}],
        "guardrails": {"latency_p95": {"max_relative_increase": 0.2},
                       "safety_violation_rate": {"max_absolute_increase": 0.01,
                                                 "eval_metric": "toxicity"}},
    }  # fmt: skip
    e = load_experiment(write(tmp_path, doc))
    assert e.start == datetime(2026, 11, 3, 8, 0)  # naive UTC
    assert e.control.name == "b" and e.arms[0].version == "rag-v2"
    assert e.guardrails.latency_p95_max_relative_increase == 0.2
    assert e.guardrails.safety_eval_metric == "toxicity"
    assert e.guardrails.output_tokens_max_relative_increase == 0.20  # default kept


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        ({"workflow": "nope"}, "workflow", "one of ['support_chat'"),
        ({"experiment_id": "other"}, "experiment_id", "the file's stem 'exp-x'"),
        ({"mode": "multi"}, "mode", "one of ['ab', 'bandit']"),
        ({"randomization_unit": "tenant"}, "randomization_unit", "one of ['user_key'"),
        ({"alpha": 0.7}, "alpha", "a number in (0, 0.5)"),
        ({"minimum_units_per_arm": 1}, "minimum_units_per_arm", "an integer >= 2"),
        ({"start": "yesterday"}, "start", "a UTC time"),
        ({"start": "2026-11-03T00:00:00"}, "start", "with its offset"),
        ({"colour": "red"}, "colour", "one of the known keys"),
        ({"arms": [{"name": "a", "weight": 1.0}]}, "arms", "at least two arms"),
        ({"arms": [{"name": "a", "weight": 0.5}, {"name": "b", "weight": 0.4}]}, "arms",
         "planned weights that sum to 1"),
        ({"arms": [{"name": "a", "weight": 0.5}, {"name": "a", "weight": 0.5}]},
         "arms[1].name", "arm names that differ"),
        ({"arms": [{"name": "a", "weight": 0}, {"name": "b", "weight": 1}]},
         "arms[0].weight", "a number in (0"),
        ({"arms": [{"name": "a", "weight": 0.5, "control": True},
                   {"name": "b", "weight": 0.5, "control": True}]}, "arms", "at most one arm"),
        ({"guardrails": {"p99": {}}}, "guardrails.p99", "one of ['latency_p95'"),
        ({"guardrails": {"latency_p95": {"max_relative_increase": -1}}},
         "guardrails.latency_p95.max_relative_increase", "a number in [0"),
    ],
)
def test_errors_name_file_key_and_expectation(
    tmp_path: Path, change: dict, key: str, expected: str
) -> None:
    doc = GOOD | change
    path = write(tmp_path, doc)
    with pytest.raises(ExperimentConfigError) as err:
        load_experiment(path)
    message = str(err.value)
    assert str(path) in message and f"key '{key}'" in message and expected in message
    assert "\n" not in message


def test_missing_required_key_and_bad_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, {k: v for k, v in GOOD.items() if k != "arms"})
    with pytest.raises(ExperimentConfigError, match="key 'arms': expected required list"):
        load_experiment(path)
    bad = tmp_path / "exp-y.yml"
    bad.write_text("experiment_id: [unclosed\n")
    with pytest.raises(ExperimentConfigError, match="not readable YAML"):
        load_experiment(bad)


def test_repo_configs_load() -> None:
    experiments = load_experiments(EXPERIMENTS_DIR)
    ids = {e.experiment_id for e in experiments}
    assert {"exp-rag-rerank", "exp-code-context", "exp-support-tone", "exp-code-fastpath"} <= ids


def test_seeds_match_the_configs() -> None:
    """seeds/experiment*.csv are generated: run scripts/gen_experiment_seeds.py after editing
    experiments/ (one source of truth)."""
    for name, text in render_seeds(load_experiments(EXPERIMENTS_DIR)).items():
        seed = PROJECT_DIR / "seeds" / name
        assert seed.read_text() == text, (
            f"seeds/{name} is stale: run .venv/bin/python scripts/gen_experiment_seeds.py"
        )


def test_seed_rows_for_a_config(tmp_path: Path) -> None:
    e = load_experiment(write(tmp_path, GOOD | {"start": "2026-11-03T00:00:00Z"}))
    seeds = render_seeds([e])
    assert seeds["experiments.csv"].splitlines()[1] == (
        "exp-x,rag_qa,2026-11-03 00:00:00,ab,user_key,100,0.05,0.02,0.1,safety_violation,"
        "0.005,0.2,control,exp-x.yml"
    )
    assert seeds["experiment_arms.csv"].splitlines()[1:] == [
        "exp-x,control,0.5,true,control", "exp-x,treatment,0.5,false,treatment"
    ]
