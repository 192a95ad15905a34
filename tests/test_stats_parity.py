"""floop.stats against gbstats 0.8.0 itself, to 1e-6 absolute, on hand-made and simulated data.

gbstats runs in its own cached virtualenv (tests/gbstats_env.py; the first build takes ~25 s
and needs PyPI); all cases go to it in one request. Every number gbstats returns is compared:
effects, intervals, standard errors and p-values of the Welch and the sequential tests,
chance to win, risks and credible intervals, CUPED's theta and adjusted lifts, SRM p-values.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from gbstats_env import GbstatsUnavailable, run_gbstats
from stats_fixtures import SRM_CASES, Pair, hand_pairs, simulated_pairs

from floop.stats import GaussianPrior, RatioStats, bayesian, frequentist, srm_p_value

pytestmark = pytest.mark.slow

TOLERANCE = 1e-6  # absolute, on every compared number

TESTS = {
    "ttest_rel": {"engine": "ttest", "difference_type": "relative", "alpha": 0.05},
    "ttest_abs": {"engine": "ttest", "difference_type": "absolute", "alpha": 0.05},
    "ttest_rel_alpha10": {"engine": "ttest", "difference_type": "relative", "alpha": 0.10},
    "seq_rel": {"engine": "sequential", "difference_type": "relative", "alpha": 0.05,
                "tuning": 5000},
    "seq_abs": {"engine": "sequential", "difference_type": "absolute", "alpha": 0.05,
                "tuning": 5000},
    "seq_rel_k1000": {"engine": "sequential", "difference_type": "relative", "alpha": 0.05,
                      "tuning": 1000},
    "bayes_rel": {"engine": "bayesian", "difference_type": "relative", "alpha": 0.05,
                  "prior": None, "inverse": False},
    "bayes_abs": {"engine": "bayesian", "difference_type": "absolute", "alpha": 0.05,
                  "prior": None, "inverse": False},
    "bayes_prior_rel": {"engine": "bayesian", "difference_type": "relative", "alpha": 0.05,
                        "prior": [0.02, 0.01], "inverse": False},
    "bayes_prior_abs": {"engine": "bayesian", "difference_type": "absolute", "alpha": 0.05,
                        "prior": [0.02, 0.01], "inverse": False},
    "bayes_inverse": {"engine": "bayesian", "difference_type": "relative", "alpha": 0.05,
                      "prior": None, "inverse": True},
}


def gbstats_sums(kind: str, s: RatioStats) -> dict:
    sums = {"n": s.n, "num_sum": s.num_sum, "num_sum_sq": s.num_sum_sq, "den_sum": s.den_sum,
            "den_sum_sq": s.den_sum_sq, "num_den_sum": s.num_den_sum}
    if kind == "mean_ra":
        assert s.pre is not None
        sums |= {"pre_sum": s.pre.num_sum, "pre_sum_sq": s.pre.num_sum_sq,
                 "post_pre_sum": s.num_pre_num_sum}
    return sums


def floop_answer(pair: Pair, spec: dict) -> dict:
    relative = spec["difference_type"] == "relative"
    cuped = pair.kind == "mean_ra"
    a, b = pair.control, pair.treatment
    if spec["engine"] == "bayesian":
        prior = GaussianPrior(*spec["prior"]) if spec["prior"] else None
        r = bayesian(a, b, relative=relative, cuped=cuped, alpha=spec["alpha"], prior=prior,
                     inverse=spec["inverse"])
        return {"expected": r.expected, "ci_low": r.ci_low, "ci_high": r.ci_high, "se": r.se,
                "error": r.error, "theta": r.theta, "chance_to_win": r.chance_to_win,
                "risk_control": r.risk_control, "risk_treatment": r.risk_treatment}
    sequential = spec["engine"] == "sequential"
    e = frequentist(a, b, relative=relative, alpha=spec["alpha"], sequential=sequential,
                    sequential_tuning=spec.get("tuning", 5000), cuped=cuped)
    return {"expected": e.effect, "ci_low": e.ci_low, "ci_high": e.ci_high, "se": e.se,
            "error": e.error, "theta": e.theta, "p_value": e.p_value}


PAIRS = hand_pairs() + simulated_pairs(seed=7) + simulated_pairs(seed=2026)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    request = {
        "pairs": [{"id": p.id, "kind": p.kind, "a": gbstats_sums(p.kind, p.control),
                   "b": gbstats_sums(p.kind, p.treatment), "tests": TESTS} for p in PAIRS],
        "srm": [{"id": k, "observed": o, "weights": w} for k, (o, w) in SRM_CASES.items()],
    }
    try:
        return run_gbstats(request, Path(tmp_path_factory.mktemp("gbstats")))
    except GbstatsUnavailable as exc:
        pytest.skip(str(exc))


DIFFS: dict[str, float] = defaultdict(float)  # quantity -> max abs diff, for the summary


def quantity_label(pair: Pair, spec: dict, field: str) -> str:
    engine = {"ttest": "Welch", "sequential": "sequential", "bayesian": "Bayesian"}
    label = f"{engine[spec['engine']]} {field}"
    return f"CUPED {label}" if pair.kind == "mean_ra" else label


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_lifts_equal_gbstats(pair: Pair, reference: dict) -> None:
    theirs_by_test = reference["pairs"][pair.id]
    for name, spec in TESTS.items():
        ours, theirs = floop_answer(pair, spec), theirs_by_test[name]
        assert ours["error"] == theirs["error"], (name, ours, theirs)
        for field, value in theirs.items():
            if field == "error":
                continue
            diff = abs(ours[field] - value)
            key = quantity_label(pair, spec, field)
            DIFFS[key] = max(DIFFS[key], diff)
            assert diff <= TOLERANCE, (name, field, ours[field], value)


def test_srm_equals_gbstats(reference: dict) -> None:
    for case, (observed, weights) in SRM_CASES.items():
        diff = abs(srm_p_value(observed, weights) - reference["srm"][case])
        DIFFS["SRM p-value"] = max(DIFFS["SRM p-value"], diff)
        assert diff <= TOLERANCE, case


def test_fixtures_exercise_every_path(reference: dict) -> None:
    """The fixtures reach gbstats' no-result answers and a non-zero CUPED theta."""
    answers = [a for tests in reference["pairs"].values() for a in tests.values()]
    errors = {a["error"] for a in answers}
    assert {None, "ZERO_NEGATIVE_VARIANCE", "ZERO_NEGATIVE_BASELINE_VARIATION"} <= errors
    assert any(a["theta"] != 0 for a in answers)
    assert reference["pairs"]["cuped_constant_pre"]["ttest_rel"]["theta"] == 0


def test_parity_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the max abs difference per quantity (run with -s to see it); runs last."""
    if not DIFFS:
        pytest.skip("no parity test ran")
    with capsys.disabled():
        print("\nquantity -> max abs diff vs gbstats 0.8.0")
        for key in sorted(DIFFS):
            print(f"  {key:40s} {DIFFS[key]:.2e}")
    assert max(DIFFS.values()) <= TOLERANCE
