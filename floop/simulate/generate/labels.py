"""The day's labels: experts of known accuracy label a share of the answers against a hidden
true label, in the taxonomy in use when they label (taxonomy 2 adds partially_correct)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from floop.simulate.generate.interactions import Served
from floop.simulate.generate.tasks import Day, Tasks
from floop.simulate.world import DAY_MS, HOUR_MS, LABEL_SHARE, LABELERS

# Taxonomy 2: per true label (correct, partially_correct, incorrect) the two wrong ones.
_OTHERS3 = np.array([[1, 2], [0, 2], [0, 1]])


@dataclass
class Labels:
    columns: dict[str, np.ndarray]
    labeler: np.ndarray  # per label event: labeler index
    right: np.ndarray  # per label event: the labeler was right
    rows: np.ndarray  # the labelled interactions (also those whose labels land too late)
    true3: np.ndarray  # their hidden true label, taxonomy 2


def draw_labels(day: Day, tasks: Tasks, s: Served) -> Labels:
    rng = day.rng
    lab_rows = s.last_idx[rng.random(tasks.k) < LABEL_SHARE]
    m = len(lab_rows)
    true3 = np.where(
        s.good[lab_rows], np.where(rng.random(m) < 0.85, 0, 1), np.where(rng.random(m) < 0.7, 2, 1)
    ).astype(np.int8)
    lab_ts = s.its[lab_rows] + rng.uniform(0.5, 4, m).astype(np.float64) * DAY_MS
    change = day.plan.day_ms(day.plan.taxonomy_day)
    picks = rng.random((len(LABELERS), m)) < 0.7
    picks[0] |= ~picks.any(axis=0)
    parts = []
    for li, (_, acc) in enumerate(LABELERS):
        sel = np.flatnonzero(picks[li])
        l_ts = lab_ts[sel] + rng.integers(0, HOUR_MS, len(sel))
        tx = np.where(l_ts >= change, 2, 1).astype(np.int8)  # the taxonomy in use then
        val, right = _judge(rng, true3[sel], tx, acc)
        parts.append(
            {
                "sel": sel,
                "labeler": np.full(len(sel), li, np.int8),
                "val": val,
                "right": right,
                "_ts": l_ts,
                "taxo": tx,
            }
        )
    lab = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    lkeep = lab["_ts"] < day.plan.end_ms
    lab = {key: v[lkeep] for key, v in lab.items()}
    lrows = lab_rows[lab["sel"]]
    n_l = len(lrows)
    columns = {
        "_d": np.full(n_l, day.d, np.int32),
        "_j": np.arange(n_l, dtype=np.int64),
        "_ts": lab["_ts"].astype(np.int64),
        "_ten": tasks.ten[s.all_ti[lrows]],
        "ij": lrows.astype(np.int64),
        "labeler": lab["labeler"],
        "taxo": lab["taxo"],
        "val": lab["val"],
    }
    return Labels(columns, lab["labeler"], lab["right"], lab_rows, true3)


def _judge(
    rng: np.random.Generator, t: np.ndarray, tx: np.ndarray, acc: float
) -> tuple[np.ndarray, np.ndarray]:
    """A labeler's values (and whether right) for true labels `t` under taxonomies `tx`."""
    # taxonomy 1 has no partially_correct: it counts as incorrect there
    t_tax = np.where((tx == 1) & (t == 1), 2, t).astype(np.int8)
    right = rng.random(len(t)) < acc
    alt = rng.random(len(t))
    wrong2 = np.where(t_tax == 0, 2, 0)  # taxonomy 1: the one other category
    others3 = _OTHERS3[t_tax, (alt < 0.5).astype(int)]
    wrong = np.where(tx == 1, wrong2, others3)
    return np.where(right, t_tax, wrong).astype(np.int8), right
