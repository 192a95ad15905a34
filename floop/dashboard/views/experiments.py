"""Experiments & gates: every experiment arm against its control (lift with its interval),
the release gates' decisions when they are built, and the bandits' traffic allocation."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from floop.dashboard.charts import SVG, chart, fmt_count, fmt_pp, fmt_rate, missing
from floop.dashboard.data import T_BANDITS, T_EXPERIMENT_ARMS, T_GATES, has_table, query

ARM_COLUMNS = {
    # mart column -> header on screen
    "experiment_id": "experiment",
    "variant": "arm",
    "control_variant": "control",
    "interactions": "interactions",
    "tasks_with_outcome": "tasks with outcome",
    "primary_outcome_rate": "outcome rate",
    "delta_vs_control": "lift",
    "delta_vs_control_ci_low": "lift low",
    "delta_vs_control_ci_high": "lift high",
}
ALLOCATION_COLUMNS = {
    "experiment_id": "experiment",
    "task_type": "workflow",
    "variant": "arm",
    "allocation_status": "status",
    "weight": "weight",
    "planned_weight": "planned",
    "prob_best": "P(best)",
    "posterior_mean": "posterior mean",
    "randomization_units": "units",
    "tasks_with_outcome": "tasks with outcome",
    "tasks_pending_outcome": "pending",
    "proxy_reward_sum": "proxy reward",
    "calibration_predicted_rate": "proxy predicted",
    "calibration_observed_rate": "observed",
}
RATES = {"primary_outcome_rate", "weight", "planned_weight", "prob_best", "posterior_mean"}
RATES |= {"calibration_predicted_rate", "calibration_observed_rate"}
POINTS = {"delta_vs_control", "delta_vs_control_ci_low", "delta_vs_control_ci_high"}
COUNTS = {"interactions", "tasks_with_outcome", "randomization_units", "tasks_pending_outcome"}


def shown(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Mart rows as shown: chosen columns, shares in %, differences in pp, counts with commas."""
    out = df[list(columns)].copy()
    for c in columns:
        if c in RATES:
            out[c] = out[c].map(fmt_rate)
        elif c in POINTS:
            out[c] = out[c].map(fmt_pp)
        elif c in COUNTS:
            out[c] = out[c].map(fmt_count)
        elif c == "proxy_reward_sum":
            out[c] = out[c].map(lambda v: f"{v:.1f}")
        else:
            out[c] = out[c].astype("string").fillna("")
    return out.rename(columns=columns).reset_index(drop=True)


def render() -> None:
    st.title("Experiments & gates")
    st.caption(
        "Each experiment arm against its control (primary outcome, lift in percentage points "
        "with its 95% interval), the gate decisions per candidate version, and how the "
        "bandits split traffic between their arms."
    )
    _arms()
    _gates()
    _allocation()


def _arms() -> None:
    st.subheader("Arms")
    if missing(T_EXPERIMENT_ARMS):
        return
    df = query(f"select * from {T_EXPERIMENT_ARMS} order by experiment_id, variant")
    if df.empty:
        st.info("No experiment in the data.")
        return
    st.table(shown(df, ARM_COLUMNS))
    plot = df[~df["is_control"]].dropna(subset=["delta_vs_control"]).copy()
    for c in POINTS:
        plot[c + "_pp"] = plot[c] * 100  # a share difference shown in percentage points
    plot["arm"] = plot["experiment_id"] + " | " + plot["variant"]
    base = alt.Chart(plot).encode(y=alt.Y("arm:N", title=None, axis=alt.Axis(labelLimit=400)))
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="black")
    chart(
        alt.layer(
            zero.encode(x=alt.X("zero:Q", title="lift vs control (pp)")),
            base.mark_rule().encode(
                x="delta_vs_control_ci_low_pp:Q", x2="delta_vs_control_ci_high_pp:Q"
            ),
            base.mark_point(filled=True, size=60).encode(x="delta_vs_control_pp:Q"),
        ).properties(height=alt.Step(26), usermeta=SVG),
        key="experiment_lift",
    )


def _gates() -> None:
    st.subheader("Gates")
    if not has_table(T_GATES):
        st.info(f"`{T_GATES}` is not in this warehouse: no gate decisions yet.")
        return
    df = query(f"select * from {T_GATES}")
    st.dataframe(df, hide_index=True)


def _allocation() -> None:
    st.subheader("Bandit allocation")
    if missing(T_BANDITS):
        return
    df = query(f"select * from {T_BANDITS} order by experiment_id, variant")
    if df.empty:
        st.info("No bandit is configured (experiments/*.yml with `mode: bandit`).")
        return
    marks = ", ".join(
        f"{e}: {pd.Timestamp(w):%Y-%m-%d %H:%M} UTC"
        for e, w in df.groupby("experiment_id")["data_watermark"].max().items()
    )
    st.caption(f"Data watermark: {marks}. `floop allocate --out weights.json` writes these.")
    st.table(shown(df, ALLOCATION_COLUMNS))
    chart(
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("weight:Q", title="traffic weight", axis=alt.Axis(format="%")),
            y=alt.Y("variant:N", title=None),
            row=alt.Row("experiment_id:N", title=None),
            tooltip=["experiment_id", "variant", "weight", "prob_best"],
        )
        .properties(usermeta=SVG),
        key="bandit_weights",
    )
