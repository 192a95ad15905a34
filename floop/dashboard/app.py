"""The floop dashboards (Streamlit + Altair). Started by `floop dashboard`; see __init__.py.

Rule of every page: a number on screen is a value of a mart row. The app selects and filters
rows (and lets Altair draw them); it never recomputes a rate, a share or a percentile.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard import WAREHOUSE_ENV
from floop.dashboard.data import Marts, fmt_count, fmt_rate, pick

ALL_TENANTS = "All tenants"

# Table names in the analyst copy (docs/architecture.md).
T_INTERACTIONS = "marts.fct_interactions"
T_WEEKLY = "marts.fct_version_outcomes_weekly"
T_TENANT_WEEKLY = "marts.fct_version_outcomes_tenant_weekly"
T_CHANGES = "marts.fct_version_changes_weekly"
T_HEALTH = "marts.fct_data_health_daily"
T_WORKFLOWS = "marts.dim_workflows"
T_VERSIONS = "marts.dim_versions"
T_LINEAGE = "marts.fct_dataset_lineage"

VERSION_KEYS = ("prompt_version", "model_id", "model_version", "knowledge_version")
VERSION_COLOR = alt.Color(
    "version:N", legend=alt.Legend(orient="bottom", columns=1, labelLimit=600, title=None)
)


def WEEK_X(field: str) -> alt.X:  # noqa: N802 - reads like the other encodings
    return alt.X(f"{field}:T", title="week", axis=alt.Axis(format="%b %d", tickCount="week"))


def _warehouse_arg() -> Path:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--warehouse", default=None)
    known, _ = parser.parse_known_args(sys.argv[1:])
    value = known.warehouse or os.environ.get(WAREHOUSE_ENV)
    if not value:
        from floop import config

        value = str(config.Layout.for_warehouse().analyst_copy)
    return Path(value)


MARTS = Marts(_warehouse_arg())


@st.cache_data(ttl=60, show_spinner=False)
def _query(path: str, mtime: float, sql: str, params: tuple[object, ...] = ()) -> pd.DataFrame:
    # mtime is part of the cache key: a new analyst copy invalidates every cached result.
    return Marts(path).query(sql, params)


def q(sql: str, params: tuple[object, ...] = ()) -> pd.DataFrame:
    return _query(str(MARTS.path), MARTS.path.stat().st_mtime, sql, params)


@st.cache_data(ttl=60, show_spinner=False)
def _columns(path: str, mtime: float, table: str) -> list[str]:
    return Marts(path).columns(table)


def cols(table: str) -> list[str]:
    return _columns(str(MARTS.path), MARTS.path.stat().st_mtime, table)


def missing(table: str) -> bool:
    if cols(table):
        return False
    st.info(f"`{table}` is not in {MARTS.path.name}: run `floop run` to build it.")
    return True


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def version_label(df: pd.DataFrame) -> pd.Series:
    """One readable label per version combination (string concatenation, not arithmetic)."""
    parts = [c for c in VERSION_KEYS if c in df.columns]
    if not parts:
        return pd.Series(["all"] * len(df), index=df.index)
    return df[parts].astype("string").fillna("-").agg(" | ".join, axis=1)


def chart(c: alt.Chart, key: str) -> None:
    st.altair_chart(c, width="stretch", key=key)


def metric_row(items: list[tuple[str, str]]) -> None:
    for column, (label, value) in zip(st.columns(len(items)), items, strict=True):
        column.metric(label, value)


# --------------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------------


def page_overview() -> None:
    st.title("Overview")
    st.caption(f"Reading `{MARTS.path}` read-only. Every number is a mart value.")
    _overview_outcomes()
    _overview_health()


def _overview_outcomes() -> None:
    st.header("Volumes and primary outcome rate")
    if missing(T_WEEKLY):
        return
    c = cols(T_WEEKLY)
    week = pick(c, "interaction_week", "week_start", "week")
    n = pick(c, "interactions", "n_interactions", "interaction_count")
    rate = pick(c, "primary_outcome_rate", "outcome_rate")
    if not (week and n and rate):
        st.warning(f"{T_WEEKLY} lacks week/interactions/primary_outcome_rate columns")
        return
    keep = [k for k in ("task_type", *VERSION_KEYS) if k in c]
    df = q(
        f"select {', '.join(map(ident, keep))}, {ident(week)} as week, "
        f"{ident(n)} as interactions, {ident(rate)} as primary_outcome_rate "
        f"from {T_WEEKLY} order by week"
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
            x=WEEK_X("week"),
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


HEALTH_FIGURES = [
    # (label on screen, mart column): the latest ingest day's row, as is
    ("Lines landed", "lines_landed"),
    ("Accepted", "lines_accepted"),
    ("Duplicates", "lines_duplicate"),
    ("Rejected", "lines_rejected"),
    ("Unknown-field events", "unknown_field_events"),
    ("Orphan feedback (unresolved)", "orphan_feedback_unresolved"),
]


def json_counts(df: pd.DataFrame, day: str, column: str, name: str) -> pd.DataFrame:
    """Unpack a mart's JSON object column ({key: count}) into rows; no arithmetic."""
    rows = []
    for _, r in df[[day, column]].dropna().iterrows():
        value = r[column]
        for key, n in (json.loads(value) if isinstance(value, str) else value).items():
            rows.append({day: r[day], name: key, "lines": n})
    return pd.DataFrame(rows, columns=[day, name, "lines"])


