"""What the pages share: chart encodings, the one formatting of numbers (the browser tests use
it too), version labels and the notice for a table that is not built yet."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.data import has_table, warehouse_path

# The columns that identify a version combination in the version marts.
VERSION_KEYS = ["prompt_version", "model_id", "model_version", "knowledge_version"]
VERSION_COLOR = alt.Color(
    "version:N", legend=alt.Legend(orient="bottom", columns=1, labelLimit=600, title=None)
)


def week_x(field: str) -> alt.X:
    """The x encoding of a weekly time series."""
    return alt.X(f"{field}:T", title="week", axis=alt.Axis(format="%b %d", tickCount="week"))


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
VERDICT_COLOR = alt.Color(
    "verdict:N",
    title="verdict",
    scale=alt.Scale(domain=list(VERDICT_COLORS), range=list(VERDICT_COLORS.values())),
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
