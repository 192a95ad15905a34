"""Datasets: the exported dataset manifests and the lineage of versions trained on them."""

from __future__ import annotations

import altair as alt
import streamlit as st

from floop.dashboard.charts import chart, missing
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
LINEAGE_COLUMNS = [
    "version_kind",
    "version_id",
    "parent_version_id",
    "dataset_manifest_id",
    "manifest_id",
    "policy_name",
    "lineage_status",
]


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
    st.subheader(f"Exported manifests ({len(manifests)})")
    if manifests.empty:
        st.info("No dataset exported yet: `floop export --policy NAME`.")
    else:
        st.table(manifests.sort_values("manifest_id").astype("string").reset_index(drop=True))
        chart(
            alt.Chart(manifests)
            .mark_bar()
            .encode(
                x=alt.X("row_count:Q", title="rows"),
                y=alt.Y("manifest_id:N", title=None),
                color=alt.Color("policy_name:N", title="policy"),
                tooltip=MANIFEST_COLUMNS,
            ),
            key="datasets_rows",
        )
    st.subheader("Lineage: versions and the datasets they were trained on")
    st.table(
        df[LINEAGE_COLUMNS]
        .sort_values(LINEAGE_COLUMNS[:2], na_position="last")
        .astype("string")
        .fillna("")
        .reset_index(drop=True)
    )