def _overview_health() -> None:
    st.header("Data health")
    if missing(T_HEALTH):
        return
    c = cols(T_HEALTH)
    day = pick(c, "ingested_date", "health_date", "day")
    if not day:
        st.warning(f"{T_HEALTH} has no day column")
        return
    df = q(f"select * from {T_HEALTH} order by {ident(day)}")
    if df.empty:
        st.info("Nothing ingested yet.")
        return
    last = df.iloc[-1]
    st.subheader(f"Latest ingest day: {pd.Timestamp(last[day]).date()}")
    figures = [(label, fmt_count(last[col])) for label, col in HEALTH_FIGURES if col in c]
    if figures:
        metric_row(figures)
    if cols(T_INTERACTIONS):
        newest = q(
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
    where = [x for x in ("lines_accepted", "lines_duplicate", "lines_rejected") if x in c]
    if where:
        st.subheader("Where the landed lines went, per ingest day")
        long = df.melt(id_vars=[day], value_vars=where, var_name="outcome", value_name="lines")
        chart(
            alt.Chart(long)
            .mark_bar()
            .encode(
                x=alt.X(f"yearmonthdate({day}):O", title="ingest day"),
                y=alt.Y("lines:Q"),
                color=alt.Color("outcome:N"),
                tooltip=[day, "outcome", "lines"],
            ),
            key="health_lines",
        )
    if "rejected_by_reason" in c:
        reasons = json_counts(df, day, "rejected_by_reason", "reason")
        st.subheader("Rejected lines by reason")
        if reasons.empty:
            st.info("No line was rejected.")
        else:
            chart(
                alt.Chart(reasons)
                .mark_bar()
                .encode(
                    x=alt.X("lines:Q", title="rejected lines"),
                    y=alt.Y("reason:N", title=None, sort="-x"),
                    color=alt.Color(f"yearmonthdate({day}):O", title="ingest day"),
                    tooltip=[day, "reason", "lines"],
                ),
                key="health_rejected",
            )
    rate, lo, hi = (
        pick(c, "orphan_feedback_rate"),
        pick(c, "orphan_feedback_rate_ci_low"),
        pick(c, "orphan_feedback_rate_ci_high"),
    )
    if rate and lo and hi:
        st.subheader("Orphan feedback (pointing at no interaction when it arrived)")
        base = alt.Chart(df.dropna(subset=[rate])).encode(
            x=alt.X(f"yearmonthdate({day}):O", title="ingest day")
        )
        chart(
            alt.layer(
                base.mark_rule().encode(y=alt.Y(f"{lo}:Q", axis=alt.Axis(format="%")), y2=hi),
                base.mark_point(filled=True).encode(
                    y=alt.Y(f"{rate}:Q", title="orphan share of feedback"),
                    tooltip=[day, rate, lo, hi, "orphan_feedback_unresolved"],
                ),
            ),
            key="health_orphans",
        )
    late = [x for x in c if x.startswith("outcome_lateness_") and x.endswith("_hours")]
    if late:
        st.subheader("Freshness: how late outcomes arrive (hours after the event)")
        long = df.melt(id_vars=[day], value_vars=late, var_name="percentile", value_name="hours")
        chart(
            alt.Chart(long.dropna(subset=["hours"]))
            .mark_bar()
            .encode(
                x=alt.X("percentile:N", title=None, sort=late),
                y=alt.Y("hours:Q"),
                column=alt.Column(f"yearmonthdate({day}):O", title="ingest day"),
                tooltip=[day, "percentile", "hours"],
            ),
            key="health_lateness",
        )


# --------------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------------


def _workflows() -> list[str]:
    if cols(T_WORKFLOWS):
        return list(q(f"select task_type from {T_WORKFLOWS} order by task_type")["task_type"])
    return list(q(f"select distinct task_type from {T_WEEKLY} order by 1")["task_type"])


def _tenants() -> list[str]:
    if not cols(T_TENANT_WEEKLY):
        return []
    return list(q(f"select distinct tenant_id from {T_TENANT_WEEKLY} order by 1")["tenant_id"])


def _select(label: str, options: list[str], param: str) -> str:
    """A selectbox whose choice lives in the URL (?workflow=..&tenant=..): links are shareable."""
    wanted = st.query_params.get(param)
    index = options.index(wanted) if wanted in options else 0
    value = st.selectbox(label, options, index=index, key=f"select_{param}")
    st.query_params[param] = value
    return value


def page_versions() -> None:
    st.title("Versions")
    if missing(T_WEEKLY):
        return
    left, right = st.columns(2)
    with left:
        workflow = _select("Workflow", _workflows(), "workflow")
    with right:
        tenant = _select("Tenant", [ALL_TENANTS, *_tenants()], "tenant")
    if tenant == ALL_TENANTS:
        df = q(f"select * from {T_WEEKLY} where task_type = ?", (workflow,))
    else:
        df = q(
            f"select * from {T_TENANT_WEEKLY} where task_type = ? and tenant_id = ?",
            (workflow, tenant),
        )
    if df.empty:
        st.info("No rows for this selection.")
        return
    c = list(df.columns)
    week = pick(c, "interaction_week", "week_start", "week")
    df["version"] = version_label(df)
    df = df.sort_values([week, "version"])
    rate = pick(c, "primary_outcome_rate", "outcome_rate")
    lo = pick(c, "primary_outcome_rate_ci_low")
    hi = pick(c, "primary_outcome_rate_ci_high")
    num = pick(c, "primary_outcome_rate_numerator")
    den = pick(c, "primary_outcome_rate_denominator")

    latest = df[df[week] == df[week].max()]
    st.subheader(f"Latest week ({pd.Timestamp(df[week].max()).date()})")
    rows = []
    for _, r in latest.iterrows():
        row = {"version": r["version"]}
        if "interactions" in c:
            row["interactions"] = fmt_count(r["interactions"])
        if rate:
            row["primary outcome rate"] = fmt_rate(r[rate])
        if lo and hi:
            row["95% interval"] = f"{fmt_rate(r[lo])} – {fmt_rate(r[hi])}"
        if num and den:
            row["outcomes"] = f"{fmt_count(r[num])} / {fmt_count(r[den])}"
        rows.append(row)
    st.table(pd.DataFrame(rows))

    if rate:
        st.subheader("Primary outcome rate per version, with 95% Wilson interval")
        base = alt.Chart(df.dropna(subset=[rate])).encode(
            x=WEEK_X(week),
            color=VERSION_COLOR,
        )
        layers = []
        if lo and hi:
            layers.append(base.mark_area(opacity=0.2).encode(y=alt.Y(f"{lo}:Q"), y2=f"{hi}:Q"))
        layers.append(
            base.mark_line(point=True).encode(
                y=alt.Y(f"{rate}:Q", title="primary outcome rate", axis=alt.Axis(format="%")),
                tooltip=["version", week, rate, *([lo, hi] if lo and hi else [])],
            )
        )
        chart(alt.layer(*layers), key="versions_outcome")

    thumbs = [
        x
        for x in (
            pick(c, "thumbs_up_share"),
            pick(c, "weighted_thumbs_up_share", "trust_weighted_thumbs_up_share"),
        )
        if x
    ]
    _long_lines(df, week, thumbs, "share", "Thumbs-up share: raw vs trust-weighted", "thumbs")

    implicit = [
        x
        for x in (
            pick(c, "edit_rate", "edit_distance_mean"),
            pick(c, "retry_rate"),
            pick(c, "abandon_rate"),
            pick(c, "escalation_rate"),
        )
        if x
    ]
    _long_lines(df, week, implicit, "rate", "Implicit signals", "implicit")

    latency = [x for x in (pick(c, "server_latency_p50_ms"), pick(c, "server_latency_p95_ms")) if x]
    _long_lines(df, week, latency, "ms", "Server latency (p50, p95)", "latency", percent=False)
    tokens = [x for x in c if x.endswith("tokens_total")]
    _long_lines(df, week, tokens, "tokens", "Tokens", "tokens", percent=False)
    evals = [x for x in c if x.endswith("pass_rate")]
    _long_lines(df, week, evals, "rate", "Evaluation and golden-task pass rates", "evals")
    _version_registry(df)
    _drill_down(workflow, tenant, df)


DRILL_COLUMNS = [
    "interacted_at",
    "output_id",
    "tenant_id",
    "task_id",
    "is_shadow",
    "thumbs_up_count",
    "thumbs_down_count",
    "is_retried",
    "is_abandoned",
    "is_escalated",
    "edit_distance_mean",
    "eval_passed_count",
    "eval_verdict_count",
    "carries_outcome",
    "primary_outcome_value",
    "server_latency_ms",
    "output_tokens",
    "comments_redacted",
]


def _version_registry(df: pd.DataFrame) -> None:
    """The registry rows (dim_versions) of the versions on this page."""
    if not cols(T_VERSIONS):
        return
    ids = sorted(
        {
            str(v)
            for k in ("prompt_version", "model_version", "knowledge_version")
            if k in df
            for v in df[k].dropna().unique()
        }
    )
    if not ids:
        return
    c = cols(T_VERSIONS)
    shown = [
        x
        for x in (
            "version_kind",
            "version_id",
            "model_id",
            "parent_version_id",
            "description",
            "dataset_manifest_id",
            "first_registered_at",
            "first_seen_at",
            "last_seen_at",
            "interactions",
            "shadow_interactions",
        )
        if x in c
    ]
    marks = ", ".join("?" * len(ids))
    reg = q(
        f"select {', '.join(map(ident, shown))} from {T_VERSIONS} "
        f"where version_id in ({marks}) order by version_kind, version_id",
        tuple(ids),
    )
    st.subheader("Version registry")
    st.dataframe(reg, hide_index=True, width="stretch")


def _drill_down(workflow: str, tenant: str, df: pd.DataFrame) -> None:
    """The newest interactions of one version: rows of fct_interactions, as they are."""
    if not cols(T_INTERACTIONS):
        return
    st.subheader("Drill down: newest interactions of a version")
    versions = sorted(df["version"].unique())
    chosen = st.selectbox("Version", versions, key="drill_version")
    row = df[df["version"] == chosen].iloc[0]
    c = cols(T_INTERACTIONS)
    shown = [x for x in DRILL_COLUMNS if x in c]
    where = ["task_type = ?", "prompt_version = ?", "model_id = ?", "model_version = ?"]
    params: list[object] = [workflow, row["prompt_version"], row["model_id"], row["model_version"]]
    if row["knowledge_version"] == "(none)":
        where.append("knowledge_version is null")
    else:
        where.append("knowledge_version = ?")
        params.append(row["knowledge_version"])
    if tenant != ALL_TENANTS:
        where.append("tenant_id = ?")
        params.append(tenant)
    rows = q(
        f"select {', '.join(map(ident, shown))} from {T_INTERACTIONS} "
        f"where {' and '.join(where)} order by interacted_at desc limit 200",
        tuple(params),
    )
    st.caption(f"{len(rows)} newest interactions (at most 200), shadow responses included.")
    st.dataframe(rows, hide_index=True, width="stretch")


def _long_lines(
    df: pd.DataFrame,
    week: str,
    value_cols: list[str],
    value_name: str,
    title: str,
    key: str,
    percent: bool = True,
) -> None:
    if not value_cols:
        return
    st.subheader(title)
    long = df.melt(
        id_vars=[week, "version"], value_vars=value_cols, var_name="measure", value_name=value_name
    ).dropna(subset=[value_name])
    axis = alt.Axis(format="%") if percent else alt.Axis()
    chart(
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=WEEK_X(week),
            y=alt.Y(f"{value_name}:Q", axis=axis),
            color=VERSION_COLOR,
            strokeDash=alt.StrokeDash("measure:N"),
            tooltip=["version", week, "measure", value_name],
        ),
        key=f"versions_{key}",
    )


