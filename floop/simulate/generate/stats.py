"""What the truth file needs from each day, summed into `plan.stats` with numpy (no loop over
events)."""

from __future__ import annotations

from typing import Any

import numpy as np

from floop.simulate.generate.feedback import FEEDBACK_TYPES
from floop.simulate.generate.interactions import Served
from floop.simulate.generate.labels import Labels
from floop.simulate.generate.outcomes import Outcomes
from floop.simulate.generate.tasks import Day, Tasks
from floop.simulate.world import (
    BANDITS,
    DAY_MS,
    EXPERIMENTS,
    LABELERS,
    MODELS,
    PROMPTS,
    SRM_EXPERIMENT,
    WORKFLOWS,
    bandit_var0,
)


def record_day(
    day: Day,
    tasks: Tasks,
    s: Served,
    o: Outcomes,
    feedback: dict[str, np.ndarray],
    evaluations: dict[str, np.ndarray],
    labels: Labels,
) -> None:
    st = day.plan.stats
    _record_rates(day, tasks, o)
    add(st, "tasks", tasks.k)
    add(st, "tasks_by_n_interactions", {str(i): int((tasks.n_int == i).sum()) for i in (1, 2, 3)})
    add(st, "shadow", int(s.shadow.sum()))
    srm = [e[0] for e in EXPERIMENTS].index(SRM_EXPERIMENT)
    in_srm_treatment = s.columns["task_j"][~s.shadow]
    lost = (tasks.exp[in_srm_treatment] == srm) & (tasks.var[in_srm_treatment] == 1) & (
        s.columns["exp"][~s.shadow] == -1
    )
    add(st, "srm_lost_interactions", int(lost.sum()))
    add(st, "outcome_pending", int((o.reported & ~o.emitted).sum()))
    add(st, "outcome_unreported", int((~o.reported).sum()))
    add(st, "outcome_emitted_primary", int(o.emitted.sum()))
    add(st, "outcome_corrections", int(o.corrected.sum()))
    add(st, "outcome_late_over_1d", int((o.emitted & (o.delay > DAY_MS)).sum()))
    add(st, "outcome_late_over_3d", int((o.emitted & (o.delay > 3 * DAY_MS)).sum()))
    add(st, "poison_thumbs_down", int(feedback["poison"].sum()))
    add(st, "golden_runs", int((evaluations["golden"] >= 0).sum()))
    _record_golden(st, evaluations)
    add(st, "retry_feedback", int((feedback["ft"] == FEEDBACK_TYPES.index("retry")).sum()))
    for li, (name, _acc) in enumerate(LABELERS):
        sel = labels.labeler == li
        add(st, f"labels|{name}", [int(sel.sum()), int(labels.right[sel].sum())])
    taxo = labels.columns["taxo"]
    add(st, "labels_by_taxonomy", {"1": int((taxo == 1).sum()), "2": int((taxo == 2).sum())})
    st.setdefault("hidden_labels", []).append(
        (np.full(len(labels.rows), day.d, np.int32), labels.rows.astype(np.int64), labels.true3)
    )


def _record_rates(day: Day, tasks: Tasks, o: Outcomes) -> None:
    """Successes per workflow, prompt and day, and per experiment arm, of the tasks whose
    primary outcome is known (the latest value is the true one)."""
    st, wf, prompt, success = day.plan.stats, tasks.wf, tasks.prompt, tasks.success
    fin = np.flatnonzero(o.emitted)
    for w in range(3):
        for pr in np.unique(prompt[fin][wf[fin] == w]):
            sel = fin[(wf[fin] == w) & (prompt[fin] == pr)]
            key = f"{WORKFLOWS[w].name}|{PROMPTS[pr]}|{day.plan.day_iso(day.d)}"
            st.setdefault("daily", {})[key] = [int(len(sel)), int(success[sel].sum())]
    for e, (exp_id, *_rest) in enumerate(EXPERIMENTS):
        for v in (0, 1):
            sel = fin[(tasks.exp[fin] == e) & (tasks.var[fin] == v)]
            acc = st.setdefault("exp", {}).setdefault(f"{exp_id}|{v}", [0, 0])
            acc[0] += int(len(sel))
            acc[1] += int(success[sel].sum())
    for b, (bandit_id, _bwf, arms) in enumerate(BANDITS):
        for a, arm in enumerate(arms):
            on = (tasks.exp[fin] == len(EXPERIMENTS) + b) & (tasks.var[fin] == bandit_var0(b) + a)
            add(st, f"bandit|{bandit_id}|{arm}", [int(on.sum()), int(success[fin[on]].sum())])


def _record_golden(st: dict[str, Any], ev: dict[str, np.ndarray]) -> None:
    """Golden runs per workflow and version (its own model and prompt): evaluations, passes,
    the sum of scores and the golden tasks covered."""
    g = np.flatnonzero(ev["golden"] >= 0)
    keys = np.stack([ev["wf"][g], ev["gmodel"][g], ev["gprompt"][g]], axis=1)
    for wf, model, prompt in np.unique(keys, axis=0):
        sel = g[(keys == (wf, model, prompt)).all(axis=1)]
        key = f"{WORKFLOWS[wf].name}|{MODELS[model][0]}|{MODELS[model][1]}|{PROMPTS[prompt]}"
        acc = st.setdefault("golden", {}).setdefault(
            key, {"evaluations": 0, "passed": 0, "score_sum": 0.0, "tasks": set()}
        )
        acc["evaluations"] += len(sel)
        acc["passed"] += int((ev["passed"][sel] == 1).sum())
        acc["score_sum"] += float(ev["val"][sel].sum())
        acc["tasks"].update(int(t) for t in np.unique(ev["golden"][sel]))


def add(st: dict[str, Any], key: str, value: Any) -> None:
    """Add VALUE (a number, or a dict or list of numbers) into st[key]."""
    if isinstance(value, dict):
        acc = st.setdefault(key, {})
        for k2, v2 in value.items():
            acc[k2] = acc.get(k2, 0) + v2
    elif isinstance(value, list):
        acc = st.setdefault(key, [0] * len(value))
        for i, v2 in enumerate(value):
            acc[i] += v2
    else:
        st[key] = st.get(key, 0) + value
