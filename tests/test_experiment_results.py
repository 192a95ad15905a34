"""floop.experiment_results on hand-made per-arm rows whose answers are worked out by hand."""

from __future__ import annotations

import math

import pytest

from floop.experiment_results import experiment_results, latency_result, ratio_stats
from floop.stats import RatioStats, frequentist, holm_bonferroni, srm_p_value

CONFIG = {
    "experiment_id": "e", "workflow": "w", "control_arm": "control", "alpha": 0.05,
    "latency_p95_max_relative_increase": 0.10, "safety_violation_max_absolute_increase": 0.005,
    "output_tokens_max_relative_increase": 0.20,
}  # fmt: skip
FIELDS = ("num_sum", "num_sum_sq", "den_sum", "den_sum_sq", "num_den_sum")


def arm_row(arm: str, metric: str, s: RatioStats, weight: float = 0.5) -> dict:
    row = {"experiment_id": "e", "arm": arm, "metric": metric, "planned_weight": weight,
           "arm_version": arm, "units": s.n, "pre_units": s.pre.n if s.pre else 0,
           "is_control": arm == "control"}
    row |= {k: v for k, v in CONFIG.items() if k != "control_arm"}
    row |= {f: getattr(s, f) for f in FIELDS}
    pre = s.pre or RatioStats(0, 0, 0, 0, 0, 0)
    row |= {f"pre_{f}": getattr(pre, f) for f in FIELDS}
    row |= {f: getattr(s, f) for f in ("num_pre_num_sum", "num_pre_den_sum", "den_pre_num_sum",
                                       "den_pre_den_sum")}
    return row


def test_ratio_stats_round_trip() -> None:
    s = RatioStats.from_units([1, 0, 2], [2, 1, 3], [1, 0, 1], [1, 0, 2])
    assert ratio_stats(arm_row("a", "m", s)) == s


def test_latency_guardrail_by_hand() -> None:
    control = {"interactions": 100, "latency_p95_ms": 1000.0, "latency_p95_ci_low_ms": 900.0,
               "latency_p95_ci_high_ms": 1100.0}
    slow = {"interactions": 100, "latency_p95_ms": 1600.0, "latency_p95_ci_low_ms": 1400.0,
            "latency_p95_ci_high_ms": 1800.0}
    r = latency_result(control, slow, 0.10)
    # lower = 1400 / 1100 - 1 = 0.2727 > 0.10: breached; upper = 1800 / 900 - 1 = 1.0
    assert r["guardrail_lower_bound"] == pytest.approx(1400 / 1100 - 1)
    assert r["guardrail_upper_bound"] == pytest.approx(1.0)
    assert r["lift_relative"] == pytest.approx(0.6) and r["guardrail_status"] == "breached"
    same = {**control}
    r = latency_result(control, same, 0.10)
    # lower = 900/1100 - 1 = -0.18 (not breached); upper = 1100/900 - 1 = 0.222 > 0.10
    assert r["guardrail_status"] == "inconclusive"
    tight = {"interactions": 100, "latency_p95_ms": 1000.0, "latency_p95_ci_low_ms": 990.0,
             "latency_p95_ci_high_ms": 1010.0}
    assert latency_result(tight, tight, 0.10)["guardrail_status"] == "held"  # 1010/990-1=0.02
    assert latency_result(None, tight, 0.10)["guardrail_status"] == "no_data"


