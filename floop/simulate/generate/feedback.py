"""The day's feedback: per type, drawn for real interactions and shaped by the task's success;
plus the poisoning burst (anonymous thumbs-down from one tenant on the new support prompt)."""

from __future__ import annotations

import numpy as np

from floop.simulate.generate.interactions import Served
from floop.simulate.generate.tasks import Day, Tasks
from floop.simulate.world import (
    COMMENTS,
    FEEDBACK_P,
    HOUR_MS,
    MIN_MS,
    POISON_TENANT,
    ROLES,
    SC,
    lognormal,
)

FEEDBACK_TYPES = list(FEEDBACK_P)


def draw_feedback(day: Day, tasks: Tasks, s: Served) -> dict[str, np.ndarray]:
    real = np.flatnonzero(~s.shadow)
    parts = [_of_type(day, s, real, ft) for ft in FEEDBACK_TYPES]
    poison = _poisoning(day, tasks, s, real)
    if poison is not None:
        parts.append(poison)
    fb = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    keep = fb["_ts"] < day.plan.end_ms  # feedback after the window has not happened yet
    fb = {key: v[keep] for key, v in fb.items()}
    rows = fb["row"]
    n_f = len(rows)
    ti = s.all_ti[rows]
    frole = day.plan.user_role[tasks.guser[ti]].astype(np.int8)
    frole = np.where(fb["poison"], ROLES.index("anonymous"), frole).astype(np.int8)
    return {
        "_d": np.full(n_f, day.d, np.int32),
        "_j": np.arange(n_f, dtype=np.int64),
        "_ts": fb["_ts"],
        "_ten": tasks.ten[ti],
        "ij": rows.astype(np.int64),
        "wf": s.iwf[rows],
        "user": np.where(tasks.has_user[ti] & ~fb["poison"], tasks.user[ti], -1),
        "ft": fb["ft"],
        "val": fb["val"],
        "doc": fb["doc"],
        "role": frole,
        "text_i": fb["text_i"],
        "poison": fb["poison"],
    }


def _of_type(day: Day, s: Served, real: np.ndarray, ft: str) -> dict[str, np.ndarray]:
    rng = day.rng
    if ft == "retry":
        rows = real[~s.is_last[real]] if len(real) else real
        # the retry is the next interaction's request: just before it
        fts = s.its[rows + 1] - rng.integers(200, 2000, len(rows))
        vals = np.ones(len(rows))
    else:
        rows, vals, fts = _reactions(rng, s, real, ft)
    m = len(rows)
    doc = np.full(m, -1, np.int32)
    if ft == "doc_click" and m:
        rank = np.minimum((rng.random(m) ** 2 * s.nk[rows]).astype(np.int64), s.nk[rows] - 1)
        stack = np.stack([s.docs[f"d{j}"][rows] for j in range(5)])
        doc = stack[rank, np.arange(m)].astype(np.int32)
    # drawn for every type (np.where evaluates both sides): the stream depends on it
    text_i = np.where(ft == "comment", rng.integers(0, len(COMMENTS), m), -1)
    return {
        "row": rows,
        "ft": np.full(m, FEEDBACK_TYPES.index(ft), np.int8),
        "val": vals.astype(np.float64),
        "_ts": fts.astype(np.int64),
        "doc": doc,
        "text_i": text_i,
        "poison": np.zeros(m, bool),
    }


def _reactions(
    rng: np.random.Generator, s: Served, real: np.ndarray, ft: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, values and timestamps of one drawn feedback type."""
    base = np.array(FEEDBACK_P[ft])[s.iwf[real]]
    g = s.good[real]
    last = s.is_last[real]
    if ft in ("abandon", "escalation"):
        prob = np.where(last, np.where(g, 0.3, 2.5), 0.0) * base
    elif ft in ("copy", "accept"):
        prob = base * np.where(g, 1.3, 0.5)
    elif ft == "doc_click":
        prob = np.where(s.nk[real] > 0, base, 0.0)
    else:
        prob = base
    take = rng.random(len(real)) < np.minimum(prob, 0.95)
    rows = real[take]
    vals = _values(rng, ft, s.good[rows])
    m = len(rows)
    if ft in ("first_action", "accept"):
        delay = vals.astype(np.int64)
    else:
        delay = np.minimum(lognormal(rng, 40_000, 1.0, m), 2 * HOUR_MS).astype(np.int64)
    return rows, vals, s.its[rows] + delay


def _values(rng: np.random.Generator, ft: str, g: np.ndarray) -> np.ndarray:
    """feedback_value per type; `g`: the interaction was a good answer."""
    m = len(g)
    if ft == "thumbs":
        up = rng.random(m) < np.where(g, 0.82, 0.25)
        return np.where(up, 1.0, -1.0)
    if ft == "rating":
        return np.clip(np.round(rng.normal(np.where(g, 4.2, 2.3), 0.9)), 1, 5)
    if ft == "comment":
        return np.zeros(m)
    if ft == "edit":
        return np.round(np.where(g, rng.beta(1.2, 6, m), rng.beta(2.5, 2.5, m)), 3)
    if ft == "first_action":
        return np.round(lognormal(rng, 3500, 0.8, m))
    if ft == "accept":
        return np.round(lognormal(rng, 8000, 0.9, m))
    return np.ones(m)


def _poisoning(day: Day, tasks: Tasks, s: Served, real: np.ndarray) -> dict[str, np.ndarray] | None:
    """The poisoning burst, on the poison day and the next, or None."""
    plan, rng = day.plan, day.rng
    if not plan.poison_day <= day.d <= plan.poison_day + 1:
        return None
    targets = real[
        (s.iwf[real] == SC) & (tasks.ten[s.all_ti[real]] == POISON_TENANT) & (s.iprompt[real] == 1)
    ]
    if not len(targets):
        return None
    poisoned = max(10, 2 * len(targets))
    rows = rng.choice(targets, poisoned)
    fts = day.day0 + 13 * HOUR_MS + rng.integers(0, 8 * HOUR_MS, poisoned)
    fts = np.maximum(fts, s.its[rows] + MIN_MS)
    fts = np.minimum(fts, plan.end_ms - MIN_MS)
    return {
        "row": rows,
        "ft": np.full(poisoned, FEEDBACK_TYPES.index("thumbs"), np.int8),
        "val": np.full(poisoned, -1.0),
        "_ts": fts.astype(np.int64),
        "doc": np.full(poisoned, -1, np.int32),
        "text_i": np.full(poisoned, -1),
        "poison": np.ones(poisoned, bool),
    }
