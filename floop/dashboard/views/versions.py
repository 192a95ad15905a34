"""Versions: one workflow (and optionally one tenant) week by week, per version combination:
outcome rate with its interval, feedback, implicit signals, latency, tokens, eval pass rates,
the workflow's golden-task results per version, the registry rows of those versions and their
newest interactions."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.charts import (
    SESSION_LINK,
    SVG,
    VERSION_COLOR,
    WEEK_OPACITY,
    chart,
    fmt_count,
    fmt_rate,
    missing,
    session_links,
    version_label,
    week_x,
)
from floop.dashboard.data import (
    T_GOLDENS,
    T_INTERACTIONS,
    T_TENANT_WEEKLY,
    T_VERSIONS,
    T_WEEKLY,
    T_WORKFLOWS,
    has_table,
    outcome_metrics,
    query,
)
from floop.dashboard.weeks import (
    provisional_note,
    running_week,
    select_week,
    week_label,
    week_status,
)

ALL_TENANTS = "All tenants"
WEEK = "interaction_week"
RATE = "primary_outcome_rate"
RATE_LOW = "primary_outcome_rate_ci_low"
RATE_HIGH = "primary_outcome_rate_ci_high"

# One line chart each: (mart column -> name in the legend, y title, chart key, axis format).
# The measures of one chart differ by point shape and dash, and the legend shows both.
LINE_CHARTS = [
    (
        {"thumbs_up_share": "raw", "weighted_thumbs_up_share": "trust-weighted"},
        "thumbs-up share",
        "Thumbs-up share: raw vs trust-weighted",
        "thumbs",
        "%",
    ),
    (
        {
            "retry_rate": "retried",
            "abandon_rate": "abandoned",
            "escalation_rate": "escalated",
        },
        "share of interactions",
        "Implicit signals: share of interactions retried, abandoned, escalated",
        "implicit",
        "%",
    ),
    (
        {"edit_distance_mean": "mean edit distance"},
        "edit distance (mean over edits)",
        "Implicit signal: how much users edit a response (mean edit distance, not a share)",
        "edits",
        ".2f",
    ),
    (
        {"server_latency_p50_ms": "p50", "server_latency_p95_ms": "p95"},
        "server latency (ms)",
        "Server latency (p50, p95)",
        "latency",
        ",.0f",
    ),
    (
        {"input_tokens_total": "input", "output_tokens_total": "output"},
        "tokens per week",
        "Tokens (sum over the week)",
        "tokens",
        ",.0f",
    ),
    (
        {"eval_pass_rate": "evaluations", "golden_pass_rate": "golden tasks"},
        "pass rate",
        "Evaluation and golden-task pass rates",
        "evals",
        "%",
    ),
]
SHAPES = ["circle", "square", "triangle-up", "diamond"]
DASHES = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]
REGISTRY_COLUMNS = [
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
]
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


def render() -> None:
    st.title("Versions")
    if missing(T_WEEKLY):
        return
    left, right = st.columns(2)
    with left:
        workflow = _select("Workflow", _workflows(), "workflow")
    with right:
        tenant = _select("Tenant", [ALL_TENANTS, *_tenants()], "tenant")
    if tenant == ALL_TENANTS:
        df = query(f"select * from {T_WEEKLY} where task_type = ?", (workflow,))
    else:
        df = query(
            f"select * from {T_TENANT_WEEKLY} where task_type = ? and tenant_id = ?",
            (workflow, tenant),
        )
    if df.empty:
        st.info("No rows for this selection.")
        return
    df["version"] = version_label(df)
    df = df.sort_values([WEEK, "version"])
    running = running_week()
    df["week_status"] = week_status(df[WEEK], running)
    df["week_label"] = [week_label(w, running) for w in df[WEEK]]
    metric = outcome_metrics().get(workflow, "outcome")
    _week_table(df, metric)
    _outcome_chart(df, metric)
    for columns, y_title, title, key, axis_format in LINE_CHARTS:
        _long_lines(df, columns, y_title, title, key, axis_format)
    _goldens(workflow)
    _version_registry(df)
    _drill_down(workflow, tenant, df)


def _workflows() -> list[str]:
    if has_table(T_WORKFLOWS):
        return list(query(f"select task_type from {T_WORKFLOWS} order by task_type")["task_type"])
    return list(query(f"select distinct task_type from {T_WEEKLY} order by 1")["task_type"])


def _tenants() -> list[str]:
    if not has_table(T_TENANT_WEEKLY):
        return []
    return list(query(f"select distinct tenant_id from {T_TENANT_WEEKLY} order by 1")["tenant_id"])


def _select(label: str, options: list[str], param: str) -> str:
    """A selectbox whose choice lives in the URL (?workflow=..&tenant=..): links are shareable."""
    wanted = st.query_params.get(param)
    index = options.index(wanted) if wanted in options else 0
    value = st.selectbox(label, options, index=index, key=f"select_{param}")
    st.query_params[param] = value
    return value


def _week_table(df: pd.DataFrame, metric: str) -> None:
    """One week's rows per version: the last complete week unless another is chosen."""
    week = select_week(list(df[WEEK]), key="versions_week")
    rows = df[df[WEEK] == week]
    st.subheader(f"Week of {rows['week_label'].iloc[0]}: {metric} rate per version")
    provisional_note(week)
    table = [
        {
            "version": r["version"],
            "week": r["week_label"],
            "interactions": fmt_count(r["interactions"]),
            f"{metric} rate": fmt_rate(r[RATE]),
            "95% interval": f"{fmt_rate(r[RATE_LOW])} – {fmt_rate(r[RATE_HIGH])}",
            "outcomes": f"{fmt_count(r['primary_outcome_rate_numerator'])} / "
            f"{fmt_count(r['primary_outcome_rate_denominator'])}",
        }
        for _, r in rows.iterrows()
    ]
    st.table(pd.DataFrame(table))


