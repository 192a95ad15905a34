"""Per-arm experiment results from per-arm sufficient statistics (the dbt Python model
`int_experiment_tests` calls `experiment_results`; only per-arm rows ever reach Python: all
row-level work is SQL).

For every experiment, every arm other than the control and every metric:

- goal metric `primary_outcome` (successes / tasks with an outcome, per unit, delta method):
  Welch t-test and the always-valid sequential interval (tuning 5,000) on the relative and
  the absolute lift, Bayesian chance to win and risk (flat prior), all CUPED-adjusted when
  both arms have units seen before the start (floop.stats, equal to gbstats 0.8.0);
  Holm-Bonferroni over the sequential p-values of the experiment's arms x goal metrics;
- guardrails, one-sided at alpha (the sequential interval at level 2 alpha gives one-sided
  (1 - alpha) bounds): `output_tokens_per_task` (relative lift), `safety_violation_rate`
  (absolute lift) and `server_latency_p95` (relative change of the p95, bounded by the arms'
  order-statistic intervals: lower = t_low / c_high - 1, upper = t_high / c_low - 1, each arm's
  interval at 1 - alpha, so each bound holds with probability >= 1 - alpha). A guardrail is
  `breached` when the lower bound exceeds its threshold (worse by more than allowed, with
  confidence), `held` when the upper bound is within it, else `inconclusive`; `no_data` when an
  arm has nothing to measure;
- the experiment's sample-ratio test (Pearson chi-squared of units per arm against planned
  weights, unhealthy at p < 0.001) on every row.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from floop.stats import (
    RatioStats,
    bayesian,
    frequentist,
    holm_bonferroni,
    srm_p_value,
    srm_unhealthy,
)
from floop.stats.frequentist import sequential_half_width

GOAL_METRIC = "primary_outcome"
LATENCY_METRIC = "server_latency_p95"
SEQUENTIAL_TUNING = 5000
# guardrail metric -> (config column of its threshold, scale of the threshold)
GUARDRAILS: dict[str, tuple[str, str]] = {
    "output_tokens_per_task": ("output_tokens_max_relative_increase", "relative"),
    "safety_violation_rate": ("safety_violation_max_absolute_increase", "absolute"),
    LATENCY_METRIC: ("latency_p95_max_relative_increase", "relative"),
}

# The columns of the result, in order, with their Arrow/DuckDB types (the Python model builds
# its table with this schema, so an empty result still has every column).
RESULT_COLUMNS: dict[str, str] = {
    "experiment_id": "string", "arm": "string", "control_arm": "string", "metric": "string",
    "metric_role": "string", "workflow": "string", "arm_version": "string",
    "control_version": "string", "control_units": "int64", "arm_units": "int64",
    "control_mean": "float64", "arm_mean": "float64",
    "lift_relative": "float64", "lift_relative_ci_low": "float64",
    "lift_relative_ci_high": "float64", "p_value": "float64",
    "lift_relative_seq_ci_low": "float64", "lift_relative_seq_ci_high": "float64",
    "seq_p_value": "float64", "seq_p_value_holm": "float64",
    "lift_absolute": "float64", "lift_absolute_ci_low": "float64",
    "lift_absolute_ci_high": "float64", "lift_absolute_seq_ci_low": "float64",
    "lift_absolute_seq_ci_high": "float64",
    "chance_to_win": "float64", "risk_control": "float64", "risk_treatment": "float64",
    "cuped_applied": "bool", "cuped_theta": "float64",
    "guardrail_threshold": "float64", "guardrail_scale": "string",
    "guardrail_lower_bound": "float64", "guardrail_upper_bound": "float64",
    "guardrail_status": "string", "srm_p_value": "float64", "is_srm": "bool",
    "error": "string",
}  # fmt: skip

_PRE_FIELDS = ("num_sum", "num_sum_sq", "den_sum", "den_sum_sq", "num_den_sum")


def ratio_stats(row: Mapping[str, Any]) -> RatioStats:
    """A row of marts.fct_experiment_arm_stats as RatioStats (pre-period when any unit has
    one)."""
    pre = None
    if row["pre_units"]:
        pre = RatioStats(row["pre_units"], *(row[f"pre_{f}"] for f in _PRE_FIELDS))
    return RatioStats(
        row["units"], *(row[f] for f in _PRE_FIELDS), pre=pre,
        num_pre_num_sum=row["num_pre_num_sum"], num_pre_den_sum=row["num_pre_den_sum"],
        den_pre_num_sum=row["den_pre_num_sum"], den_pre_den_sum=row["den_pre_den_sum"],
    )


def _status(lower: float, upper: float, threshold: float) -> str:
    if lower > threshold:
        return "breached"
    if upper <= threshold:
        return "held"
    return "inconclusive"


def ratio_result(control: RatioStats, arm: RatioStats, *, alpha: float, role: str,
                 threshold: float | None = None, scale: str | None = None) -> dict[str, Any]:
    """The test columns of one arm against the control for a ratio metric."""
    cuped = role == "goal" and control.pre is not None and arm.pre is not None
    out: dict[str, Any] = {"control_mean": control.mean, "arm_mean": arm.mean}
    for relative, name in ((True, "lift_relative"), (False, "lift_absolute")):
        fixed = frequentist(control, arm, relative=relative, alpha=alpha, cuped=cuped)
        seq = frequentist(control, arm, relative=relative, alpha=alpha, cuped=cuped,
                          sequential=True, sequential_tuning=SEQUENTIAL_TUNING)
        out |= {name: fixed.effect, f"{name}_ci_low": fixed.ci_low,
                f"{name}_ci_high": fixed.ci_high, f"{name}_seq_ci_low": seq.ci_low,
                f"{name}_seq_ci_high": seq.ci_high}
        if relative:
            out |= {"p_value": fixed.p_value, "seq_p_value": seq.p_value,
                    "cuped_applied": fixed.cuped, "cuped_theta": fixed.theta,
                    "error": fixed.error}
    bayes = bayesian(control, arm, relative=True, alpha=alpha, cuped=cuped)
    out |= {"chance_to_win": bayes.chance_to_win, "risk_control": bayes.risk_control,
            "risk_treatment": bayes.risk_treatment}
    if role == "guardrail" and threshold is not None:
        out |= _ratio_guardrail(control, arm, alpha=alpha, threshold=threshold, scale=scale)
    return out


def _degenerate_guardrail(control: RatioStats, arm: RatioStats, *, alpha: float,
                          threshold: float, scale: str | None) -> dict[str, Any]:
    """A guardrail gbstats gives no test for: a control mean of 0 or an arm without variance.
    Both arms constant (e.g. no violation at all): the effect is exact. Otherwise (e.g. no
    violation in the control, a few in the arm) an absolute change keeps the arms' own
    uncertainty (the same one-sided sequential bound, from their variances), and a relative
    change from a zero baseline is undefined: inconclusive."""
    if control.variance <= 0 and arm.variance <= 0:
        effect = arm.mean - control.mean
        if scale == "relative":
            effect = arm.mean / control.mean - 1 if control.mean else 0.0
        return {"guardrail_lower_bound": effect, "guardrail_upper_bound": effect,
                "guardrail_status": _status(effect, effect, threshold)}
    if scale == "relative" and not control.mean:
        return {"guardrail_status": "inconclusive"}
    effect = arm.mean - control.mean
    if scale == "relative":
        effect = arm.mean / control.mean - 1
    se = math.sqrt(control.variance / control.n + arm.variance / arm.n)
    if scale == "relative":
        se /= control.mean  # the delta method with the baseline held fixed (it has no variance)
    half = sequential_half_width(se, control.n + arm.n, 2 * alpha, SEQUENTIAL_TUNING)
    return {"guardrail_lower_bound": effect - half, "guardrail_upper_bound": effect + half,
            "guardrail_status": _status(effect - half, effect + half, threshold)}


def _ratio_guardrail(control: RatioStats, arm: RatioStats, *, alpha: float, threshold: float,
                     scale: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"guardrail_threshold": threshold, "guardrail_scale": scale}
    if control.den_sum == 0 or arm.den_sum == 0:
        return out | {"guardrail_status": "no_data"}
    one_sided = frequentist(control, arm, relative=scale == "relative", alpha=2 * alpha,
                            sequential=True, sequential_tuning=SEQUENTIAL_TUNING)
    if one_sided.error is not None:
        return out | _degenerate_guardrail(control, arm, alpha=alpha, threshold=threshold,
                                           scale=scale)
    return out | {"guardrail_lower_bound": one_sided.ci_low,
                  "guardrail_upper_bound": one_sided.ci_high,
                  "guardrail_status": _status(one_sided.ci_low, one_sided.ci_high, threshold)}


def latency_result(control: Mapping[str, Any] | None, arm: Mapping[str, Any] | None,
                   threshold: float) -> dict[str, Any]:
    """The p95 latency guardrail from the arms' rows of int_experiment_arm_latency."""
    out: dict[str, Any] = {"guardrail_threshold": threshold, "guardrail_scale": "relative",
                           "control_units": 0, "arm_units": 0}
    if not control or not arm or not control["latency_p95_ms"] or not arm["latency_p95_ms"]:
        return out | {"guardrail_status": "no_data"}
    c, t = control, arm
    low = t["latency_p95_ci_low_ms"] / c["latency_p95_ci_high_ms"] - 1
    high = t["latency_p95_ci_high_ms"] / c["latency_p95_ci_low_ms"] - 1
    return out | {
        "control_units": c["interactions"], "arm_units": t["interactions"],
        "control_mean": c["latency_p95_ms"], "arm_mean": t["latency_p95_ms"],
        "lift_relative": t["latency_p95_ms"] / c["latency_p95_ms"] - 1,
        "lift_relative_ci_low": low, "lift_relative_ci_high": high,
        "lift_absolute": t["latency_p95_ms"] - c["latency_p95_ms"],
        "lift_absolute_ci_low": t["latency_p95_ci_low_ms"] - c["latency_p95_ci_high_ms"],
        "lift_absolute_ci_high": t["latency_p95_ci_high_ms"] - c["latency_p95_ci_low_ms"],
        "guardrail_lower_bound": low, "guardrail_upper_bound": high,
        "guardrail_status": _status(low, high, threshold),
    }


