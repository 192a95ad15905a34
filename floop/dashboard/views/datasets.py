"""Datasets: the exported dataset manifests and the lineage of versions trained on them."""

from __future__ import annotations

import altair as alt
import streamlit as st

from floop.dashboard.charts import chart, fmt_count, missing
from floop.dashboard.data import T_LINEAGE, query

MANIFEST_COLUMNS = [
    "manifest_id",
    "policy_name",
    "purpose",
    "as_of_date",
    "window_start",
    "window_end",
    "row_count",
    "train_row_count",
    "eval_row_count",
    "manifest_created_at",
]
SHORT_ID = 12
LINEAGE_COLUMNS = [
    "version_kind",
    "version_id",
    "parent_version_id",
    "dataset_manifest_id",
    "manifest_id",
    "policy_name",
    "lineage_status",
]


def short_id(value: object) -> object:
    """A manifest id (64 hex digits) as its first 12 digits and an ellipsis; others as they are."""
    if isinstance(value, str) and len(value) == 64:
        return value[:SHORT_ID] + "…"
    return value


def render() -> None:
    st.title("Datasets")
    st.caption("Exported datasets (manifests), their policies, and the versions trained on them.")
    if missing(T_LINEAGE):
        return
    df = query(f"select * from {T_LINEAGE}")
    if df.empty:
        st.info("No dataset exported and no trained version yet: `floop export --policy NAME`.")
        return
    manifests = df[df["has_manifest"]][MANIFEST_COLUMNS].drop_duplicates(subset=["manifest_id"])
    manifests = manifests.sort_values("manifest_id").reset_index(drop=True)
    # a 64-hex id pushes the counts off screen: show its first 12 digits (like a short git
    # hash); the full id is in the chart's tooltip and the manifest file
    manifests.insert(0, "manifest", manifests["manifest_id"].map(short_id))
    st.subheader(f"Exported manifests ({len(manifests)})")
    if manifests.empty:
        st.info("No dataset exported yet: `floop export --policy NAME`.")
    else:
        shown = manifests.drop(columns=["manifest_id"])
        for c in ("row_count", "train_row_count", "eval_row_count"):
            shown[c] = shown[c].map(fmt_count)
        shown["manifest_created_at"] = shown["manifest_created_at"].astype("string").str[:16]
        st.table(shown.astype("string"))
        chart(
            alt.Chart(manifests)
            .mark_bar()
            .encode(
                x=alt.X("row_count:Q", title="rows"),
                y=alt.Y("manifest:N", title=None, axis=alt.Axis(labelLimit=300)),
                color=alt.Color("policy_name:N", title="policy"),
                tooltip=MANIFEST_COLUMNS,
            ),
            key="datasets_rows",
        )
    st.subheader("Lineage: versions and the datasets they were trained on")
    lineage = df[LINEAGE_COLUMNS].sort_values(LINEAGE_COLUMNS[:2], na_position="last")
    for c in ("dataset_manifest_id", "manifest_id"):
        lineage[c] = lineage[c].map(short_id)
    st.table(lineage.astype("string").fillna("").reset_index(drop=True))