def _outcome_chart(df: pd.DataFrame, metric: str) -> None:
    st.subheader(f"{metric} rate per version, with its 95% Wilson interval")
    plot = df.dropna(subset=[RATE])
    x = week_x(WEEK, df[WEEK])
    base = alt.Chart(plot).encode(x=x, color=VERSION_COLOR)
    band = base.mark_area(opacity=0.3).encode(y=alt.Y(f"{RATE_LOW}:Q"), y2=f"{RATE_HIGH}:Q")
    edges = [
        base.mark_line(strokeWidth=1, opacity=0.6).encode(y=f"{bound}:Q")
        for bound in (RATE_LOW, RATE_HIGH)
    ]
    line = base.mark_line().encode(
        y=alt.Y(f"{RATE}:Q", title=f"{metric} rate", axis=alt.Axis(format="%"))
    )
    points = base.mark_point(filled=True, size=60).encode(
        y=f"{RATE}:Q",
        opacity=WEEK_OPACITY,
        tooltip=["version", "week_label", RATE, RATE_LOW, RATE_HIGH],
    )
    chart(alt.layer(band, *edges, line, points).properties(usermeta=SVG), key="versions_outcome")


def _long_lines(
    df: pd.DataFrame,
    columns: dict[str, str],
    y_title: str,
    title: str,
    key: str,
    axis_format: str,
) -> None:
    st.subheader(title)
    long = df.melt(
        id_vars=[WEEK, "version", "week_label", "week_status"],
        value_vars=list(columns),
        var_name="column",
        value_name="value",
    ).dropna(subset=["value"])
    long["measure"] = long["column"].map(columns)
    names = list(columns.values())
    # one legend for shape and dash (same field, same title): it shows both marks
    shape = alt.Shape(
        "measure:N",
        title="measure",
        scale=alt.Scale(domain=names, range=SHAPES[: len(names)]),
        legend=alt.Legend(orient="bottom", labelLimit=400, symbolStrokeWidth=2),
    )
    dash = alt.StrokeDash(
        "measure:N", title="measure", scale=alt.Scale(domain=names, range=DASHES[: len(names)])
    )
    axis = alt.Axis(format=axis_format)
    base = alt.Chart(long).encode(
        x=week_x(WEEK, df[WEEK]), y=alt.Y("value:Q", title=y_title, axis=axis), color=VERSION_COLOR
    )
    chart(
        alt.layer(
            base.mark_line().encode(strokeDash=dash, detail="measure:N"),
            base.mark_point(filled=True, size=60).encode(
                shape=shape,
                opacity=WEEK_OPACITY,
                tooltip=["version", "week_label", "measure", "value"],
            ),
        ).properties(usermeta=SVG),
        key=f"versions_{key}",
    )


