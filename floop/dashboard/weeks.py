"""Which week is complete and which is still running, the one way every page says it.

The running week is the ISO week (Monday to Sunday) of the newest interaction in the marts: its
counts still grow until the next run after Sunday, so every page shows it lighter, labelled
"provisional", and never gives it a verdict; pages default to the last complete week, the one
before. Computed at query time from the analyst copy: a stored "weeks ago" would freeze at the
build's clock.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from floop.dashboard.data import T_WEEKLY, has_table, query

PROVISIONAL = "provisional"
COMPLETE = "complete"
# the opacity of the running week's marks (complete weeks: 1)
PROVISIONAL_OPACITY = 0.35


def running_week() -> pd.Timestamp | None:
    """The Monday of the week of the newest interaction (None when nothing was built)."""
    if not has_table(T_WEEKLY):
        return None
    week = query(f"select max(interaction_week) as week from {T_WEEKLY}")["week"].iloc[0]
    return None if pd.isna(week) else pd.Timestamp(week)


def last_complete_week() -> pd.Timestamp | None:
    running = running_week()
    return None if running is None else running - pd.Timedelta(days=7)


def is_running(week: object, running: pd.Timestamp | None) -> bool:
    return running is not None and not pd.isna(week) and pd.Timestamp(week) == running


def week_label(week: object, running: pd.Timestamp | None) -> str:
    """'2026-11-09', or '2026-11-16 (provisional)' for the running week."""
    day = str(pd.Timestamp(week).date())
    return f"{day} ({PROVISIONAL})" if is_running(week, running) else day


def week_status(weeks: pd.Series, running: pd.Timestamp | None) -> pd.Series:
    """'complete' or 'provisional' per row: the running week's rows are provisional."""
    return weeks.map(lambda w: PROVISIONAL if is_running(w, running) else COMPLETE)


def select_week(weeks: list[object], key: str, label: str = "Week") -> pd.Timestamp:
    """A week chosen in a selectbox kept in the URL (?week=YYYY-MM-DD); newest first, the running
    week labelled provisional. Default: the last complete week when it is among WEEKS, else the
    newest complete one, else the running week."""
    running = running_week()
    ordered = sorted({pd.Timestamp(w) for w in weeks}, reverse=True)
    complete = [w for w in ordered if not is_running(w, running)]
    last = last_complete_week()
    default = last if last in complete else (complete[0] if complete else ordered[0])
    days = [str(w.date()) for w in ordered]
    wanted = st.query_params.get("week")
    index = days.index(wanted) if wanted in days else ordered.index(default)
    chosen = st.selectbox(
        label,
        ordered,
        index=index,
        format_func=lambda w: week_label(w, running),
        key=key,
    )
    st.query_params["week"] = str(chosen.date())
    return chosen


def provisional_note(week: object) -> None:
    """Say so above a table of the running week."""
    if is_running(week, running_week()):
        st.warning(
            f"The week of {pd.Timestamp(week).date()} is still running: its figures are "
            f"{PROVISIONAL} (partial data) and carry no verdict."
        )