# --------------------------------------------------------------------------------------------
# What changed
# --------------------------------------------------------------------------------------------


CHANGE_COLUMNS = {
    # mart column -> header on screen (rates as percentages, shares as percentages)
    "task_type": "workflow",
    "version_kind": "kind",
    "version_id": "version",
    "displaced_version_id": "replaced",
    "is_new": "new",
    "traffic_share": "traffic share",
    "outcome_rate": "outcome rate",
    "baseline_outcome_rate": "before",
    "outcome_delta": "delta",
    "outcome_delta_ci_low": "delta low",
    "outcome_delta_ci_high": "delta high",
    "verdict": "verdict",
    "thumbs_up_share_delta": "thumbs Δ",
    "weighted_thumbs_up_share_delta": "weighted thumbs Δ",
    "retry_rate_delta": "retry Δ",
    "escalation_rate_delta": "escalation Δ",
    "feedback_agrees": "feedback agrees",
    "implicit_agrees": "implicit agrees",
}
PERCENT_COLUMNS = {
    "traffic_share",
    "outcome_rate",
    "baseline_outcome_rate",
    "outcome_delta",
    "outcome_delta_ci_low",
    "outcome_delta_ci_high",
    "thumbs_up_share_delta",
    "weighted_thumbs_up_share_delta",
    "retry_rate_delta",
    "escalation_rate_delta",
}


