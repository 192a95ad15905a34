"""Review: an assignee works through their triage queue. Log in with the labeler id, pick a
queue (workflow and week), see one open item with its context — the tenant, the session's
chain of events in order (fct_review_context: interactions with versions and documents,
feedback with redacted comments only, evaluations, labels, the outcome) — and answer from the
current taxonomy (taxonomies/*.yml). Each submit writes contract label events as one new NDJSON
file into the landing folder (floop.labeling); the next `floop run` ingests them and the item
leaves the queue. Nothing is written into a table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from floop.config import wall_clock
from floop.dashboard.charts import missing, session_url
from floop.dashboard.data import T_REVIEW_CONTEXT, T_TRIAGE_QUEUE, landing_path, query
from floop.errors import FloopError
from floop.labeling import Item, label_events, write_label_file
from floop.taxonomy import Taxonomy, load_taxonomies

CONTEXT_COLUMNS = [
    "event_order",
    "event_at",
    "event_type",
    "output_id",
    "prompt_version",
    "model_id",
    "model_version",
    "knowledge_version",
    "retrieved_document_ids",
    "cited_document_ids",
    "event_kind",
    "event_value",
    "detail",
]
ITEM_FIELDS = [
    "queue_rank",
    "tenant_id",
    "tenant_tier",
    "task_type",
    "output_id",
    "session_id",
    "interacted_at",
    "prompt_version",
    "model_id",
    "model_version",
    "signals",
    "primary_signal",
    "priority",
]


def render() -> None:
    st.title("Review")
    st.caption(
        "Label the responses the triage queue routed to you. Answers become label events in "
        "the landing folder; the next run ingests them."
    )
    if missing(T_TRIAGE_QUEUE) or missing(T_REVIEW_CONTEXT):
        return
    if "review_saved" in st.session_state:
        st.success(st.session_state.pop("review_saved"))
    labeler = st.text_input("Labeler id (login)", key="review_labeler").strip()
    if not labeler:
        st.info("Enter your labeler id to see your queue.")
        return
    queue = _open_items(labeler)
    if queue.empty:
        st.info(f"No open items assigned to {labeler}.")
        return
    queues = queue[["task_type", "triage_week"]].drop_duplicates()
    names = [f"{r.task_type} · week of {r.triage_week:%Y-%m-%d}" for r in queues.itertuples()]
    picked = st.selectbox("Queue", names, key="review_queue")
    chosen = queues.iloc[names.index(picked)]
    mine = queue[
        (queue["task_type"] == chosen["task_type"])
        & (queue["triage_week"] == chosen["triage_week"])
    ]
    st.write(f"{len(mine)} open items in this queue.")
    _show_item(mine.iloc[0], labeler)


def _open_items(labeler: str) -> pd.DataFrame:
    """The labeler's open items in queue order, less those answered in this browser session
    (the analyst copy shows them as open until the next run)."""
    df = query(
        f"select * from {T_TRIAGE_QUEUE} where assignee = ? and status = 'open' "
        "order by triage_week desc, task_type, queue_rank",
        (labeler,),
    )
    done = st.session_state.setdefault("review_done", set())
    return df[~df["output_id"].isin(done)]


def _show_item(item: pd.Series, labeler: str) -> None:
    st.subheader(f"Item {item['output_id']}")
    st.table(pd.DataFrame({"field": ITEM_FIELDS, "value": [str(item[f]) for f in ITEM_FIELDS]}))
    st.subheader("Chain of events in the session")
    context = query(
        f"select * from {T_REVIEW_CONTEXT} where session_id = ? order by event_order",
        (str(item["session_id"]),),
    )
    st.table(context[CONTEXT_COLUMNS].astype("string").fillna("").reset_index(drop=True))
    tasks = context[context["output_id"] == item["output_id"]]["task_id"].dropna()
    if not tasks.empty:
        st.markdown(f"[Open this task's session timeline]({session_url(tasks.iloc[0])})")
    _answer_form(item, labeler)


def _answer_form(item: pd.Series, labeler: str) -> None:
    try:
        taxonomies = load_taxonomies()
    except FloopError as exc:
        st.error(str(exc))
        return
    landing = landing_path()
    if landing is None:
        st.warning(
            "Started without a landing folder (`floop dashboard --landing DIR`): "
            "answers cannot be saved."
        )
        return
    with st.form(key=f"answer_{item['output_id']}"):
        answers = {t.label_name: _question(t, str(item["output_id"])) for t in taxonomies}
        submitted = st.form_submit_button("Submit label")
    if submitted:
        _submit(item, labeler, {k: v for k, v in answers.items() if v}, taxonomies, landing)


def _question(tax: Taxonomy, output_id: str) -> str | None:
    return st.radio(
        f"{tax.label_name} (taxonomy version {tax.current_version})",
        list(tax.current_values),
        index=None,
        help=tax.description,
        key=f"answer_{output_id}_{tax.label_name}",
    )


def _submit(
    item: pd.Series,
    labeler: str,
    answers: dict[str, str],
    taxonomies: list[Taxonomy],
    landing: Path,
) -> None:
    now = wall_clock()  # the one clock of a submit: the label events' timestamp
    target = Item(str(item["output_id"]), str(item["tenant_id"]), str(item["trace_id"]))
    try:
        path = write_label_file(
            landing, label_events(target, labeler, answers, taxonomies, now), now
        )
    except FloopError as exc:
        st.error(str(exc))
        return
    st.session_state["review_done"].add(target.output_id)
    st.session_state["review_saved"] = f"Saved {path.name} ({', '.join(sorted(answers))})."
    st.rerun()
