"""Overview: weekly volumes and primary outcome rate per workflow, and the data health of the
latest ingest day."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.charts import (
    VERSION_COLOR,
    VERSION_KEYS,
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
    query,
    warehouse_path,
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
LATENESS = [
    "outcome_lateness_p50_hours",
    "outcome_lateness_p90_hours",
    "outcome_lateness_max_hours",
]


def render() -> None:
    st.title("Overview")
    st.caption(f"Reading `{warehouse_path()}` read-only. Every number is a mart value.")
    _outcomes()
    _health()


def _outcomes() -> None:
    st.header("Volumes and primary outcome rate")
    if missing(T_WEEKLY):
        return
    df = query(
        f"select task_type, {', '.join(VERSION_KEYS)}, interaction_week as week, interactions, "
        f"primary_outcome_rate from {T_WEEKLY} order by week"
    )
    df["version"] = version_label(df)
    weeks = sorted(df["week"].unique())
    latest = df[df["week"] == weeks[-1]] if weeks else df
    st.subheader("Interactions per workflow and week")
    chart(
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(week):O", title="week"),
            y=alt.Y("interactions:Q", title="interactions"),
            color=alt.Color("task_type:N", title="workflow"),
            tooltip=["task_type", "version", "week", "interactions"],
        ),
        key="overview_volumes",
    )
    st.subheader("Primary outcome rate per workflow over time (one line per version)")
    chart(
        alt.Chart(df.dropna(subset=["primary_outcome_rate"]))
        .mark_line(point=True)
        .encode(
            x=week_x("week"),
            y=alt.Y(
                "primary_outcome_rate:Q", title="primary outcome rate", axis=alt.Axis(format="%")
            ),
            color=VERSION_COLOR,
            tooltip=["task_type", "version", "week", "interactions", "primary_outcome_rate"],
        )
        .properties(height=180, width=700)
        .facet(row=alt.Row("task_type:N", title=None)),
        key="overview_outcome_rate",
    )
    st.subheader("Latest week, per version")
    table = latest[["task_type", "version", "interactions", "primary_outcome_rate"]].copy()
    table["interactions"] = table["interactions"].map(fmt_count)
    table["primary_outcome_rate"] = table["primary_outcome_rate"].map(fmt_rate)
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
    st.subheader("Freshness: how late outcomes arrive (hours after the event)")
    long = df.melt(
        id_vars=["ingested_date"], value_vars=LATENESS, var_name="percentile", value_name="hours"
    )
    chart(
        alt.Chart(long.dropna(subset=["hours"]))
        .mark_bar()
        .encode(
            x=alt.X("percentile:N", title=None, sort=LATENESS),
            y=alt.Y("hours:Q"),
            column=alt.Column("yearmonthdate(ingested_date):O", title="ingest day"),
            tooltip=["ingested_date", "percentile", "hours"],
        ),
        key="health_lateness",
    )
