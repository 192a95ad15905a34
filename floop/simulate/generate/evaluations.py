"""The day's evaluations: online checks of interactions (shadows always get groundedness and
a judge score), then the nightly golden-task runs, which belong to no interaction."""

from __future__ import annotations

import numpy as np

from floop.simulate.generate.interactions import Served
from floop.simulate.generate.tasks import Day, Tasks, model_for, prompt_for
from floop.simulate.world import (
    CODE,
    EVALUATORS,
    GOLDEN_PASS_BAR,
    GOLDEN_TASKS,
    GOLDEN_TEN,
    HOUR_MS,
    MIN_MS,
    RAMP_PROMPT,
    RAMP_WORKFLOW,
    SC,
    WORSE_SHADOW_PROMPT,
)

# Online checks: evaluator index (into EVALUATORS), probability per workflow (sc, code, rag).
ONLINE = [
    (0, (0.25, 0.0, 0.25)),
    (1, (0.0, 0.0, 0.15)),
    (2, (0.10, 0.10, 0.10)),
    (3, (0.0, 0.5, 0.0)),
]
JUDGE = 4  # the LLM judge: shadows online, golden runs of non-code workflows
UNIT_TESTS = 3


def draw_evaluations(day: Day, tasks: Tasks, s: Served) -> dict[str, np.ndarray]:
    ev = _online(day, s)
    n_on = len(ev["row"])
    g = _golden(day)
    n_g = len(g["task"])
    evaluations = {
        "_d": np.full(n_on + n_g, day.d, np.int32),
        "_j": np.arange(n_on + n_g, dtype=np.int64),
        "_ts": np.concatenate([ev["_ts"], day.day0 + 2 * HOUR_MS + np.arange(n_g) * 1000]),
        "_ten": np.concatenate(
            [tasks.ten[s.all_ti[ev["row"]]], np.full(n_g, GOLDEN_TEN, np.int8)]
        ).astype(np.int8),
        "ij": np.concatenate([ev["row"], np.full(n_g, -1)]).astype(np.int64),
        "gj": np.concatenate([np.full(n_on, -1), np.arange(n_g)]).astype(np.int64),
        "golden": np.concatenate([np.full(n_on, -1), g["task"]]).astype(np.int32),
        "wf": np.concatenate([s.iwf[ev["row"]], g["wf"]]).astype(np.int8),
        "ev": np.concatenate([ev["ev"], g["ev"]]).astype(np.int8),
        "val": np.concatenate([ev["val"], g["val"]]).astype(np.float64),
        "passed": np.concatenate([ev["passed"], g["passed"]]).astype(np.int8),
        "gprompt": np.concatenate([np.full(n_on, -1), g["prompt"]]).astype(np.int8),
        "gmodel": np.concatenate([np.full(n_on, -1), g["model"]]).astype(np.int8),
    }
    keep = evaluations["_ts"] < day.plan.end_ms
    return {key: v[keep] for key, v in evaluations.items()}


def _online(day: Day, s: Served) -> dict[str, np.ndarray]:
    rng = day.rng
    n_i = len(s.all_ti)
    parts = []
    for ev_i, probs in ONLINE:
        prob = np.array(probs)[s.iwf]
        if ev_i == 0:  # every shadow and its production twin: they pair on input_hash
            prob = np.where(_shadowed(s) & s.retr, 1.0, prob)
        rows = np.flatnonzero(rng.random(n_i) < prob)
        g = s.good[rows] & ~_worse_shadow(s)[rows]
        m = len(rows)
        if ev_i == 0:
            val = np.round(np.where(g, rng.beta(8, 2, m), rng.beta(3, 3, m)), 3)
            passed = val >= 0.7
        elif ev_i == 1:
            val = np.round(np.where(s.cited[rows] > 0, rng.beta(6, 2, m), rng.beta(1, 5, m)), 3)
            passed = val >= 0.5
        elif ev_i == 2:
            val = (rng.random(m) < 0.01).astype(float)
            passed = val == 0
        else:
            val = np.where(g, 1.0, np.round(rng.uniform(0, 0.9, m), 2))
            passed = val == 1.0
        parts.append(
            {
                "row": rows,
                "ev": np.full(m, ev_i, np.int8),
                "val": val,
                "passed": passed.astype(np.int8),
                "_ts": s.its[rows] + rng.integers(5_000, 10 * MIN_MS, m),
            }
        )
    rows = np.flatnonzero(s.shadow)
    m = len(rows)
    parts.append(
        {
            "row": rows,
            "ev": np.full(m, JUDGE, np.int8),
            "val": np.round(np.clip(rng.normal(3.8, 0.7, m), 1, 5), 2),
            "passed": np.full(m, -1, np.int8),
            "_ts": s.its[rows] + rng.integers(5_000, 10 * MIN_MS, m),
        }
    )
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _shadowed(s: Served) -> np.ndarray:
    """Shadow interactions and the production interactions they shadow."""
    twin = np.zeros(len(s.all_ti), bool)
    twin[s.last_idx[s.all_ti[s.shadow]]] = True
    return s.shadow | twin


def _worse_shadow(s: Served) -> np.ndarray:
    """Answers of the planted worse shadow that lose their quality: every second task's
    (by task number, no random draw)."""
    return s.shadow & (s.iprompt == WORSE_SHADOW_PROMPT) & (s.all_ti % 2 == 0)


def _golden(day: Day) -> dict[str, np.ndarray]:
    """Golden runs: each workflow's live prompt, plus support-v8 in the 3 days before its
    rollout and the ramped prompt while it ramps."""
    plan, d, rng = day.plan, day.d, day.rng
    g_prompt = [int(prompt_for(plan, np.array([w]), d)[0]) for w in range(3)]
    g_wf = [0, 1, 2]
    if plan.rollout_day - 3 <= d < plan.rollout_day:
        g_prompt.append(1)
        g_wf.append(SC)
    if plan.ramp_share(d) > 0:
        g_prompt.append(RAMP_PROMPT)
        g_wf.append(RAMP_WORKFLOW)
    g_prompt_a = np.repeat(np.array(g_prompt, np.int8), GOLDEN_TASKS)
    g_wf_a = np.repeat(np.array(g_wf, np.int8), GOLDEN_TASKS)
    g_task = np.tile(np.arange(GOLDEN_TASKS), len(g_prompt))
    n_g = len(g_task)
    g_ev = np.where(g_wf_a == CODE, UNIT_TESTS, JUDGE).astype(np.int8)
    g_quality = np.where(g_prompt_a == 1, 0.4, 0.0)  # the candidate does better offline
    g_val = np.where(
        g_ev == UNIT_TESTS,
        np.round(np.clip(rng.normal(0.7 + 0.1 * g_quality, 0.15, n_g), 0, 1), 2),
        np.round(np.clip(rng.normal(3.6 + g_quality, 0.5, n_g), 1, 5), 2),
    )
    bar = np.where(
        g_ev == UNIT_TESTS,
        GOLDEN_PASS_BAR[EVALUATORS[UNIT_TESTS][0]],
        GOLDEN_PASS_BAR[EVALUATORS[JUDGE][0]],
    )
    return {
        "passed": (g_val >= bar).astype(np.int8),
        "prompt": g_prompt_a,
        "wf": g_wf_a,
        "task": g_task,
        "model": model_for(plan, g_wf_a, d),
        "ev": g_ev,
        "val": g_val,
    }
