"""Overview: weekly volumes and each workflow's outcome rate (named by its metric), one week's
rows per version (the last complete week by default), and the data health of the latest
ingest day."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.charts import (
    SVG,
    VERSION_COLOR,
    VERSION_KEYS,
    WEEK_OPACITY,
    chart,
    fmt_count,
    fmt_rate,
    metric_row,
    missing,
    version_label,
    week_x,
)
from floop.dashboard.data import (
    T_HEALTH,
    T_INTERACTIONS,
    T_WEEKLY,
    has_table,
    outcome_metrics,
    query,
    warehouse_path,
)
from floop.dashboard.weeks import (
    COMPLETE,
    PROVISIONAL,
    PROVISIONAL_OPACITY,
    last_complete_week,
    provisional_note,
    running_week,
    select_week,
    week_label,
    week_status,
)

HEALTH_FIGURES = [
    # (label on screen, mart column): the latest ingest day's row, as is
    ("Lines landed", "lines_landed"),
    ("Accepted", "lines_accepted"),
    ("Duplicates", "lines_duplicate"),
    ("Rejected", "lines_rejected"),
    ("Unknown-field events", "unknown_field_events"),
    ("Orphan feedback (unresolved)", "orphan_feedback_unresolved"),
]
LINE_OUTCOMES = ["lines_accepted", "lines_duplicate", "lines_rejected"]
LATENESS = {
    # mart column -> name in the legend (whole names: no cut labels)
    "outcome_lateness_p50_hours": "median (p50)",
    "outcome_lateness_p90_hours": "p90",
    "outcome_lateness_max_hours": "max",
}


def render() -> None:
    st.title("Overview")
    st.caption(
        f"Reading `{warehouse_path()}` read-only. Every number is a mart value. The running "
        "week (the week of the newest interaction) is provisional: lighter, labelled, partial."
    )
    _outcomes()
    _health()


def _outcomes() -> None:
    st.header("Volumes and outcome rates")
    if missing(T_WEEKLY):
        return
    df = query(
        f"select task_type, {', '.join(VERSION_KEYS)}, interaction_week as week, interactions, "
        f"primary_outcome_rate from {T_WEEKLY} order by week"
    )
    if df.empty:
        st.info("No interactions yet.")
        return
    metrics = outcome_metrics()
    running = running_week()
    df["version"] = version_label(df)
    df["metric"] = df["task_type"].map(metrics).fillna("outcome")
    df["workflow"] = df["task_type"] + ": " + df["metric"] + " rate"
    df["week_status"] = week_status(df["week"], running)
    df["week_label"] = [week_label(w, running) for w in df["week"]]
    st.subheader("Interactions per workflow and week")
    chart(
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X(
                "week_label:O",
                title="week (starting Monday)",
                # the running week's label on two lines: "2026-11-16" / "(provisional)"
                axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')"),
            ),
            y=alt.Y("sum(interactions):Q", title="interactions"),
            color=alt.Color("task_type:N", title="workflow"),
            opacity=WEEK_OPACITY,
            tooltip=["task_type", "version", "week_label", "interactions"],
        )
        .properties(usermeta=SVG),
        key="overview_volumes",
    )
    st.subheader("Outcome rate per workflow over time (one line per version)")
    st.caption(
        "Each workflow's own primary outcome (workflow seed): resolved, tests_passed, "
        "answer_accepted. The running week's points are lighter and the line to it dashed."
    )
    _outcome_lines(df.dropna(subset=["primary_outcome_rate"]))
    _week_table(df, running)


def _outcome_lines(df: pd.DataFrame) -> None:
    """Solid lines over complete weeks, a dashed lighter segment into the running week, points
    lighter in the running week; one panel per workflow, titled with its metric. A facet needs
    every layer on one data set: the rows of the dashed segment (each version's last complete
    week and its running week) are repeated under segment 'tail'."""
    complete = df[df["week_status"] == COMPLETE]
    last = complete.groupby(["workflow", "version"])["week"].transform("max")
    tail = pd.concat([complete[complete["week"] == last], df[df["week_status"] == PROVISIONAL]])
    data = pd.concat([df.assign(segment="main"), tail.assign(segment="tail")])
    x = week_x("week", df["week"])
    y = alt.Y("primary_outcome_rate:Q", title="outcome rate", axis=alt.Axis(format="%"))
    tooltip = ["workflow", "version", "week_label", "interactions", "primary_outcome_rate"]
    base = alt.Chart().encode(x=x, y=y, color=VERSION_COLOR)
    main = alt.datum.segment == "main"
    layered = alt.layer(
        base.mark_line().transform_filter(main & (alt.datum.week_status == COMPLETE)),
        base.mark_line(strokeDash=[4, 4], opacity=PROVISIONAL_OPACITY)
        .encode(detail="version:N")
        .transform_filter(alt.datum.segment == "tail"),
        base.mark_point(filled=True, size=50)
        .encode(opacity=WEEK_OPACITY, tooltip=tooltip)
        .transform_filter(main)
        .properties(name="outcome_points"),
        data=data,
    )
    header = alt.Header(labelAngle=0, labelAlign="left", labelLimit=400, labelFontSize=13)
    chart(
        layered.properties(height=170, width=700)
        .facet(row=alt.Row("workflow:N", title=None, header=header))
        .properties(usermeta=SVG),
        key="overview_outcome_rate",
    )


def _week_table(df: pd.DataFrame, running: pd.Timestamp | None) -> None:
    """One week's rows per version: by default the last complete week."""
    week = select_week(list(df["week"]), key="overview_week")
    title = "Last complete week" if week == last_complete_week() else "Week"
    st.subheader(f"{title}, per version: {week_label(week, running)}")
    provisional_note(week)
    rows = df[df["week"] == week]
    table = pd.DataFrame(
        {
            "workflow": rows["task_type"],
            "version": rows["version"],
            "week": rows["week_label"],
            "interactions": rows["interactions"].map(fmt_count),
            "outcome": rows["metric"],
            "outcome rate": rows["primary_outcome_rate"].map(fmt_rate),
        }
    )
    st.table(table.reset_index(drop=True))


