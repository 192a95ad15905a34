"""The simulated world: tenants, workflows, prompts, models, experiments, feedback, evaluators,
labelers and taxonomy. Names of feedback types, roles and consent scopes are checked against the
contract's enums at start (see `check_world`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from floop.contract import load_contract

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000

# tenant id, country, share of traffic, timestamp style ("ms" = ...123Z, "s" = no fraction,
# "+09:00" = local time with an explicit offset)
TENANTS: list[tuple[str, str, float, str]] = [
    ("acme", "DE", 0.30, "ms"),
    ("globex", "US", 0.24, "ms"),
    ("initech", "FR", 0.14, "ms"),
    ("umbrella", "GB", 0.12, "ms"),
    ("hooli", "JP", 0.11, "+09:00"),
    ("tyrell", "BR", 0.09, "s"),
]
GOLDEN_TENANT = "internal-eval"  # golden-task runs belong to the evaluation harness
TENANT_NAMES = [t[0] for t in TENANTS] + [GOLDEN_TENANT]
GOLDEN_TEN = len(TENANTS)
TENANT_ADJ = np.array([0.02, -0.01, 0.0, -0.03, 0.03, -0.02])  # outcome rate offsets
COUNTRIES = [t[1] for t in TENANTS] + ["NL", "IN", "CA", "ES", "IT", "MX"]
POISON_TENANT = 3  # umbrella

CONSENT_SETS: list[list[str]] = [
    [],
    ["analytics"],
    ["analytics", "evaluation"],
    ["analytics", "evaluation", "training"],
    ["evaluation"],
    ["analytics", "training"],
]
CONSENT_P = [0.08, 0.22, 0.25, 0.35, 0.04, 0.06]

# Actor roles of people giving feedback (per user, stable); anonymous ones carry no actor_id.
ROLES = ["end_user", "power_user", "admin", "internal", "sme", "anonymous"]
ROLE_P = [0.80, 0.11, 0.02, 0.03, 0.01, 0.03]


@dataclass(frozen=True)
class Workflow:
    name: str
    prefix: str  # of task ids
    share: float
    primary: str  # primary outcome metric
    base: float  # base rate of the primary outcome
    retrieval: bool
    doc_prefix: str
    in_tokens: float
    out_tokens: float


WORKFLOWS = [
    Workflow("support_chat", "ticket", 0.45, "resolved", 0.60, True, "kb-", 900, 180),
    Workflow("code_assist", "pr", 0.30, "tests_passed", 0.55, False, "", 2200, 400),
    Workflow("rag_qa", "q", 0.25, "answer_accepted", 0.58, True, "doc-", 1600, 260),
]
SC, CODE, RAG = 0, 1, 2
# Secondary outcome metrics (not primary for any workflow): csat 1-5 on support_chat,
# converted 0/1 on rag_qa.
METRICS = [w.primary for w in WORKFLOWS] + ["csat", "converted"]
CSAT, CONVERTED = 3, 4

PROMPTS = [
    "support-v7", "support-v8", "support-v9", "code-v3", "code-v4", "rag-v2", "rag-v3", "code-v5",
]
SHADOW_PROMPT = {SC: 2, CODE: 4, RAG: 6}  # candidate prompts served in shadow
MODELS = [
    ("gpt-x", "2026-10-01"),
    ("llama-y", "3.1"),
    ("llama-y", "3.2"),
    ("gpt-x-mini", "2026-09-15"),
]
ROLLOUT_EFFECT = 0.08  # support-v7 -> support-v8, on `resolved`
EXPERIMENTS = [
    # id, workflow, planted effect on the primary outcome (treatment - control), enrolled share
    ("exp-rag-rerank", RAG, 0.10, 1.0),
    ("exp-code-context", CODE, 0.0, 0.5),
    # planted for the gates (issue 12): each takes the next slice of its workflow's traffic
    ("exp-support-tone", SC, 0.0, 0.5),
    ("exp-code-fastpath", CODE, 0.04, 0.3),
]
# exp-support-tone loses this share of its treatment exposures (the interactions arrive
# without experiment_id/variant): a sample-ratio mismatch the gates must call unhealthy.
SRM_EXPERIMENT, SRM_LOST_SHARE = "exp-support-tone", 0.2
# exp-code-fastpath's treatment lifts the outcome but is this much slower: a p95-latency
# guardrail breach the gates must call rollback.
GUARDRAIL_EXPERIMENT, GUARDRAIL_LATENCY_FACTOR = "exp-code-fastpath", 1.6
# The rag_qa shadow prompt (rag-v3) loses every second good answer on the same inputs as
# production: a shadow the gates must not promote. The other shadows are as good as production.
WORSE_SHADOW_PROMPT = 6
# A prompt ramped in a workflow outside any experiment (issue 12): code_assist's code-v5 takes
# RAMP_STEP more of the workflow's tasks each day of the last RAMP_DAYS days (10%, 20%, ... of
# every arm and of the unenrolled tasks alike) and passes fewer tests: a ramp the gates must
# roll back against its incumbent code-v3. Its golden runs score like code-v3's (offline looks
# fine; the online outcome does not).
RAMP_PROMPT, RAMP_WORKFLOW, RAMP_EFFECT = 7, CODE, -0.15
RAMP_DAYS, RAMP_STEP = 7, 0.10
# A bandit (multi-armed experiment whose weights `floop allocate` sets): id, workflow, arms with
# their planted effect on the primary outcome. It takes the workflow's tasks that no experiment
# above enrolled, split evenly between the arms (the simulator does not follow the router's
# weights, so every arm keeps enough traffic to be measured). Its tasks carry experiment index
# len(EXPERIMENTS) + b and variant index bandit_var0(b) + arm.
BANDITS = [
    (
        "bandit-support-style",
        SC,
        {"style-terse": -0.08, "style-neutral": 0.0, "style-friendly": 0.10},
    ),
]
EXPERIMENT_IDS = [e[0] for e in EXPERIMENTS] + [b[0] for b in BANDITS]
# variant names by variant index: control and treatment, then every bandit's arms in order
VARIANTS = ["control", "treatment"] + [arm for _b, _w, arms in BANDITS for arm in arms]


def bandit_var0(b: int) -> int:
    """Variant index of bandit b's first arm."""
    return 2 + sum(len(arms) for _b, _w, arms in BANDITS[:b])


