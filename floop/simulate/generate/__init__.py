"""One simulated day as numpy columns per event type, step by step (tasks, interactions,
feedback, outcomes, evaluations, labels) from one seeded stream; and the version registry."""

from __future__ import annotations

import numpy as np

from floop.simulate.generate.evaluations import draw_evaluations
from floop.simulate.generate.feedback import draw_feedback
from floop.simulate.generate.interactions import draw_interactions
from floop.simulate.generate.labels import draw_labels
from floop.simulate.generate.outcomes import draw_outcomes
from floop.simulate.generate.stats import record_day
from floop.simulate.generate.tasks import Day, draw_tasks
from floop.simulate.generate.versions import versions
from floop.simulate.plan import Plan

__all__ = ["gen_day", "versions"]


def gen_day(plan: Plan, d: int) -> dict[str, dict[str, np.ndarray]]:
    """Day d's events per type; adds the day's numbers to `plan.stats`. The steps share one
    random stream, so their order here is part of the output."""
    day = Day(plan, d, np.random.default_rng([plan.seed, d, 1]))
    tasks = draw_tasks(day)
    served = draw_interactions(day, tasks)
    feedback = draw_feedback(day, tasks, served)
    outcomes = draw_outcomes(day, tasks, served)
    evaluations = draw_evaluations(day, tasks, served)
    labels = draw_labels(day, tasks, served)
    record_day(day, tasks, served, outcomes, feedback, evaluations, labels)
    return {
        "interaction": served.columns,
        "feedback": feedback,
        "outcome": outcomes.columns,
        "evaluation": evaluations,
        "label": labels.columns,
    }
