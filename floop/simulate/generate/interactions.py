"""The day's interactions: one per try of a task (retries follow after a gap), then shadow
runs of a candidate prompt after the last real one of some tasks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from floop.simulate.generate.tasks import Day, Tasks
from floop.simulate.world import (
    EXPERIMENTS,
    GUARDRAIL_EXPERIMENT,
    GUARDRAIL_LATENCY_FACTOR,
    MIN_MS,
    SHADOW_PROMPT,
    SRM_EXPERIMENT,
    SRM_LOST_SHARE,
    WORKFLOWS,
    lognormal,
)

EXPERIMENT_INDEX = {e[0]: i for i, e in enumerate(EXPERIMENTS)}


@dataclass
class Served:
    """Per interaction (index = interaction counter of the day: real ones, then shadows), what
    the later steps need; `columns` are the interaction events themselves."""

    columns: dict[str, np.ndarray]
    all_ti: np.ndarray  # task of each interaction
    shadow: np.ndarray
    its: np.ndarray  # timestamp
    iwf: np.ndarray
    good: np.ndarray  # the task succeeded and this is the answer that counts
    is_last: np.ndarray  # per real interaction: the last of its task
    last_idx: np.ndarray  # the last real interaction of each task, in task order
    ts_int: np.ndarray  # timestamps of the real interactions
    retr: np.ndarray  # the workflow retrieves documents
    nk: np.ndarray  # documents retrieved
    cited: np.ndarray
    iprompt: np.ndarray
    docs: dict[str, np.ndarray]  # d0..d4: the retrieved document numbers


def draw_interactions(day: Day, tasks: Tasks) -> Served:
    rng = day.rng
    k, n_int = tasks.k, tasks.n_int
    ti = np.repeat(np.arange(k), n_int)
    starts = np.concatenate([[0], np.cumsum(n_int)[:-1]])
    seq = np.arange(len(ti)) - np.repeat(starts, n_int)
    gaps = np.minimum(lognormal(rng, 45_000, 0.7, len(ti)), 20 * MIN_MS).astype(np.int64)
    gaps[seq == 0] = 0
    cs = np.cumsum(gaps)
    ts_int = tasks.t0[ti] + cs - cs[np.repeat(starts, n_int)]
    is_last = seq == (n_int[ti] - 1)

    sh_task = np.flatnonzero(rng.random(k) < 0.05)
    last_idx = np.flatnonzero(is_last)  # one per task, in task order
    sh_ts = ts_int[last_idx[sh_task]] + rng.integers(200, 3000, len(sh_task))
    all_ti = np.concatenate([ti, sh_task])
    n_i = len(all_ti)
    shadow = np.concatenate([np.zeros(len(ti), bool), np.ones(len(sh_task), bool)])
    its = np.concatenate([ts_int, sh_ts])
    iwf = tasks.wf[all_ti]
    good = np.concatenate([tasks.success[ti] & is_last, tasks.success[sh_task]])
    retr = np.array([w.retrieval for w in WORKFLOWS])[iwf]
    nk = np.where(retr, rng.integers(3, 6, n_i), 0).astype(np.int8)
    anchor = (300 * rng.random(n_i) ** 2.5).astype(np.int32)  # popular documents first
    stride = rng.integers(1, 8, n_i).astype(np.int32)
    docs = {f"d{j}": (anchor + j * stride) % 400 for j in range(5)}
    cited = np.minimum(nk, rng.integers(0, 3, n_i)).astype(np.int8)
    iprompt = np.where(
        shadow,
        np.choose(iwf, [SHADOW_PROMPT[0], SHADOW_PROMPT[1], SHADOW_PROMPT[2]]),
        tasks.prompt[all_ti],
    )
    served = Served(
        columns={},
        all_ti=all_ti,
        shadow=shadow,
        its=its,
        iwf=iwf,
        good=good,
        is_last=is_last,
        last_idx=last_idx,
        ts_int=ts_int,
        retr=retr,
        nk=nk,
        cited=cited,
        iprompt=iprompt,
        docs=docs,
    )
    served.columns = _columns(day, tasks, served)
    return served


def _columns(day: Day, tasks: Tasks, s: Served) -> dict[str, np.ndarray]:
    """Tokens, latencies, flags and ids of the interactions (draws after the documents')."""
    rng, d = day.rng, day.d
    n_i = len(s.all_ti)
    ti = s.all_ti
    out_tok = lognormal(rng, 1.0, 0.55, n_i) * np.array([w.out_tokens for w in WORKFLOWS])[s.iwf]
    in_tok = lognormal(rng, 1.0, 0.6, n_i) * np.array([w.in_tokens for w in WORKFLOWS])[s.iwf]
    in_tok = np.where(rng.random(n_i) < 0.05, -1, in_tok.astype(np.int64))
    srv = lognormal(rng, 1.0, 0.35, n_i) * (600 + 3.0 * out_tok)
    tail = rng.random(n_i) < 0.03  # long tail: timeouts, cold caches
    srv = np.where(tail, srv * rng.uniform(4, 12, n_i), srv)
    exp, var = _arms(tasks, s)
    slow = (exp == EXPERIMENT_INDEX[GUARDRAIL_EXPERIMENT]) & (var == 1)
    srv = np.where(slow, srv * GUARDRAIL_LATENCY_FACTOR, srv)
    cli = srv + lognormal(rng, 120, 0.7, n_i)
    cli = np.where(rng.random(n_i) < 0.12, np.nan, cli)
    sh_flag = np.where(s.shadow, 1, np.where(rng.random(n_i) < 0.5, 0, -1)).astype(np.int8)
    redact = np.where(rng.random(n_i) < 0.03, rng.integers(1, 3, n_i), 0).astype(np.int8)
    return {
        "_d": np.full(n_i, d, np.int32),
        "_j": np.arange(n_i, dtype=np.int64),
        "_ts": s.its.astype(np.int64),
        "_ten": tasks.ten[ti],
        "task_j": ti.astype(np.int64),
        "wf": s.iwf,
        "user": np.where(tasks.has_user[ti], tasks.user[ti], -1),
        "ctry": day.plan.user_country[tasks.guser[ti]].astype(np.int8),
        "consent": day.plan.user_consent[tasks.guser[ti]].astype(np.int8),
        "redact": redact,
        "prompt": s.iprompt.astype(np.int8),
        "model": tasks.model[ti],
        "nk": s.nk,
        "cited": s.cited,
        "kb_day": np.full(n_i, d - d % 7, np.int32),
        "in_tok": in_tok,
        "out_tok": out_tok.astype(np.int64),
        "srv": np.round(srv, 1),
        "cli": np.round(cli, 1),
        "exp": exp,
        "var": var,
        "shadow": sh_flag,
        "ihash": _input_hashes(rng, s),
        **s.docs,
    }


def _arms(tasks: Tasks, s: Served) -> tuple[np.ndarray, np.ndarray]:
    """Experiment and arm per interaction: shadows serve no arm, and the SRM experiment's
    treatment loses SRM_LOST_SHARE of its exposures (chosen by start time, no random draw)."""
    ti = s.all_ti
    exp = np.where(s.shadow, -1, tasks.exp[ti]).astype(np.int8)
    var = np.where(s.shadow, -1, tasks.var[ti]).astype(np.int8)
    lost = (
        (exp == EXPERIMENT_INDEX[SRM_EXPERIMENT]) & (var == 1)
        & (tasks.t0[ti] % 1000 < 1000 * SRM_LOST_SHARE)
    )
    return np.where(lost, -1, exp).astype(np.int8), np.where(lost, -1, var).astype(np.int8)


def _input_hashes(rng: np.random.Generator, s: Served) -> np.ndarray:
    """One input hash per interaction; a shadow answers the same input as the last real
    interaction of its task, so it carries that one's hash (what pairs them)."""
    ihash = rng.integers(0, 2**62, len(s.all_ti), dtype=np.int64)
    return np.where(s.shadow, ihash[s.last_idx[s.all_ti]], ihash)
