"""The day's outcomes: the primary one per task (often late, sometimes corrected, some never
reported or still pending when the window ends), then the secondary ones (csat, converted)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from floop.simulate.generate.interactions import Served
from floop.simulate.generate.tasks import Day, Tasks
from floop.simulate.world import CONVERTED, CSAT, DAY_MS, HOUR_MS, RAG, SC, lognormal


@dataclass
class Outcomes:
    """The outcome events, and per task what happened to its primary outcome (for the truth)."""

    columns: dict[str, np.ndarray]
    delay: np.ndarray  # from the last interaction to the primary outcome
    reported: np.ndarray
    emitted: np.ndarray  # reported within the window
    corrected: np.ndarray


def draw_outcomes(day: Day, tasks: Tasks, s: Served) -> Outcomes:
    rng, end_ms, k, wf = day.rng, day.plan.end_ms, tasks.k, tasks.wf
    t_last = s.ts_int[s.last_idx]
    u = rng.random(k)
    delay = np.where(
        u < 0.55,
        lognormal(rng, 2 * HOUR_MS, 0.8, k),
        np.where(u < 0.88, rng.uniform(1, 3, k) * DAY_MS, rng.uniform(3, 7, k) * DAY_MS),
    ).astype(np.int64)
    ots = t_last + delay
    reported = rng.random(k) < 0.92
    emitted = reported & (ots < end_ms)
    corr_delay = rng.uniform(6 * HOUR_MS, 48 * HOUR_MS, k).astype(np.int64)
    corrected = emitted & (rng.random(k) < 0.06) & (ots + corr_delay < end_ms)
    tasks_o = np.flatnonzero(emitted)
    tasks_c = np.flatnonzero(corrected)
    sv = tasks.success.astype(np.float64)
    # a corrected task first reports the wrong value, the later event reports the true one
    o_task = [tasks_o, tasks_c]
    o_ts = [ots[tasks_o], ots[tasks_c] + corr_delay[tasks_c]]
    o_val = [np.where(corrected[tasks_o], 1 - sv[tasks_o], sv[tasks_o]), sv[tasks_c]]
    o_metric = [wf[tasks_o].astype(np.int8), wf[tasks_c].astype(np.int8)]
    success = tasks.success
    csat_t = np.flatnonzero((wf == SC) & (rng.random(k) < 0.35))
    csat_ts = t_last[csat_t] + rng.uniform(1, 2, len(csat_t)) * DAY_MS
    csat_v = np.clip(np.round(rng.normal(np.where(success[csat_t], 4.3, 2.4), 0.8)), 1, 5)
    conv_t = np.flatnonzero((wf == RAG) & (rng.random(k) < 0.20))
    conv_ts = t_last[conv_t] + rng.uniform(2, 5, len(conv_t)) * DAY_MS
    conv_v = (rng.random(len(conv_t)) < np.where(success[conv_t], 0.35, 0.10)).astype(float)
    o_task += [csat_t, conv_t]
    o_ts += [csat_ts, conv_ts]
    o_val += [csat_v, conv_v]
    o_metric += [np.full(len(csat_t), CSAT, np.int8), np.full(len(conv_t), CONVERTED, np.int8)]
    otask = np.concatenate(o_task)
    ots_all = np.concatenate(o_ts).astype(np.int64)
    okeep = ots_all < end_ms
    otask = otask[okeep]
    n_o = len(otask)
    columns = {
        "_d": np.full(n_o, day.d, np.int32),
        "_j": np.arange(n_o, dtype=np.int64),
        "_ts": ots_all[okeep],
        "_ten": tasks.ten[otask],
        "task_j": otask.astype(np.int64),
        "wf": wf[otask],
        "user": np.where(tasks.has_user[otask], tasks.user[otask], -1),
        "metric": np.concatenate(o_metric)[okeep],
        "val": np.concatenate(o_val)[okeep],
    }
    return Outcomes(columns, delay, reported, emitted, corrected)