# Feedback per type: probability per workflow (sc, code, rag) for an interaction, before the
# success modulation in `generate.feedback`. `retry` is not drawn: every retried interaction
# has one.
FEEDBACK_P: dict[str, tuple[float, float, float]] = {
    "thumbs": (0.30, 0.10, 0.22),
    "rating": (0.12, 0.03, 0.08),
    "comment": (0.07, 0.03, 0.05),
    "edit": (0.02, 0.30, 0.04),
    "copy": (0.10, 0.25, 0.15),
    "retry": (0.0, 0.0, 0.0),
    "abandon": (0.04, 0.05, 0.08),
    "escalation": (0.12, 0.0, 0.01),
    "first_action": (0.20, 0.25, 0.15),
    "accept": (0.03, 0.35, 0.02),
    "doc_click": (0.18, 0.0, 0.35),
}

COMMENTS = [
    "the answer ignored my question",
    "great, that fixed it",
    "sources were outdated",
    "too long, just give me the steps",
    "wrong refund policy",
    "code did not compile",
    "helpful, thanks",
    "missing the second part of the question",
    "cited the wrong document",
    "tone was a bit rude",
]

# evaluator id, evaluator version, eval_metric
EVALUATORS = [
    ("groundedness", "3", "groundedness"),
    ("citation_checker", "1.4", "citation_coverage"),
    ("policy_scanner", "2026.10", "safety_violation"),
    ("unit_tests", "1", "unit_tests_pass_rate"),
    ("llm_judge", "judge-2", "rubric_helpfulness"),
]
GOLDEN_TASKS = 10  # per workflow and prompt version, every night
# A golden run passes when its score reaches the bar of its evaluator (unit_tests: share of
# tests passed, 0-1; llm_judge: rubric 1-5). Derived from the score: no extra random draw.
GOLDEN_PASS_BAR = {"unit_tests": 0.7, "llm_judge": 4.0}

LABELERS = [("sme-1", 0.95), ("sme-2", 0.80), ("sme-3", 0.60)]
LABEL_VALUES = ["correct", "partially_correct", "incorrect"]
TAXONOMY = {"1": ["correct", "incorrect"], "2": ["correct", "partially_correct", "incorrect"]}
LABEL_SHARE = 0.03


def lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    """N draws of a lognormal given by its median (the world's durations and sizes)."""
    return rng.lognormal(np.log(median), sigma, n)


def check_world() -> None:
    """Fail early when the world names something the contract does not know."""
    enums = load_contract().enums
    problems = []
    if set(FEEDBACK_P) != set(enums["feedback_type"]):
        problems.append(f"feedback types {sorted(FEEDBACK_P)} != {enums['feedback_type']}")
    if set(ROLES) != set(enums["actor_role"]):
        problems.append(f"roles {ROLES} != {enums['actor_role']}")
    if not {s for cs in CONSENT_SETS for s in cs} <= set(enums["consent_scope"]):
        problems.append("consent sets outside the contract's consent_scope")
    if problems:
        raise RuntimeError("simulator out of date with the contract: " + "; ".join(problems))
