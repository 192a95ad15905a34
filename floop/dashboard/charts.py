"""What the pages share: chart encodings, the one formatting of numbers (the browser tests use
it too), version labels and the notice for a table that is not built yet."""

from __future__ import annotations

import math
from urllib.parse import quote

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.data import has_table, warehouse_path
from floop.dashboard.weeks import COMPLETE, PROVISIONAL, PROVISIONAL_OPACITY

# The columns that identify a version combination in the version marts.
VERSION_KEYS = ["prompt_version", "model_id", "model_version", "knowledge_version"]
VERSION_COLOR = alt.Color(
    "version:N",
    # strong hues only: Streamlit's palette pairs each hue with a pale one, which would read as
    # the lighter "provisional" marks
    scale=alt.Scale(scheme="tableau10"),
    # full-strength symbols even where the marks' opacity encodes the running week
    legend=alt.Legend(
        orient="bottom", columns=1, labelLimit=600, title=None, symbolOpacity=1
    ),
)


def week_x(field: str, weeks: pd.Series | None = None) -> alt.X:
    """The x encoding of a weekly time series, one tick per week start. Vega's own "week"
    ticks fall on Sundays while floop's weeks (ISO, date_trunc('week')) start on Monday: with
    WEEKS given, the ticks are exactly those Mondays."""
    if weeks is None:
        return alt.X(f"{field}:T", title="week", axis=alt.Axis(format="%b %d", tickCount="week"))
    days = sorted({pd.Timestamp(w) for w in weeks.dropna()})
    values = [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in days]
    return alt.X(
        f"{field}:T",
        title="week (starting Monday)",
        axis=alt.Axis(format="%a %b %d", values=values),
    )


def week_opacity(legend: bool = True) -> alt.Opacity:
    """The running week's marks are lighter; the legend (unless the chart says it another way,
    e.g. in its week labels) says why."""
    return alt.Opacity(
        "week_status:N",
        title="week",
        scale=alt.Scale(domain=[COMPLETE, PROVISIONAL], range=[1.0, PROVISIONAL_OPACITY]),
        legend=alt.Legend(
            orient="bottom",
            labelExpr=f"datum.label == '{PROVISIONAL}' ? "
            f"'{PROVISIONAL} (running week, partial data)' : datum.label",
            labelLimit=400,
        )
        if legend
        else None,
    )


WEEK_OPACITY = week_opacity()


def fmt_rate(value: object) -> str:
    """A share 0..1 as a percentage with one decimal, the way every page prints it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]


def fmt_pp(value: object) -> str:
    """A difference of two shares in percentage points, signed: +8.0 pp."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value) * 100:+.1f} pp"  # type: ignore[arg-type]


# The verdicts of a change, always in the same colours (helped green, hurt red, inconclusive
# grey, confounded amber), whichever verdicts a page happens to show.
VERDICT_COLORS = {
    "helped": "#2e7d32",
    "hurt": "#c62828",
    "inconclusive": "#9e9e9e",
    "confounded": "#ffa000",
    "insufficient_data": "#d7d7d7",
}
# The running week gets no verdict: its changes are drawn in this colour, labelled provisional.
PROVISIONAL_COLOR = "#90caf9"
VERDICT_COLOR = alt.Color(
    "verdict:N",
    title="verdict",
    scale=alt.Scale(
        domain=[*VERDICT_COLORS, PROVISIONAL],
        range=[*VERDICT_COLORS.values(), PROVISIONAL_COLOR],
    ),
)
# vega-embed reads its options from the spec: SVG marks can be inspected (browser tests)
SVG = {"embedOptions": {"renderer": "svg"}}


def fmt_count(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{int(value):,}"  # type: ignore[call-overload]


def version_label(df: pd.DataFrame) -> pd.Series:
    """One readable label per version combination (string concatenation, not arithmetic)."""
    return df[VERSION_KEYS].astype("string").fillna("-").agg(" | ".join, axis=1)


def chart(c: alt.Chart | alt.LayerChart | alt.FacetChart, key: str) -> None:
    """Draw C; its container carries the CSS class `st-key-chart_<key>` (the browser tests
    find a chart by it)."""
    with st.container(key=f"chart_{key}"):
        st.altair_chart(c, width="stretch", key=key)


def metric_row(items: list[tuple[str, str]]) -> None:
    for column, (label, value) in zip(st.columns(len(items)), items, strict=True):
        column.metric(label, value)


def missing(table: str) -> bool:
    """True (and say so on the page) when TABLE is not in the warehouse file yet."""
    if has_table(table):
        return False
    st.info(f"`{table}` is not in {warehouse_path().name}: run `floop run` to build it.")
    return True


def session_url(task_id: object) -> str:
    """The Session page of one task, relative to the page that links it (works under any base
    URL path): session?task_id=..."""
    return f"session?task_id={quote(str(task_id), safe='')}"


def session_links(task_ids: pd.Series) -> pd.Series:
    return task_ids.map(lambda t: None if pd.isna(t) else session_url(t))


# The link column of st.dataframe for session_links: shows the task id, opens its timeline.
SESSION_LINK = st.column_config.LinkColumn(
    "session", help="Open the task's chain of events", display_text=r"task_id=(.*)$"
)
