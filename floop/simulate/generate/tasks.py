"""The day-state every generation step shares, and the day's tasks: workflow, tenant, user,
start time, number of interactions, prompt and model, experiment arm and hidden success."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from floop.simulate.plan import Plan
from floop.simulate.world import (
    BANDITS,
    EXPERIMENTS,
    HOUR_MS,
    RAMP_EFFECT,
    RAMP_PROMPT,
    RAMP_WORKFLOW,
    ROLLOUT_EFFECT,
    SC,
    TENANT_ADJ,
    TENANTS,
    WORKFLOWS,
    bandit_var0,
)

# Share of tasks by hour of day (UTC).
HOURS = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1.0])


@dataclass
class Day:
    """One simulated day being generated. Every step draws from the one stream `rng` in a fixed
    order: that order is part of the output, so steps run in the order of `gen_day`."""

    plan: Plan
    d: int
    rng: np.random.Generator

    @property
    def day0(self) -> int:
        return self.plan.day_ms(self.d)


@dataclass
class Tasks:
    """Per task (index = task counter of the day)."""

    k: int
    wf: np.ndarray
    ten: np.ndarray
    user: np.ndarray  # index within the tenant's users
    guser: np.ndarray  # index into the plan's user pool
    has_user: np.ndarray
    t0: np.ndarray
    n_int: np.ndarray  # interactions (1 + retries)
    prompt: np.ndarray
    model: np.ndarray
    exp: np.ndarray  # experiment index or -1
    var: np.ndarray  # 0 control, 1 treatment, -1 none
    success: np.ndarray


def prompt_for(plan: Plan, wf: np.ndarray, d: int) -> np.ndarray:
    """The live prompt per workflow on day d (support_chat switches at the rollout)."""
    sc = 1 if d >= plan.rollout_day else 0
    return np.choose(wf, [sc, 3, 5]).astype(np.int8)


def model_for(plan: Plan, wf: np.ndarray, d: int) -> np.ndarray:
    """The live model per workflow on day d (code_assist upgrades on the model day)."""
    code = 2 if d >= plan.model_day else 1
    return np.choose(wf, [0, code, 3]).astype(np.int8)


def _enrol_bandits(
    wf: np.ndarray, exp: np.ndarray, var: np.ndarray, var_draw: np.ndarray
) -> np.ndarray:
    """Put the bandit workflows' tasks that no experiment took on an arm, evenly (no draw of
    its own: the stream of every other step stays as it was); their effect on the outcome."""
    effect = np.zeros(len(wf))
    for b, (_bandit_id, bwf, arms) in enumerate(BANDITS):
        on = (wf == bwf) & (exp < 0)
        arm = np.minimum((var_draw * len(arms)).astype(np.int8), len(arms) - 1)
        exp[on] = len(EXPERIMENTS) + b
        var[on] = bandit_var0(b) + arm[on]
        effect = effect + np.where(on, np.array(list(arms.values()))[arm], 0.0)
    return effect


def _ramped(plan: Plan, wf: np.ndarray, t0: np.ndarray, d: int) -> np.ndarray:
    """The ramping workflow's tasks the ramped prompt serves on day d: its share of them, picked
    by the millisecond of the start time (no draw of its own, so every other step's stream stays
    as it was; independent of the experiment and arm draws)."""
    return (wf == RAMP_WORKFLOW) & ((t0 % 1000) < 1000 * plan.ramp_share(d))


def draw_tasks(day: Day) -> Tasks:
    plan, d, rng = day.plan, day.d, day.rng
    k = plan.tasks_per_day
    wf = rng.choice(3, k, p=[w.share for w in WORKFLOWS]).astype(np.int8)
    ten = rng.choice(len(TENANTS), k, p=[t[2] for t in TENANTS]).astype(np.int8)
    user = (rng.random(k) * plan.pool[ten]).astype(np.int64)
    guser = plan.pool_offset[ten] + user
    has_user = rng.random(k) >= 0.06
    hour = rng.choice(24, k, p=HOURS / HOURS.sum())
    # the day squeezed into 23:15 so that retries and shadows stay inside it
    t0 = day.day0 + ((hour * HOUR_MS + rng.integers(0, HOUR_MS, k)) * (93 / 96)).astype(np.int64)
    r = rng.random(k)
    n_int = 1 + (r < 0.20) + (r < 0.06)

    p = np.array([w.base for w in WORKFLOWS])[wf] + TENANT_ADJ[ten]
    p = p + np.where((wf == SC) & (d >= plan.rollout_day), ROLLOUT_EFFECT, 0.0)
    exp = np.full(k, -1, np.int8)
    var = np.full(k, -1, np.int8)
    var_draw = rng.random(k)
    enrol_draw = rng.random(k)
    taken = np.zeros(len(WORKFLOWS))  # share of each workflow's traffic already enrolled
    for e, (exp_id, ewf, effect, share) in enumerate(EXPERIMENTS):
        lo, hi = plan.exp_days[exp_id]
        first = taken[ewf]
        taken[ewf] += share
        if lo <= d <= hi:
            on = (wf == ewf) & (enrol_draw >= first) & (enrol_draw < first + share)
            exp[on] = e
            var[on] = (var_draw[on] < 0.5).astype(np.int8)  # 1 = treatment
            p = p + np.where(on & (var == 1), effect, 0.0)
    p = p + _enrol_bandits(wf, exp, var, var_draw)
    prompt = prompt_for(plan, wf, d)
    ramped = _ramped(plan, wf, t0, d)
    prompt[ramped] = RAMP_PROMPT
    p = p + np.where(ramped, RAMP_EFFECT, 0.0)
    success = rng.random(k) < p
    return Tasks(
        k=k,
        wf=wf,
        ten=ten,
        user=user,
        guser=guser,
        has_user=has_user,
        t0=t0,
        n_int=n_int,
        prompt=prompt,
        model=model_for(plan, wf, d),
        exp=exp,
        var=var,
        success=success,
    )
