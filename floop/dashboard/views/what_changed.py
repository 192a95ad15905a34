"""What changed: the version changes of a week against the versions they displaced, and the
primary outcome delta of every change with its interval."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.charts import SVG, VERDICT_COLOR, chart, fmt_pp, fmt_rate, missing
from floop.dashboard.data import T_CHANGES, T_WEEKLY, query

CHANGE_COLUMNS = {
    # mart column -> header on screen (rates as percentages, shares as percentages)
    "task_type": "workflow",
    "version_kind": "kind",
    "version_id": "version",
    "displaced_version_id": "replaced",
    "is_new": "new",
    "traffic_share": "traffic share",
    "outcome_rate": "outcome rate",
    "baseline_outcome_rate": "before",
    "outcome_delta": "delta",
    "outcome_delta_ci_low": "delta low",
    "outcome_delta_ci_high": "delta high",
    "verdict": "verdict",
    "thumbs_up_share_delta": "thumbs Δ",
    "weighted_thumbs_up_share_delta": "weighted thumbs Δ",
    "retry_rate_delta": "retry Δ",
    "escalation_rate_delta": "escalation Δ",
    "feedback_agrees": "feedback agrees",
    "implicit_agrees": "implicit agrees",
    "stratified_outcome_delta": "within strata",
    "confounded_with": "confounded with",
}
PERCENT_COLUMNS = {"traffic_share", "outcome_rate", "baseline_outcome_rate"}
# differences of two shares: percentage points
POINT_COLUMNS = {
    "outcome_delta",
    "outcome_delta_ci_low",
    "outcome_delta_ci_high",
    "thumbs_up_share_delta",
    "weighted_thumbs_up_share_delta",
    "retry_rate_delta",
    "escalation_rate_delta",
    "stratified_outcome_delta",
}


def change_table(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the changes mart as shown: chosen columns, percentages formatted."""
    out = df[list(CHANGE_COLUMNS)].copy()
    for c in CHANGE_COLUMNS:
        if c in PERCENT_COLUMNS:
            out[c] = out[c].map(fmt_rate)
        elif c in POINT_COLUMNS:
            out[c] = out[c].map(fmt_pp)
        else:
            out[c] = out[c].astype("string").fillna("")
    return out.rename(columns=CHANGE_COLUMNS).reset_index(drop=True)


def render() -> None:
    st.title("What changed, and did it help")
    st.caption(
        "Versions that appeared or grew their share of a workflow's traffic, against the "
        "version they displaced: primary outcome delta with its 95% interval, and whether "
        "explicit feedback and implicit signals moved the same way. A change that overlaps "
        "another in its week is judged within strata that hold the other versions fixed, or "
        "`confounded` when no stratum has enough data. The running week is provisional."
    )
    if missing(T_CHANGES):
        return
    df = query(f"select * from {T_CHANGES} order by interaction_week, task_type, version_kind")
    if df.empty:
        st.info("No version changes recorded.")
        return
    chosen = _select_week(df)
    rows = df[df["interaction_week"] == chosen]
    label = str(pd.Timestamp(chosen).date())
    st.subheader(f"Changes in the week of {label}")
    st.table(change_table(rows))
    _delta_chart(df)


def _select_week(df: pd.DataFrame) -> object:
    """The week chosen in a selectbox kept in the URL (?week=YYYY-MM-DD); by default the last
    complete week of the data (the week before the latest week with interactions: that one is
    still running), else the latest week with a change. Computed here, at query time: a
    stored "weeks ago" would be frozen at the build's clock."""
    weeks = sorted(df["interaction_week"].unique(), reverse=True)
    default = 0
    last_complete = query(f"select max(interaction_week) - interval 7 day as week from {T_WEEKLY}")[
        "week"
    ].iloc[0]
    if not pd.isna(last_complete) and pd.Timestamp(last_complete) in set(map(pd.Timestamp, weeks)):
        default = [pd.Timestamp(w) for w in weeks].index(pd.Timestamp(last_complete))
    labels = [str(pd.Timestamp(w).date()) for w in weeks]
    wanted = st.query_params.get("week")
    index = labels.index(wanted) if wanted in labels else default
    chosen = st.selectbox("Week", labels, index=index, key="select_week")
    st.query_params["week"] = chosen
    return weeks[labels.index(chosen)]


def _delta_chart(df: pd.DataFrame) -> None:
    """Every change's delta in percentage points, where the verdict rests on: the stratified
    delta when the change overlapped another and strata held, else the before/after one; a
    zero line; the running week (the latest week with interactions) marked provisional."""
    plot = df.dropna(subset=["outcome_delta"]).copy()
    stratified = plot["verdict_basis"] == "stratified"
    for side in ("", "_ci_low", "_ci_high"):
        before_after = plot[f"outcome_delta{side}"]
        shown = plot[f"stratified_outcome_delta{side}"].where(stratified, before_after)
        plot[f"delta_pp{side}"] = shown * 100  # a share difference shown in percentage points
    plot["change"] = plot["task_type"] + " | " + plot["version_kind"] + " | " + plot["version_id"]
    running = query(f"select max(interaction_week) as week from {T_WEEKLY}")["week"].iloc[0]
    plot["week"] = [
        f"{pd.Timestamp(w).date()}" + (" (provisional)" if pd.Timestamp(w) == running else "")
        for w in plot["interaction_week"]
    ]
    base = alt.Chart(plot).encode(
        y=alt.Y("change:N", title=None, axis=alt.Axis(labelLimit=400)), color=VERDICT_COLOR
    )
    # one zero rule per week panel (a facet needs every layer on the same data)
    zero = (
        alt.Chart(plot)
        .transform_aggregate(changes="count()", groupby=["week"])
        .transform_calculate(zero="0")
        .mark_rule(color="black", strokeWidth=1.5)
    )
    st.subheader("Primary outcome delta of every change (percentage points), with 95% interval")
    layered = alt.layer(
        zero.encode(x=alt.X("zero:Q", title="delta vs displaced version (pp)")).properties(
            name="zero_line"
        ),
        base.mark_rule().encode(x="delta_pp_ci_low:Q", x2="delta_pp_ci_high:Q"),
        base.mark_point(filled=True, size=60)
        .encode(
            x="delta_pp:Q",
            tooltip=["change", "week", "delta_pp", "delta_pp_ci_low", "delta_pp_ci_high"]
            + ["verdict"],
        )
        .properties(name="change_points"),
    )
    chart(
        layered.properties(height=alt.Step(22))
        .facet(row=alt.Row("week:O", title="week", sort="descending"))
        .resolve_scale(y="independent")
        .properties(usermeta=SVG),
        key="changes_delta",
    )
