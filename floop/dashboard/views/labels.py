"""Labels: the human loop at a glance — triage queue progress per assignee
(fct_triage_progress), labeler agreement (fct_label_agreement: Cohen's kappa per pair,
Krippendorff's alpha), each labeler's agreement with the others' majority
(fct_labeler_quality), and taxonomy drift (fct_taxonomy_changes; fct_label_value_trend, whose
lines break at a taxonomy version change)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from floop.dashboard.charts import chart, fmt_rate, missing, week_x
from floop.dashboard.data import (
    T_LABEL_AGREEMENT,
    T_LABEL_TREND,
    T_LABELER_QUALITY,
    T_TAXONOMY_CHANGES,
    T_TRIAGE_PROGRESS,
    query,
)

TABLES = (
    T_TRIAGE_PROGRESS,
    T_LABEL_AGREEMENT,
    T_LABELER_QUALITY,
    T_TAXONOMY_CHANGES,
    T_LABEL_TREND,
)


def render() -> None:
    st.title("Labels")
    st.caption("Triage progress, labeler agreement and taxonomy drift.")
    if any(missing(t) for t in TABLES):
        return
    _progress()
    _agreement()
    _drift()


def _progress() -> None:
    st.subheader("Triage queue progress per assignee")
    df = query(f"select * from {T_TRIAGE_PROGRESS} order by triage_week, task_type, assignee")
    if df.empty:
        st.info("No triage queue yet.")
        return
    week = df["triage_week"].max()
    latest = df[df["triage_week"] == week]
    st.caption(f"Week of {week:%Y-%m-%d}")
    shown = latest[["task_type", "assignee", "assigned_count", "labeled_count", "open_count"]]
    st.table(
        shown.assign(labeled_share=latest["labeled_share"].map(fmt_rate))
        .astype("string")
        .reset_index(drop=True)
    )
    chart(
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=week_x("triage_week"),
            y=alt.Y("labeled_count:Q", title="labeled items"),
            color=alt.Color("assignee:N"),
            column=alt.Column("task_type:N", title=None),
            tooltip=["task_type", "assignee", "triage_week", "assigned_count", "labeled_count"],
        ),
        key="labels_progress",
    )


def _agreement() -> None:
    st.subheader("Agreement between labelers (Cohen's kappa per pair)")
    pairs = query(f"select * from {T_LABEL_AGREEMENT} order by all")
    if pairs.empty:
        st.info("No response labeled by two labelers yet.")
        return
    cols = [
        "label_name",
        "taxonomy_version",
        "labeler_a",
        "labeler_b",
        "pair_item_count",
        "pair_observed_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
    ]
    st.table(pairs[cols].round(3).astype("string").fillna("").reset_index(drop=True))
    st.subheader("Each labeler against the majority of the others")
    quality = query(
        f"select * from {T_LABELER_QUALITY} order by label_name, taxonomy_version, agreement_rank"
    )
    qcols = [
        "label_name",
        "taxonomy_version",
        "labeler_id",
        "agreement_rank",
        "majority_item_count",
        "agreement_with_majority",
        "kappa_vs_majority",
        "gold_accuracy",
    ]
    st.table(quality[qcols].round(3).astype("string").fillna("").reset_index(drop=True))
    chart(
        alt.Chart(quality)
        .mark_bar()
        .encode(
            x=alt.X("agreement_with_majority:Q", title="agreement with the others' majority"),
            y=alt.Y("labeler_id:N", title=None),
            row=alt.Row("taxonomy_version:N", title="taxonomy version"),
            tooltip=qcols,
        ),
        key="labels_quality",
    )


def _drift() -> None:
    st.subheader("Taxonomy changes")
    changes = query(f"select * from {T_TAXONOMY_CHANGES} order by label_name, changed_at")
    if changes.empty:
        st.info("No taxonomy version change seen in the labels.")
    else:
        ccols = [
            "label_name",
            "previous_taxonomy_version",
            "taxonomy_version",
            "change_week",
            "labels_before",
            "labels_after",
            "undeclared_before",
            "undeclared_after",
            "chi2_statistic",
            "degrees_of_freedom",
            "p_value",
            "is_distribution_changed",
        ]
        st.table(changes[ccols].astype("string").fillna("").reset_index(drop=True))
    trend = query(f"select * from {T_LABEL_TREND} order by label_name, label_week")
    if trend.empty:
        return
    st.subheader("Label value shares per week (lines break at a taxonomy version change)")
    trend = trend.assign(line=trend["label_value"] + " (v" + trend["taxonomy_version"] + ")")
    chart(
        alt.Chart(trend)
        .mark_line(point=True)
        .encode(
            x=week_x("label_week"),
            y=alt.Y("value_share:Q", title="share of the week's labels"),
            color=alt.Color("label_value:N"),
            detail="line:N",
            strokeDash=alt.StrokeDash("taxonomy_version:N", title="taxonomy version"),
            tooltip=[
                "label_name",
                "label_week",
                "taxonomy_version",
                "label_value",
                "label_count",
                "value_share",
                "is_declared_value",
                "is_version_break",
            ],
        ),
        key="labels_trend",
    )