def test_three_arms_holm_srm_and_guardrails() -> None:
    control = RatioStats.from_units([1, 0, 2, 1, 3, 0, 1, 2, 1, 1], [2, 1, 3, 1, 4, 2, 1, 3, 2, 1])
    b = RatioStats.from_units([2, 1, 2, 1, 3, 1, 1, 3, 2, 1], [2, 1, 3, 1, 4, 2, 1, 3, 2, 1])
    c = RatioStats.from_units([0, 0, 2, 1, 2, 0, 1], [2, 1, 3, 1, 4, 2, 1])
    no_violations = RatioStats.from_units([0] * 5, [2] * 5)
    tokens = RatioStats.from_units([100, 200, 150], [1, 2, 1])
    stats = []
    for arm, s in (("control", control), ("b", b), ("c", c)):
        stats += [arm_row(arm, "primary_outcome", s, 1 / 3),
                  arm_row(arm, "safety_violation_rate", no_violations, 1 / 3),
                  arm_row(arm, "output_tokens_per_task", tokens, 1 / 3)]
    out = experiment_results(stats, [])
    assert len(out) == 2 * 4  # arms b, c x (3 ratio metrics + latency)
    goal = {r["arm"]: r for r in out if r["metric"] == "primary_outcome"}
    seq = [frequentist(control, x, sequential=True).p_value for x in (b, c)]
    assert [goal["b"]["seq_p_value"], goal["c"]["seq_p_value"]] == pytest.approx(seq)
    holm = holm_bonferroni(seq)
    assert [goal["b"]["seq_p_value_holm"], goal["c"]["seq_p_value_holm"]] == pytest.approx(holm)
    assert goal["b"]["srm_p_value"] == pytest.approx(srm_p_value([10, 10, 7], [1, 1, 1]))
    assert goal["b"]["cuped_applied"] is False
    by = {(r["arm"], r["metric"]): r for r in out}
    # both arms constant at 0 violations: the increase is exactly 0 <= 0.005
    safety = by[("b", "safety_violation_rate")]
    assert safety["guardrail_status"] == "held" and safety["guardrail_upper_bound"] == 0
    # identical token arms: no variance difference, increase exactly 0
    assert by[("b", "output_tokens_per_task")]["guardrail_lower_bound"] <= 0.20
    assert by[("b", "server_latency_p95")]["guardrail_status"] == "no_data"


def test_cuped_applies_with_a_pre_period() -> None:
    ones = [1.0] * 6
    control = RatioStats.from_units([3, 5, 2, 8, 4, 6], ones, [2, 4, 1, 7, 0, 5], ones)
    arm = RatioStats.from_units([6, 7, 5, 9, 4, 8], ones, [4, 6, 3, 8, 0, 0], ones)
    stats = [arm_row("control", "primary_outcome", control), arm_row("t", "primary_outcome", arm)]
    (goal,) = [r for r in experiment_results(stats, []) if r["metric_role"] == "goal"]
    expected = frequentist(control, arm, cuped=True)
    assert goal["cuped_applied"] is True and goal["cuped_theta"] == pytest.approx(expected.theta)
    assert goal["lift_relative"] == pytest.approx(expected.effect)
    assert not math.isclose(goal["lift_relative"], frequentist(control, arm).effect)


def test_control_missing_gives_no_rows() -> None:
    s = RatioStats.from_units([1, 0], [1, 1])
    stats = [arm_row("x", "primary_outcome", s), arm_row("y", "primary_outcome", s)]
    assert experiment_results(stats, []) == []


def test_no_violation_in_the_control_is_no_exact_breach() -> None:
    """Regression: a control with no safety violation (gbstats: baseline zero, no test) and an
    arm with 2 of 100 used to count as an exact +0.02 increase, a breach with no uncertainty
    (it flagged exp-code-fastpath's safety on the simulator). The arms' own variance stays."""
    control = RatioStats.from_units([0] * 100, [1] * 100)
    arm = RatioStats.from_units([1, 1] + [0] * 98, [1] * 100)
    stats = [arm_row("control", "primary_outcome", control),
             arm_row("t", "primary_outcome", arm),
             arm_row("control", "safety_violation_rate", control),
             arm_row("t", "safety_violation_rate", arm)]
    by = {r["metric"]: r for r in experiment_results(stats, [])}
    safety = by["safety_violation_rate"]
    # se = sqrt(0 / 100 + 0.0198 / 100) (the arm's unit variance 2 * 0.98^2 + 98 * 0.02^2 over
    # 99): the one-sided bound reaches below 0.005, so the breach is not shown
    assert safety["guardrail_lower_bound"] < 0.005 < safety["guardrail_upper_bound"]
    assert safety["guardrail_status"] == "inconclusive"
    # a clear increase still breaches: 30 of 100 against none
    many = RatioStats.from_units([1] * 30 + [0] * 70, [1] * 100)
    stats[3] = arm_row("t", "safety_violation_rate", many)
    by = {r["metric"]: r for r in experiment_results(stats, [])}
    assert by["safety_violation_rate"]["guardrail_status"] == "breached"