def json_counts(df: pd.DataFrame, day: str, column: str, name: str) -> pd.DataFrame:
    """Unpack a mart's JSON object column ({key: count}) into rows; no arithmetic."""
    rows = []
    for _, r in df[[day, column]].dropna().iterrows():
        value = r[column]
        for key, n in (json.loads(value) if isinstance(value, str) else value).items():
            rows.append({day: r[day], name: key, "lines": n})
    return pd.DataFrame(rows, columns=[day, name, "lines"])


def _health() -> None:
    st.header("Data health")
    if missing(T_HEALTH):
        return
    df = query(f"select * from {T_HEALTH} order by ingested_date")
    if df.empty:
        st.info("Nothing ingested yet.")
        return
    last = df.iloc[-1]
    st.subheader(f"Latest ingest day: {pd.Timestamp(last['ingested_date']).date()}")
    metric_row([(label, fmt_count(last[col])) for label, col in HEALTH_FIGURES])
    _newest_interaction()
    _lines_chart(df)
    _rejected_chart(df)
    _orphans_chart(df)
    _lateness_chart(df)


def _newest_interaction() -> None:
    if not has_table(T_INTERACTIONS):
        return
    newest = query(
        f"select interacted_at, ingested_at from {T_INTERACTIONS} "
        "order by interacted_at desc limit 1"
    )
    if not newest.empty:
        metric_row(
            [
                ("Newest interaction (UTC)", str(newest["interacted_at"].iloc[0])[:16]),
                ("Its ingest (UTC)", str(newest["ingested_at"].iloc[0])[:16]),
            ]
        )


def _lines_chart(df: pd.DataFrame) -> None:
    st.subheader("Where the landed lines went, per ingest day")
    long = df.melt(
        id_vars=["ingested_date"], value_vars=LINE_OUTCOMES, var_name="outcome", value_name="lines"
    )
    chart(
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(ingested_date):O", title="ingest day"),
            y=alt.Y("lines:Q"),
            color=alt.Color("outcome:N"),
            tooltip=["ingested_date", "outcome", "lines"],
        ),
        key="health_lines",
    )


def _rejected_chart(df: pd.DataFrame) -> None:
    reasons = json_counts(df, "ingested_date", "rejected_by_reason", "reason")
    st.subheader("Rejected lines by reason")
    if reasons.empty:
        st.info("No line was rejected.")
        return
    chart(
        alt.Chart(reasons)
        .mark_bar()
        .encode(
            x=alt.X("lines:Q", title="rejected lines"),
            y=alt.Y("reason:N", title=None, sort="-x"),
            color=alt.Color("yearmonthdate(ingested_date):O", title="ingest day"),
            tooltip=["ingested_date", "reason", "lines"],
        ),
        key="health_rejected",
    )


def _orphans_chart(df: pd.DataFrame) -> None:
    st.subheader("Orphan feedback (pointing at no interaction when it arrived)")
    base = alt.Chart(df.dropna(subset=["orphan_feedback_rate"])).encode(
        x=alt.X("yearmonthdate(ingested_date):O", title="ingest day")
    )
    chart(
        alt.layer(
            base.mark_rule().encode(
                y=alt.Y("orphan_feedback_rate_ci_low:Q", axis=alt.Axis(format="%")),
                y2="orphan_feedback_rate_ci_high",
            ),
            base.mark_point(filled=True).encode(
                y=alt.Y("orphan_feedback_rate:Q", title="orphan share of feedback"),
                tooltip=[
                    "ingested_date",
                    "orphan_feedback_rate",
                    "orphan_feedback_rate_ci_low",
                    "orphan_feedback_rate_ci_high",
                    "orphan_feedback_unresolved",
                ],
            ),
        ),
        key="health_orphans",
    )


def _lateness_chart(df: pd.DataFrame) -> None:
    """What int_outcome_lateness_daily measures: an outcome's ingested_at minus its own event
    time (how long outcomes take to reach floop), per ingest day."""
    st.subheader("Freshness: hours from an outcome's event time to its ingestion, per ingest day")
    long = df.melt(
        id_vars=["ingested_date"], value_vars=list(LATENESS), var_name="column", value_name="hours"
    ).dropna(subset=["hours"])
    long["percentile"] = long["column"].map(LATENESS)
    chart(
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "yearmonthdate(ingested_date):T", title="ingest day", axis=alt.Axis(format="%b %d")
            ),
            y=alt.Y("hours:Q", title="hours from outcome event to ingestion"),
            color=alt.Color(
                "percentile:N",
                sort=list(LATENESS.values()),
                title=None,
                legend=alt.Legend(orient="bottom", labelLimit=400),
            ),
            tooltip=["ingested_date", "percentile", "hours"],
        )
        .properties(usermeta=SVG),
        key="health_lateness",
    )