def change_table(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the changes mart as shown: chosen columns, percentages formatted."""
    shown = [c for c in CHANGE_COLUMNS if c in df.columns]
    out = df[shown].copy()
    for c in shown:
        if c in PERCENT_COLUMNS:
            out[c] = out[c].map(fmt_rate)
        else:
            out[c] = out[c].astype("string").fillna("")
    return out.rename(columns=CHANGE_COLUMNS).reset_index(drop=True)


def page_what_changed() -> None:
    st.title("What changed, and did it help")
    st.caption(
        "Versions that appeared or grew their share of a workflow's traffic, against the "
        "version they displaced: primary outcome delta with its 95% interval, and whether "
        "explicit feedback and implicit signals moved the same way."
    )
    if missing(T_CHANGES):
        return
    c = cols(T_CHANGES)
    week = pick(c, "interaction_week", "week_start", "week")
    df = q(f"select * from {T_CHANGES} order by {ident(week)}, task_type, version_kind")
    if df.empty:
        st.info("No version changes recorded.")
        return
    weeks = sorted(df[week].unique(), reverse=True)
    # "last week" as the mart counts it (weeks_ago = 1); else the latest week with a change
    default = 0
    if "weeks_ago" in c:
        last = df.loc[df["weeks_ago"] == 1, week]
        if not last.empty:
            default = weeks.index(last.iloc[0])
    labels = [str(pd.Timestamp(w).date()) for w in weeks]
    wanted = st.query_params.get("week")
    index = labels.index(wanted) if wanted in labels else default
    chosen = st.selectbox("Week", labels, index=index, key="select_week")
    st.query_params["week"] = chosen
    rows = df[df[week] == weeks[labels.index(chosen)]]
    st.subheader(f"Changes in the week of {chosen}")
    st.table(change_table(rows))
    delta = pick(c, "outcome_delta")
    lo, hi = pick(c, "outcome_delta_ci_low"), pick(c, "outcome_delta_ci_high")
    if delta and lo and hi:
        plot = df.dropna(subset=[delta]).copy()
        plot["change"] = (
            plot["task_type"] + " | " + plot["version_kind"] + " | " + plot["version_id"]
        )
        plot["week"] = plot[week]
        verdict = "verdict" if "verdict" in c else "version_kind"
        base = alt.Chart(plot).encode(
            y=alt.Y("change:N", title=None, axis=alt.Axis(labelLimit=400)),
            color=alt.Color(f"{verdict}:N", title=verdict),
        )
        st.subheader("Primary outcome delta of every change, with 95% interval")
        chart(
            alt.layer(
                base.mark_rule().encode(
                    x=alt.X(
                        f"{lo}:Q", title="delta vs displaced version", axis=alt.Axis(format="%")
                    ),
                    x2=f"{hi}:Q",
                ),
                base.mark_point(filled=True, size=60).encode(
                    x=f"{delta}:Q", tooltip=["change", "week", delta, lo, hi, verdict]
                ),
            )
            .properties(height=alt.Step(22))
            .facet(row=alt.Row("yearmonthdate(week):O", title="week", sort="descending"))
            .resolve_scale(y="independent"),
            key="changes_delta",
        )


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------


def page_datasets() -> None:
    st.title("Datasets")
    st.caption("Exported datasets (manifests), their policies, and the versions trained on them.")
    if missing(T_LINEAGE):
        return
    c = cols(T_LINEAGE)
    df = q(f"select * from {T_LINEAGE}")
    if df.empty:
        st.info("No dataset exported and no trained version yet: `floop export --policy NAME`.")
        return
    manifest_cols = [
        x
        for x in (
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
        )
        if x in c
    ]
    has_manifest = pick(c, "has_manifest")
    manifests = df[df[has_manifest]] if has_manifest else df
    manifests = manifests[manifest_cols].drop_duplicates(subset=["manifest_id"])
    st.subheader(f"Exported manifests ({len(manifests)})")
    if manifests.empty:
        st.info("No dataset exported yet: `floop export --policy NAME`.")
    else:
        st.table(manifests.sort_values("manifest_id").astype("string").reset_index(drop=True))
        if "row_count" in manifests.columns:
            chart(
                alt.Chart(manifests)
                .mark_bar()
                .encode(
                    x=alt.X("row_count:Q", title="rows"),
                    y=alt.Y("manifest_id:N", title=None),
                    color=alt.Color("policy_name:N", title="policy"),
                    tooltip=manifest_cols,
                ),
                key="datasets_rows",
            )
    lineage_cols = [
        x
        for x in (
            "version_kind",
            "version_id",
            "parent_version_id",
            "dataset_manifest_id",
            "manifest_id",
            "policy_name",
            "lineage_status",
        )
        if x in c
    ]
    st.subheader("Lineage: versions and the datasets they were trained on")
    st.table(
        df[lineage_cols]
        .sort_values(lineage_cols[:2], na_position="last")
        .astype("string")
        .fillna("")
        .reset_index(drop=True)
    )


def main() -> None:
    st.set_page_config(page_title="floop", layout="wide")
    if not MARTS.path.exists():
        st.error(f"{MARTS.path} does not exist: run `floop run` first.")
        return
    nav = st.navigation(
        [
            st.Page(page_overview, title="Overview", url_path="overview", default=True),
            st.Page(page_versions, title="Versions", url_path="versions"),
            st.Page(page_what_changed, title="What changed", url_path="what_changed"),
            st.Page(page_datasets, title="Datasets", url_path="datasets"),
        ]
    )
    nav.run()


main()