def _experiment_rows(config: Mapping[str, Any], stats: list[Mapping[str, Any]],
                     latency: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """All result rows of one experiment."""
    by_arm: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for row in stats:
        by_arm[row["arm"]][row["metric"]] = row
    arms = sorted(by_arm)
    control = config["control_arm"]
    if control not in by_arm or len(arms) < 2:
        return []
    goal_rows = [by_arm[a][GOAL_METRIC] for a in arms]
    srm_p = srm_p_value([int(r["units"]) for r in goal_rows],
                        [float(r["planned_weight"]) for r in goal_rows])
    alpha = float(config["alpha"])
    rows = []
    for arm in arms:
        if arm == control:
            continue
        metrics = [*sorted(by_arm[arm]), LATENCY_METRIC]
        for metric in metrics:
            base = by_arm[arm].get(metric) or by_arm[arm][GOAL_METRIC]
            row: dict[str, Any] = {
                "experiment_id": config["experiment_id"], "arm": arm, "control_arm": control,
                "metric": metric, "metric_role": "goal" if metric == GOAL_METRIC else "guardrail",
                "workflow": config["workflow"], "arm_version": base["arm_version"],
                "control_version": by_arm[control][GOAL_METRIC]["arm_version"],
                "srm_p_value": srm_p, "is_srm": srm_unhealthy(srm_p),
            }
            threshold_col, scale = GUARDRAILS.get(metric, (None, None))
            threshold = float(config[threshold_col]) if threshold_col else None
            if metric == LATENCY_METRIC:
                assert threshold is not None
                row |= latency_result(latency.get(control), latency.get(arm), threshold)
            else:
                c_stats = ratio_stats(by_arm[control][metric])
                a_stats = ratio_stats(by_arm[arm][metric])
                row |= {"control_units": c_stats.n, "arm_units": a_stats.n}
                row |= ratio_result(c_stats, a_stats, alpha=alpha, role=row["metric_role"],
                                    threshold=threshold, scale=scale)
            rows.append(row)
    goal = [r for r in rows if r["metric_role"] == "goal"]
    for r, p in zip(goal, holm_bonferroni([_p(r["seq_p_value"]) for r in goal]), strict=True):
        r["seq_p_value_holm"] = p
    return rows


def _settings(stats: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The experiment's settings from its arm rows; None when no arm is the control."""
    controls = [r for r in stats if r["is_control"]]
    if not controls:
        return None
    first = controls[0]
    keys = ("experiment_id", "workflow", "alpha", *(c for c, _ in GUARDRAILS.values()))
    return {k: first[k] for k in keys} | {"control_arm": first["arm"]}


def _p(value: float | None) -> float:
    return 1.0 if value is None or math.isnan(value) else float(value)


def experiment_results(
    arm_stats: Iterable[Mapping[str, Any]],
    latency: Iterable[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Result rows (RESULT_COLUMNS, missing ones None) from the rows of
    marts.fct_experiment_arm_stats (which carry the experiment's settings: workflow, alpha,
    guardrail thresholds, the control flag) and int_experiment_arm_latency."""
    stats_by_exp: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in arm_stats:
        stats_by_exp[row["experiment_id"]].append(row)
    latency_by_exp: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for row in latency:
        latency_by_exp[row["experiment_id"]][row["arm"]] = row
    out = []
    for exp in sorted(stats_by_exp):
        config = _settings(stats_by_exp[exp])
        if config is None:
            continue
        for row in _experiment_rows(config, stats_by_exp[exp], latency_by_exp[exp]):
            out.append({col: row.get(col) for col in RESULT_COLUMNS})
    return out


def experiment_tests(arm_stats: Any, latency: Any) -> pa.Table:
    """The table of the dbt model `int_experiment_tests` (RESULT_COLUMNS, so an empty result
    still has every column) from the relations ARM_STATS (marts.fct_experiment_arm_stats) and
    LATENCY (int_experiment_arm_latency): DuckDB relations, anything with `.to_arrow_table()`.
    The dbt Python model calls it on DuckDB; on Spark the floop step between the build's phases
    calls it on the same rows read from Parquet (floop.spark_stats)."""
    rows = experiment_results(
        arm_stats.to_arrow_table().to_pylist(), latency.to_arrow_table().to_pylist()
    )
    schema = pa.schema([(name, pa.type_for_alias(kind)) for name, kind in RESULT_COLUMNS.items()])
    return pa.Table.from_pylist(rows, schema=schema)