def _goldens(workflow: str) -> None:
    """Golden-task results of the workflow per version (all time; goldens run offline, so no
    tenant): pass rate with its interval, tasks covered, mean score, last run."""
    if not has_table(T_GOLDENS):
        return
    g = query(
        f"select * from {T_GOLDENS} where workflow = ? "
        "order by prompt_version, model_id, model_version",
        (workflow,),
    )
    st.subheader("Golden tasks per version")
    if g.empty:
        st.info("No golden runs for this workflow yet.")
        return
    g["version"] = g[["prompt_version", "model_id", "model_version"]].agg(" | ".join, axis=1)
    rows = [
        {
            "version": r["version"],
            "golden pass rate": fmt_rate(r["golden_pass_rate"]),
            "95% interval": f"{fmt_rate(r['golden_pass_rate_ci_low'])} – "
            f"{fmt_rate(r['golden_pass_rate_ci_high'])}",
            "passed": f"{fmt_count(r['golden_pass_rate_numerator'])} / "
            f"{fmt_count(r['golden_pass_rate_denominator'])}",
            "tasks covered": f"{fmt_count(r['golden_tasks_covered'])} / "
            f"{fmt_count(r['golden_tasks_registered'])}",
            "mean score": f"{r['golden_score_mean']:.3f}",
            "last run": str(pd.Timestamp(r["last_run_at"]).date()),
        }
        for _, r in g.iterrows()
    ]
    st.table(pd.DataFrame(rows))
    base = alt.Chart(g.dropna(subset=["golden_pass_rate"])).encode(
        y=alt.Y("version:N", title=None, axis=alt.Axis(labelLimit=400))
    )
    bars = base.mark_bar(opacity=0.6).encode(
        x=alt.X("golden_pass_rate:Q", title="golden pass rate", axis=alt.Axis(format="%")),
        tooltip=[
            "version",
            "golden_pass_rate",
            "golden_pass_rate_ci_low",
            "golden_pass_rate_ci_high",
            "golden_tasks_covered",
        ],
    )
    whiskers = base.mark_rule().encode(
        x="golden_pass_rate_ci_low:Q", x2="golden_pass_rate_ci_high:Q"
    )
    chart(alt.layer(bars, whiskers), key="versions_goldens")


def _version_registry(df: pd.DataFrame) -> None:
    """The registry rows (dim_versions) of the versions on this page."""
    if not has_table(T_VERSIONS):
        return
    ids = sorted(
        {
            str(v)
            for k in ("prompt_version", "model_version", "knowledge_version")
            for v in df[k].dropna().unique()
        }
    )
    if not ids:
        return
    marks = ", ".join("?" * len(ids))
    reg = query(
        f"select {', '.join(REGISTRY_COLUMNS)} from {T_VERSIONS} "
        f"where version_id in ({marks}) order by version_kind, version_id",
        tuple(ids),
    )
    st.subheader("Version registry")
    st.dataframe(reg, hide_index=True, width="stretch")


def _drill_down(workflow: str, tenant: str, df: pd.DataFrame) -> None:
    """The newest interactions of one version: rows of fct_interactions, as they are."""
    if not has_table(T_INTERACTIONS):
        return
    st.subheader("Drill down: newest interactions of a version")
    # the busiest version first (golden-only versions have no interactions to list)
    busiest = df.groupby("version")["interactions"].sum()
    busiest = busiest.sort_values(ascending=False, kind="stable")
    versions = list(busiest.index)
    chosen = st.selectbox("Version", versions, key="drill_version")
    row = df[df["version"] == chosen].iloc[0]
    where = ["task_type = ?", "prompt_version = ?", "model_id = ?", "model_version = ?"]
    params: list[object] = [workflow, row["prompt_version"], row["model_id"], row["model_version"]]
    # The version marts spell a missing knowledge version '(none)'; fct_interactions has null.
    if row["knowledge_version"] == "(none)":
        where.append("knowledge_version is null")
    else:
        where.append("knowledge_version = ?")
        params.append(row["knowledge_version"])
    if tenant != ALL_TENANTS:
        where.append("tenant_id = ?")
        params.append(tenant)
    rows = query(
        f"select {', '.join(DRILL_COLUMNS)} from {T_INTERACTIONS} "
        f"where {' and '.join(where)} order by interacted_at desc limit 200",
        tuple(params),
    )
    st.caption(
        f"{len(rows)} newest interactions (at most 200), shadow responses included; the "
        "session column opens a task's chain of events."
    )
    rows.insert(0, "session", session_links(rows["task_id"]))
    st.dataframe(rows, hide_index=True, width="stretch", column_config={"session": SESSION_LINK})
