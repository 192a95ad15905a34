"""Compare: two versions of a workflow side by side in one week (fct_version_comparisons_weekly),
or an experiment's arm against its control (fct_experiment_results): every metric with both
values, the difference with its 95% interval, regressions highlighted in red. The week defaults
to the last complete one; the choices live in the URL (?workflow=..&week=..&baseline=..&
candidate=..), so a comparison can be shared."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.charts import SVG, chart, fmt_count, fmt_pp, fmt_rate, missing
from floop.dashboard.data import T_COMPARISONS, T_EXPERIMENT_RESULTS, has_table, query
from floop.dashboard.weeks import provisional_note, select_week

VERSIONS = "Two versions"
ARMS = "An experiment's arms"
REGRESSION_COLOR = "#c62828"
# how the Compare page orders and names the metrics of fct_version_comparisons_weekly
METRIC_ORDER = [
    "primary_outcome_rate",
    "thumbs_up_share",
    "weighted_thumbs_up_share",
    "retry_rate",
    "abandon_rate",
    "escalation_rate",
    "edit_distance_mean",
    "eval_pass_rate",
    "golden_pass_rate",
    "server_latency_mean_ms",
    "server_latency_p50_ms",
    "server_latency_p95_ms",
    "input_tokens_mean",
    "output_tokens_mean",
]


def render() -> None:
    st.title("Compare")
    st.caption(
        "Two versions side by side: each metric's values with their 95% intervals, the "
        "difference (candidate − baseline) with its interval, and regressions — an interval "
        "wholly on the worse side of zero — in red. Shares differ in percentage points."
    )
    mode = st.radio("Compare", [VERSIONS, ARMS], horizontal=True, key="compare_mode")
    if mode == VERSIONS:
        _versions()
    else:
        _arms()


def _pick(label: str, options: list[str], param: str, default: int = 0) -> str:
    """A selectbox whose choice lives in the URL."""
    wanted = st.query_params.get(param)
    index = options.index(wanted) if wanted in options else min(default, len(options) - 1)
    value = st.selectbox(label, options, index=index, key=f"compare_{param}")
    st.query_params[param] = value
    return value


def _versions() -> None:
    if missing(T_COMPARISONS):
        return
    # versions in the order of their tasks with an outcome that week (the busiest first: the
    # default pair), golden-only rows last
    pairs = query(
        "select task_type, interaction_week, baseline_version, max(case when metric = "
        "'primary_outcome_rate' then baseline_units end) as outcomes "
        f"from {T_COMPARISONS} group by task_type, interaction_week, baseline_version "
        "order by task_type, interaction_week desc, outcomes desc nulls last, baseline_version"
    )
    if pairs.empty:
        st.info("No workflow served two versions in the same week yet.")
        return
    left, middle = st.columns(2)
    with left:
        workflow = _pick("Workflow", sorted(pairs["task_type"].unique()), "workflow")
    mine = pairs[pairs["task_type"] == workflow]
    with middle:
        week = _pick_week(list(mine["interaction_week"].unique()))
    versions = list(mine[mine["interaction_week"] == week]["baseline_version"])
    left, right = st.columns(2)
    with left:
        baseline = _pick("Baseline version", versions, "baseline")
    with right:
        candidate = _pick("Candidate version", [v for v in versions if v != baseline], "candidate")
    provisional_note(week)
    rows = query(
        f"select * from {T_COMPARISONS} where task_type = ? and interaction_week = ? "
        "and baseline_version = ? and candidate_version = ?",
        (workflow, week, baseline, candidate),
    )
    rows["order"] = rows["metric"].map(
        lambda m: METRIC_ORDER.index(m) if m in METRIC_ORDER else len(METRIC_ORDER)
    )
    rows = rows.sort_values(["order", "metric"]).reset_index(drop=True)
    _comparison(rows, "baseline", "candidate")


def _pick_week(weeks: list[object]) -> pd.Timestamp:
    """The week to compare in (only weeks with two versions are offered); the last complete
    one by default, the running one labelled provisional."""
    return select_week(weeks, key="compare_week")


def _fmt_value(value: object, unit: str) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    if unit == "share":
        return fmt_rate(value)
    return f"{float(value):,.1f}" if unit != "score" else f"{float(value):.3f}"  # type: ignore[arg-type]


def _fmt_delta(value: object, unit: str) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    if unit == "share":
        return fmt_pp(value)
    return f"{float(value):+,.1f}" if unit != "score" else f"{float(value):+.3f}"  # type: ignore[arg-type]


def _interval(low: object, high: object, fmt: Callable[[object], str]) -> str:
    if low is None or pd.isna(low) or high is None or pd.isna(high):
        return "no interval"
    return f"{fmt(low)} – {fmt(high)}"


def _comparison(rows: pd.DataFrame, a: str, b: str) -> None:
    """Rows with <a>_value/_ci_low/_ci_high, <b>_..., delta, delta_ci_*, is_regression and
    metric_unit: a table (regressions in red) and a chart of the differences."""
    table = pd.DataFrame([_table_row(r, a, b) for _, r in rows.iterrows()])
    st.table(table.style.apply(_highlight, axis=1))
    _delta_chart(rows)


def _table_row(r: pd.Series, a: str, b: str) -> dict[str, str]:
    """One metric as shown: values, intervals and the difference formatted by its unit."""
    unit = r["metric_unit"]

    def value(x: object) -> str:
        return _fmt_value(x, unit)

    def delta(x: object) -> str:
        return _fmt_delta(x, unit)

    return {
        "metric": r["metric"],
        a: value(r[f"{a}_value"]),
        f"{a} 95% interval": _interval(r[f"{a}_ci_low"], r[f"{a}_ci_high"], value),
        b: value(r[f"{b}_value"]),
        f"{b} 95% interval": _interval(r[f"{b}_ci_low"], r[f"{b}_ci_high"], value),
        "difference": delta(r["delta"]),
        "difference 95% interval": _interval(r["delta_ci_low"], r["delta_ci_high"], delta),
        "regression": "REGRESSION" if r["is_regression"] else "",
    }


def _highlight(row: pd.Series) -> list[str]:
    style = f"color: {REGRESSION_COLOR}; font-weight: 600" if row["regression"] else ""
    return [style] * len(row)


def _delta_chart(rows: pd.DataFrame) -> None:
    """The differences of the shares in percentage points with their intervals, a zero line,
    regressions red (other units differ in scale: the table has them)."""
    shares = rows[(rows["metric_unit"] == "share") & rows["delta"].notna()].copy()
    if shares.empty:
        return
    for c in ("delta", "delta_ci_low", "delta_ci_high"):
        shares[c + "_pp"] = shares[c] * 100  # a share difference in percentage points
    shares["status"] = shares["is_regression"].map({True: "regression", False: "no regression"})
    color = alt.Color(
        "status:N",
        title=None,
        scale=alt.Scale(
            domain=["regression", "no regression"], range=[REGRESSION_COLOR, "#546e7a"]
        ),
        legend=alt.Legend(orient="bottom"),
    )
    base = alt.Chart(shares).encode(
        y=alt.Y("metric:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)), color=color
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="black", strokeWidth=1.5)
    st.subheader("Differences of the shares (percentage points), with 95% intervals")
    chart(
        alt.layer(
            zero.encode(x=alt.X("zero:Q", title="candidate − baseline (pp)")).properties(
                name="zero_line"
            ),
            base.mark_rule(strokeWidth=2).encode(x="delta_ci_low_pp:Q", x2="delta_ci_high_pp:Q"),
            base.mark_point(filled=True, size=70)
            .encode(
                x="delta_pp:Q",
                tooltip=["metric", "delta_pp", "delta_ci_low_pp", "delta_ci_high_pp"],
            )
            .properties(name="delta_points"),
        ).properties(height=alt.Step(24), usermeta=SVG),
        key="compare_deltas",
    )


def _arms() -> None:
    if not has_table(T_EXPERIMENT_RESULTS):
        missing(T_EXPERIMENT_RESULTS)
        return
    df = query(f"select * from {T_EXPERIMENT_RESULTS} order by experiment_id, arm, metric")
    if df.empty:
        st.info("No experiment results yet.")
        return
    left, right = st.columns(2)
    with left:
        experiment = _pick("Experiment", sorted(df["experiment_id"].unique()), "experiment")
    mine = df[df["experiment_id"] == experiment]
    with right:
        arm = _pick("Arm (against its control)", sorted(mine["arm"].unique()), "arm")
    rows = mine[mine["arm"] == arm].copy()
    control = rows["control_arm"].iloc[0]
    st.caption(
        f"{experiment}: arm `{arm}` against control `{control}` — "
        f"{fmt_count(rows['arm_units'].max())} vs {fmt_count(rows['control_units'].max())} "
        "units; absolute lift with its Welch 95% interval (fct_experiment_results)."
    )
    shown = pd.DataFrame(
        {
            "metric": rows["metric"],
            "control_value": rows["control_mean"],
            "control_ci_low": None,
            "control_ci_high": None,
            "arm_value": rows["arm_mean"],
            "arm_ci_low": None,
            "arm_ci_high": None,
            "delta": rows["lift_absolute"],
            "delta_ci_low": rows["lift_absolute_ci_low"],
            "delta_ci_high": rows["lift_absolute_ci_high"],
            "is_regression": _arm_regressions(rows),
            "metric_unit": rows["metric"].map(_arm_unit),
        }
    ).reset_index(drop=True)
    _comparison(shown, "control", "arm")


def _arm_unit(metric: str) -> str:
    return "share" if metric.endswith("_rate") or metric == "primary_outcome" else "value"


def _arm_regressions(rows: pd.DataFrame) -> pd.Series:
    """A breached guardrail, or a goal metric whose lift interval lies below zero."""
    breached = rows["guardrail_status"].fillna("") == "breached"
    goal_down = (rows["metric_role"] == "goal") & (rows["lift_absolute_ci_high"] < 0)
    return (breached | goal_down).fillna(False)
