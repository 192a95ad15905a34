"""What changed: the version changes of a week against the versions they displaced, and the
primary outcome delta of every change with its interval."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.charts import (
    SVG,
    VERDICT_COLOR,
    chart,
    fmt_pp,
    fmt_rate,
    missing,
    week_opacity,
)
from floop.dashboard.data import T_CHANGES, query
from floop.dashboard.weeks import (
    COMPLETE,
    PROVISIONAL,
    is_running,
    provisional_note,
    running_week,
    select_week,
    week_label,
    week_status,
)

CHANGE_COLUMNS = {
    # mart column -> header on screen; two tables, so that no column runs off the screen
    "task_type": "workflow",
    "version_kind": "kind",
    "version_id": "version",
    "displaced_version_id": "replaced",
    "is_new": "new",
    "traffic_share": "traffic share",
    "outcome_rate": "outcome rate",
    "baseline_outcome_rate": "before",
    "outcome_delta": "delta",
    "outcome_delta_ci": "95% interval",
    "verdict": "verdict",
}
SIGNAL_COLUMNS = {
    "task_type": "workflow",
    "version_id": "version",
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


def change_table(df: pd.DataFrame, columns: dict[str, str], provisional: bool) -> pd.DataFrame:
    """The rows of the changes mart as shown: chosen columns, shares in %, differences in pp;
    a running week's verdict is `provisional`, never helped or hurt."""
    df = df.assign(
        outcome_delta_ci=[
            f"{fmt_pp(lo)} – {fmt_pp(hi)}"
            for lo, hi in zip(df["outcome_delta_ci_low"], df["outcome_delta_ci_high"], strict=True)
        ]
    )
    if provisional:
        df = df.assign(verdict=PROVISIONAL)
    out = df[list(columns)].copy()
    for c in columns:
        if c in PERCENT_COLUMNS:
            out[c] = out[c].map(fmt_rate)
        elif c in POINT_COLUMNS:
            out[c] = out[c].map(fmt_pp)
        else:
            out[c] = out[c].astype("string").fillna("")
    return out.rename(columns=columns).reset_index(drop=True)


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
    chosen = select_week(list(df["interaction_week"]), key="select_week")
    running = running_week()
    rows = df[df["interaction_week"] == chosen]
    st.subheader(f"Changes in the week of {week_label(chosen, running)}")
    provisional_note(chosen)
    st.table(change_table(rows, CHANGE_COLUMNS, is_running(chosen, running)))
    st.subheader("Do feedback and implicit signals agree?")
    st.table(change_table(rows, SIGNAL_COLUMNS, is_running(chosen, running)))
    _delta_chart(df, running)


def _delta_chart(df: pd.DataFrame, running: pd.Timestamp | None) -> None:
    """Every change's delta in percentage points, where the verdict rests on: the stratified
    delta when the change overlapped another and strata held, else the before/after one; a
    zero line; the running week (the latest week with interactions) marked provisional: its
    points lighter, coloured `provisional` instead of a verdict."""
    plot = df.dropna(subset=["outcome_delta"]).copy()
    stratified = plot["verdict_basis"] == "stratified"
    for side in ("", "_ci_low", "_ci_high"):
        before_after = plot[f"outcome_delta{side}"]
        shown = plot[f"stratified_outcome_delta{side}"].where(stratified, before_after)
        plot[f"delta_pp{side}"] = shown * 100  # a share difference shown in percentage points
    plot["change"] = plot["task_type"] + " | " + plot["version_kind"] + " | " + plot["version_id"]
    plot["week"] = [week_label(w, running) for w in plot["interaction_week"]]
    plot["week_status"] = week_status(plot["interaction_week"], running)
    plot["verdict"] = plot["verdict"].where(plot["week_status"] == COMPLETE, PROVISIONAL)
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
            opacity=week_opacity(legend=False),
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
