"""Session: one task's chain of events as a timeline (/session?task_id=..), the rows of
marts.fct_review_context — the same chain the Review page shows a labeler: interactions with
their versions and retrieved/cited documents, feedback with redacted comments only,
evaluations, labels and the outcome, each with its ingest lateness. Every table that lists
outputs or tasks links here (charts.session_links)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.charts import SVG, chart, missing
from floop.dashboard.data import T_REVIEW_CONTEXT, query

# the lanes of the timeline, top to bottom, each in its own colour
EVENT_COLORS = {
    "interaction": "#1565c0",
    "feedback": "#ef6c00",
    "evaluation": "#6a1b9a",
    "label": "#00838f",
    "outcome": "#2e7d32",
}
TIMELINE_COLUMNS = [
    "event_order",
    "event_at",
    "event_type",
    "output_id",
    "prompt_version",
    "model_id",
    "model_version",
    "knowledge_version",
    "is_shadow",
    "retrieved_document_ids",
    "cited_document_ids",
    "event_kind",
    "event_value",
    "detail",
    "ingested_at",
    "lateness_hours",
]


def render() -> None:
    st.title("Session")
    st.caption(
        "One task's chain of events in time order (marts.fct_review_context). Open it from "
        "the session links of the Versions drill-down and the Review page, or enter a task id."
    )
    if missing(T_REVIEW_CONTEXT):
        return
    wanted = st.query_params.get("task_id", "")
    task_id = st.text_input("Task id", value=wanted, key="session_task_id").strip()
    if not task_id:
        st.info("Enter a task id, or follow a session link from a table of responses.")
        return
    st.query_params["task_id"] = task_id
    events = query(
        f"select * from {T_REVIEW_CONTEXT} where task_id = ? order by event_at, event_order",
        (task_id,),
    )
    if events.empty:
        st.warning(f"No events for task {task_id} in this warehouse.")
        return
    sessions = ", ".join(sorted(events["session_id"].astype("string").unique()))
    st.subheader(f"Task {task_id} (session {sessions})")
    _outcome_summary(events)
    _timeline(events)
    st.subheader("Events")
    table = events[TIMELINE_COLUMNS].copy()
    table["lateness_hours"] = table["lateness_hours"].map(
        lambda h: "" if pd.isna(h) else f"{h:,.1f} h"
    )
    st.table(table.astype("string").fillna("").reset_index(drop=True))


def _outcome_summary(events: pd.DataFrame) -> None:
    outcomes = events[events["event_type"] == "outcome"]
    if outcomes.empty:
        st.info("No outcome reported for this task yet.")
        return
    for _, o in outcomes.iterrows():
        st.write(
            f"Outcome `{o['event_kind']}` = {o['event_value']:g} at {o['event_at']:%Y-%m-%d %H:%M}"
            f" UTC, ingested {o['lateness_hours']:,.1f} h after it happened."
        )


def _timeline(events: pd.DataFrame) -> None:
    lanes = list(EVENT_COLORS)
    plot = events.assign(
        label=events["event_kind"].fillna(events["prompt_version"]).fillna("").astype("string")
    )
    base = alt.Chart(plot).encode(
        x=alt.X("event_at:T", title="time (UTC)", axis=alt.Axis(format="%b %d %H:%M")),
        y=alt.Y("event_type:N", title=None, sort=lanes, axis=alt.Axis(labelLimit=200)),
        color=alt.Color(
            "event_type:N",
            title="event",
            scale=alt.Scale(domain=lanes, range=list(EVENT_COLORS.values())),
            legend=alt.Legend(orient="bottom"),
        ),
    )
    points = base.mark_point(filled=True, size=120).encode(
        tooltip=[
            "event_order",
            "event_at",
            "event_type",
            "output_id",
            "prompt_version",
            "model_version",
            "knowledge_version",
            "cited_document_ids",
            "event_kind",
            "event_value",
            "detail",
            "lateness_hours",
        ]
    )
    labels = base.mark_text(align="left", dx=8, dy=-8, fontSize=11).encode(text="label:N")
    st.subheader("Timeline")
    chart(
        alt.layer(points.properties(name="session_events"), labels)
        .properties(height=alt.Step(48), usermeta=SVG)
        .interactive(bind_y=False),
        key="session_timeline",
    )
