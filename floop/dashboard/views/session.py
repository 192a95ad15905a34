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
# the events table: mart column -> header (the versions and documents as one column each)
TABLE_COLUMNS = {
    "event_order": "#",
    "event_at": "time (UTC)",
    "event_type": "event",
    "output_id": "response",
    "version": "version (prompt | model | knowledge)",
    "retrieved_document_ids": "retrieved",
    "cited_document_ids": "cited",
    "event_kind": "kind",
    "event_value": "value",
    "detail": "detail",
    "hours_after_task_start": "after start",
    "lateness_hours": "ingested after",
}


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
    st.table(events_table(events))


def events_table(events: pd.DataFrame) -> pd.DataFrame:
    """The chain as shown: one row per event, hours with one decimal, no cut columns."""
    out = events.assign(
        version=events["prompt_version"]
        + " | "
        + events["model_id"]
        + "@"
        + events["model_version"]
        + " | "
        + events["knowledge_version"].fillna("(none)"),
        event_at=events["event_at"].astype("string").str[:19],
        hours_after_task_start=events["hours_after_task_start"].map(_hours),
        lateness_hours=events["lateness_hours"].map(_hours),
    )
    out = out[list(TABLE_COLUMNS)].astype("string").fillna("")
    return out.rename(columns=TABLE_COLUMNS).reset_index(drop=True)


def _hours(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):,.1f} h"  # type: ignore[arg-type]


def _outcome_summary(events: pd.DataFrame) -> None:
    outcomes = events[events["event_type"] == "outcome"]
    if outcomes.empty:
        st.info("No outcome reported for this task yet.")
        return
    for _, o in outcomes.iterrows():
        st.write(
            f"Outcome `{o['event_kind']}` = {o['event_value']:g} at {o['event_at']:%Y-%m-%d %H:%M}"
            f" UTC: {_hours(o['hours_after_task_start'])} after the task's first interaction, "
            f"ingested {_hours(o['lateness_hours'])} after it happened."
        )


def _timeline(events: pd.DataFrame) -> None:
    """Events on lanes by type over hours since the task's first interaction, on a symlog axis:
    a session's minutes and an outcome days later both stay readable."""
    lanes = list(EVENT_COLORS)
    plot = events.dropna(subset=["hours_after_task_start"])
    points = (
        alt.Chart(plot)
        .mark_point(filled=True, size=140, opacity=0.85)
        .encode(
            x=alt.X(
                "hours_after_task_start:Q",
                title="hours after the task's first interaction (symlog scale)",
                scale=alt.Scale(type="symlog", constant=0.05),
                # minutes, hours, a day, three days, a week
                axis=alt.Axis(values=[0, 0.1, 0.5, 1, 6, 24, 72, 168], format="~g"),
            ),
            y=alt.Y("event_type:N", title=None, sort=lanes, axis=alt.Axis(labelLimit=200)),
            color=alt.Color(
                "event_type:N",
                title="event",
                scale=alt.Scale(domain=lanes, range=list(EVENT_COLORS.values())),
                legend=alt.Legend(orient="bottom"),
            ),
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
                "hours_after_task_start",
                "lateness_hours",
            ],
        )
        .properties(name="session_events")
    )
    st.subheader("Timeline")
    chart(points.properties(height=alt.Step(48), usermeta=SVG), key="session_timeline")
