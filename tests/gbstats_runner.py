"""Run inside the gbstats 0.8.0 virtualenv (tests/gbstats_env.py): evaluate the cases of a JSON
request with gbstats' own classes and write its answers as JSON. Imports nothing of floop.

Request: {"pairs": [{"id", "kind": "ratio"|"mean"|"mean_ra", "a": sums, "b": sums,
"tests": {name: spec}}], "srm": [{"id", "observed", "weights"}]}; sums use the field names of
floop.stats.RatioStats (for "mean"/"mean_ra": n, num_sum, num_sum_sq and, for "mean_ra",
pre_sum, pre_sum_sq, post_pre_sum). A spec: {"engine": "ttest"|"sequential"|"bayesian",
"difference_type", "alpha", "tuning", "prior": null|[mean, variance], "inverse"}.
"""

import json
import sys

from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.frequentist.tests import (
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import (
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from gbstats.utils import check_srm


def statistic(kind, s):
    def mean(total, total_sq):
        return SampleMeanStatistic(n=s["n"], sum=total, sum_squares=total_sq)

    if kind == "ratio":
        return RatioStatistic(
            n=s["n"],
            m_statistic=mean(s["num_sum"], s["num_sum_sq"]),
            d_statistic=mean(s["den_sum"], s["den_sum_sq"]),
            m_d_sum_of_products=s["num_den_sum"],
        )
    if kind == "mean":
        return mean(s["num_sum"], s["num_sum_sq"])
    return RegressionAdjustedStatistic(
        n=s["n"],
        post_statistic=mean(s["num_sum"], s["num_sum_sq"]),
        pre_statistic=mean(s["pre_sum"], s["pre_sum_sq"]),
        post_pre_sum_of_products=s["post_pre_sum"],
        theta=0,
    )


def run_test(kind, a, b, spec):
    stat_a, stat_b = statistic(kind, a), statistic(kind, b)
    diff = spec["difference_type"]
    if spec["engine"] == "ttest":
        test = TwoSidedTTest(stat_a, stat_b, FrequentistConfig(
            difference_type=diff, alpha=spec["alpha"]))
    elif spec["engine"] == "sequential":
        test = SequentialTwoSidedTTest(stat_a, stat_b, SequentialConfig(
            difference_type=diff, alpha=spec["alpha"],
            sequential_tuning_parameter=spec["tuning"]))
    else:
        prior = GaussianPrior()
        if spec["prior"] is not None:
            prior = GaussianPrior(mean=spec["prior"][0], variance=spec["prior"][1], proper=True)
        test = EffectBayesianABTest(stat_a, stat_b, EffectBayesianConfig(
            difference_type=diff, alpha=spec["alpha"], inverse=spec["inverse"],
            prior_effect=prior, prior_type="relative"))
    result = test.compute_result()
    out = {
        "expected": float(result.expected),
        "ci_low": float(result.ci[0]),
        "ci_high": float(result.ci[1]),
        "se": float(result.uplift.stddev),
        "error": result.error_message,
        "theta": float(getattr(test.stat_a, "theta", 0.0)),
    }
    if spec["engine"] == "bayesian":
        out["chance_to_win"] = float(result.chance_to_win)
        out["risk_control"] = float(result.risk[0])
        out["risk_treatment"] = float(result.risk[1])
    else:
        out["p_value"] = float(result.p_value)
    return out


def main(request_path, answer_path):
    with open(request_path) as f:
        request = json.load(f)
    answer = {"pairs": {}, "srm": {}}
    for pair in request["pairs"]:
        answer["pairs"][pair["id"]] = {
            name: run_test(pair["kind"], pair["a"], pair["b"], spec)
            for name, spec in pair["tests"].items()
        }
    for case in request["srm"]:
        answer["srm"][case["id"]] = float(check_srm(case["observed"], case["weights"]))
    with open(answer_path, "w") as f:
        json.dump(answer, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
