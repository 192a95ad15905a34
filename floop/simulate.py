"""`floop simulate`: realistic AI traffic with planted truths, written as landing files.

Generation is vectorised (numpy with a seeded Generator per simulated day, then DuckDB SQL to
shape the JSON lines and Parquet rows): there is no Python loop per event, so 10M interactions
stay a matter of minutes. The output is deterministic for a seed: ids are counters, every
random draw comes from `np.random.default_rng([seed, day, stream])`, files are written in a
fixed row order, gzip headers carry mtime 0 and Parquet files carry no timestamps.

Layout, by the day a file landed: `<out>/<day>/<day>-day.<ext>` (or `-am`/`-pm` halves when
days are big; Parquet as one file per event type, `<day>-pm-interaction.parquet`) holds the
events that happened and landed that day; `<out>/<day>/late-from-<first day>.<ext>` holds
events of earlier days that landed that day (late feedback, delayed or corrected outcomes,
labels, an offline collector, resent duplicates), shuffled. An ingest that reads files in path
order thus sees events out of order, late and sometimes twice. Days are generated one by one
and written in chunks of days (about CHUNK_EVENTS events), which bounds memory.

What was planted (rollout, experiments, poisoning, late/corrected outcomes, labeler accuracy,
personal data, bad lines, duplicates, schema drift, counts per file) is written to a truth
JSON file beside the landing folder, never inside it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from floop.contract import load_contract
from floop.landing import file_format

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000

# --------------------------------------------------------------------------------------------
# The simulated world. Names of feedback types, roles, consent scopes and version kinds are
# checked against the contract's enums at start (see `_check_world`).

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

PROMPTS = ["support-v7", "support-v8", "support-v9", "code-v3", "code-v4", "rag-v2", "rag-v3"]
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
]

# Feedback per type: probability per workflow (sc, code, rag) for an interaction, before the
# success modulation in `_feedback`. `retry` is not drawn: every retried interaction has one.
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
PII_KINDS = ["email", "phone", "card", "ipv4", "ipv6"]
PII_TEMPLATES = {
    "email": "please mail me at {}",
    "phone": "call me back on {}",
    "card": "you charged my card {} twice",
    "ipv4": "login blocked from {}",
    "ipv6": "our gateway {} cannot reach the api",
}
PII_PER_DAY = 4

# evaluator id, evaluator version, eval_metric
EVALUATORS = [
    ("groundedness", "3", "groundedness"),
    ("citation_checker", "1.4", "citation_coverage"),
    ("policy_scanner", "2026.10", "safety_violation"),
    ("unit_tests", "1", "unit_tests_pass_rate"),
    ("llm_judge", "judge-2", "rubric_helpfulness"),
]
GOLDEN_TASKS = 10  # per workflow and prompt version, every night

LABELERS = [("sme-1", 0.95), ("sme-2", 0.80), ("sme-3", 0.60)]
LABEL_VALUES = ["correct", "partially_correct", "incorrect"]
TAXONOMY = {"1": ["correct", "incorrect"], "2": ["correct", "partially_correct", "incorrect"]}
LABEL_SHARE = 0.03

# Bad lines per reason code: SQL edits of a valid line L of the type (its event id already
# prefixed with "bad-"), each breaking exactly one rule of the contract, the one named.
_TS = r'"timestamp":"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9:]{5})(:[0-9]{2})[^"]*"'
_NUM = "[-0-9.e+]+"
BAD_EDITS: dict[str, dict[str, str]] = {
    "interaction": {
        "invalid_json": "left(L, (length(L) * 2) // 3)",
        "not_an_object": "'[' || L || ']'",
        "unsupported_schema_version": """regexp_replace(L, '"schema_version":"[^"]*"',
            '"schema_version":"2"')""",
        "unknown_event_type": """replace(L, '"event_type":"interaction"',
            '"event_type":"impression"')""",
        "missing_required": """regexp_replace(L, ',"output_tokens":[0-9]+', '')""",
        "wrong_type": """regexp_replace(L, '"output_tokens":[0-9]+', '"output_tokens":"many"')""",
        "bad_enum": r"""regexp_replace(L, '"consent_scope":\[[^\]]*\]',
            '"consent_scope":["analytics","marketing"]')""",
        "out_of_range": f"""regexp_replace(L, '"server_latency_ms":{_NUM}',
            '"server_latency_ms":-40.5')""",
        "bad_timestamp": f"""regexp_replace(L, '{_TS}', '"timestamp":"\\1-\\2-\\3 \\4\\5"')""",
        "future_timestamp": f"""regexp_replace(L, '{_TS}',
            '"timestamp":"2099-\\2-15T\\4\\5Z"')""",
    },
    "feedback": {
        "invalid_json": "left(L, (length(L) * 2) // 3)",
        "not_an_object": "'[' || L || ']'",
        "unsupported_schema_version": """regexp_replace(L, '"schema_version":"[^"]*"',
            '"schema_version":"3.1"')""",
        "unknown_event_type": """replace(L, '"event_type":"feedback"',
            '"event_type":"reaction"')""",
        "missing_required": """regexp_replace(L, ',"actor_role":"[a-z_]+"', '')""",
        "wrong_type": f"""regexp_replace(L, '"feedback_value":{_NUM}',
            '"feedback_value":"positive"')""",
        "bad_enum": """regexp_replace(L, '"actor_role":"[a-z_]+"', '"actor_role":"robot"')""",
        "out_of_range": f"""regexp_replace(regexp_replace(L, '"feedback_type":"[a-z_]+"',
            '"feedback_type":"rating"'), '"feedback_value":{_NUM}', '"feedback_value":9')""",
        "bad_timestamp": f"""regexp_replace(L, '{_TS}', '"timestamp":"\\3/\\2/\\1 \\4"')""",
        "future_timestamp": f"""regexp_replace(L, '{_TS}',
            '"timestamp":"2099-\\2-15T\\4\\5Z"')""",
    },
}
# Schema drift: fields the contract does not name, from a day on (see Plan.drift_day).
DRIFT_FIELDS = {"interaction": "client_platform", "feedback": "app_version"}

# Main files of a landing day: two halves (am, pm) at scale, one file (day) when small.
FORMATS_MAIN = [("jsonl", "ndjson.gz"), ("jsonl.gz", "parquet"), ("ndjson", "jsonl")]
FORMATS_DAY = ["jsonl", "ndjson.gz", "parquet", "jsonl.gz", "ndjson", "jsonl"]
FORMATS_LATE = ["jsonl", "ndjson.gz", "ndjson", "jsonl.gz"]
PARTS = ["am", "pm", "late", "day"]
LATE, DAY = 2, 3
CHUNK_EVENTS = 400_000  # days are generated one by one, written in chunks of about this many
EVENTS_PER_TASK = 4.6


# --------------------------------------------------------------------------------------------
# Plan: the window, the days things happen on, files and truth accumulated along the way


@dataclass
class FileSpec:
    landing_day: int
    origin_day: int
    part: str
    fmt: str

    def rel(self, start: date, event_type: str | None = None) -> str:
        ld = (start + timedelta(days=self.landing_day)).isoformat()
        od = (start + timedelta(days=self.origin_day)).isoformat()
        stem = f"late-from-{od}" if self.part == "late" else f"{ld}-{self.part}"
        if self.fmt == "parquet":
            return f"{ld}/{stem}-{event_type}.parquet"
        return f"{ld}/{stem}.{self.fmt}"


@dataclass
class Plan:
    out: Path
    days: int
    tasks_per_day: int
    seed: int
    start: date
    bad_rate: float
    duplicate_rate: float
    files: list[FileSpec] = field(default_factory=list)
    file_index: dict[tuple[int, int, int], int] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    bad_counter: int = 0

    def __post_init__(self) -> None:
        n = self.days
        self.start_ms = int(
            datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC).timestamp()
            * 1000
        )
        self.end_ms = self.start_ms + n * DAY_MS
        self.rollout_day = max(1, n // 2)
        self.model_day = max(1, n // 3)
        self.poison_day = min(max(self.rollout_day, n - 2), self.rollout_day + 3)
        self.drift_day = (2 * n) // 3
        self.taxonomy_day = (3 * n) // 5
        self.exp_days = {
            "exp-rag-rerank": (min(2, n - 1), max(min(2, n - 1), n - 3)),
            "exp-code-context": (0, n - 1),
        }
        pool_rng = np.random.default_rng([self.seed, 1_000_000])
        shares = np.array([t[2] for t in TENANTS])
        self.pool = np.maximum(10, (shares * self.tasks_per_day * n / 6).astype(np.int64))
        self.pool_offset = np.concatenate([[0], np.cumsum(self.pool)[:-1]])
        total = int(self.pool.sum())
        owner = np.repeat(np.arange(len(TENANTS)), self.pool)
        # Stable per-user traits: consent, country (5% outside the tenant's), feedback role.
        self.user_consent = pool_rng.choice(len(CONSENT_SETS), total, p=CONSENT_P)
        abroad = pool_rng.random(total) < 0.05
        other = pool_rng.integers(len(TENANTS), len(COUNTRIES), total)
        self.user_country = np.where(abroad, other, owner)
        self.user_role = pool_rng.choice(len(ROLES), total, p=ROLE_P)

    def day_ms(self, d: int) -> int:
        return self.start_ms + d * DAY_MS

    def day_iso(self, d: int) -> str:
        return (self.start + timedelta(days=d)).isoformat()

    @property
    def split_days(self) -> bool:
        """Two main files a day (am, pm) only when days are big enough to be worth it."""
        return self.tasks_per_day * EVENTS_PER_TASK > 10_000

    @property
    def days_per_chunk(self) -> int:
        per_day = max(1.0, self.tasks_per_day * EVENTS_PER_TASK)
        return max(1, min(self.days, int(CHUNK_EVENTS // per_day)))

    def file_id(self, landing_day: int, origin_day: int, part: int) -> int:
        """Main files are keyed by landing day; late files by landing day and the first
        origin day of the chunk that wrote them."""
        key = (landing_day, origin_day if part == LATE else -1, part)
        if key not in self.file_index:
            if part == LATE:
                fmt = FORMATS_LATE[(landing_day + origin_day) % 4]
            elif part == DAY:
                fmt = FORMATS_DAY[landing_day % 6]
            else:
                fmt = FORMATS_MAIN[landing_day % 3][part]
            self.file_index[key] = len(self.files)
            self.files.append(FileSpec(landing_day, key[1], PARTS[part], fmt))
        return self.file_index[key]

    def is_json(self) -> np.ndarray:
        return np.array([f.fmt != "parquet" for f in self.files], dtype=bool)


def _check_world() -> None:
    c = load_contract()
    enums = c.enums
    problems = []
    if set(FEEDBACK_P) != set(enums["feedback_type"]):
        problems.append(f"feedback types {sorted(FEEDBACK_P)} != {enums['feedback_type']}")
    if set(ROLES) != set(enums["actor_role"]):
        problems.append(f"roles {ROLES} != {enums['actor_role']}")
    if not {s for cs in CONSENT_SETS for s in cs} <= set(enums["consent_scope"]):
        problems.append("consent sets outside the contract's consent_scope")
    if any(set(edits) != set(c.reason_codes) for edits in BAD_EDITS.values()):
        problems.append("bad-line kinds do not cover the contract's reason codes")
    if problems:
        raise RuntimeError("simulator out of date with the contract: " + "; ".join(problems))


# --------------------------------------------------------------------------------------------
# One simulated day, as numpy columns per event type


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, n)


def _prompt_for(plan: Plan, wf: np.ndarray, d: int) -> np.ndarray:
    sc = 1 if d >= plan.rollout_day else 0
    return np.choose(wf, [sc, 3, 5]).astype(np.int8)


def _model_for(plan: Plan, wf: np.ndarray, d: int) -> np.ndarray:
    code = 2 if d >= plan.model_day else 1
    return np.choose(wf, [0, code, 3]).astype(np.int8)


def _gen_day(plan: Plan, d: int) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng([plan.seed, d, 1])
    k = plan.tasks_per_day
    day0 = plan.day_ms(d)

    # Tasks ------------------------------------------------------------------------------
    wf = rng.choice(3, k, p=[w.share for w in WORKFLOWS]).astype(np.int8)
    ten = rng.choice(len(TENANTS), k, p=[t[2] for t in TENANTS]).astype(np.int8)
    user = (rng.random(k) * plan.pool[ten]).astype(np.int64)
    guser = plan.pool_offset[ten] + user  # index into the user pool
    has_user = rng.random(k) >= 0.06
    hours = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1.0])
    hour = rng.choice(24, k, p=hours / hours.sum())
    # the day squeezed into 23:15 so that retries and shadows stay inside it
    t0 = day0 + ((hour * HOUR_MS + rng.integers(0, HOUR_MS, k)) * (93 / 96)).astype(np.int64)
    r = rng.random(k)
    n_int = 1 + (r < 0.20) + (r < 0.06)

    prompt = _prompt_for(plan, wf, d)
    model = _model_for(plan, wf, d)
    p = np.array([w.base for w in WORKFLOWS])[wf] + TENANT_ADJ[ten]
    p = p + np.where((wf == SC) & (d >= plan.rollout_day), ROLLOUT_EFFECT, 0.0)
    exp = np.full(k, -1, np.int8)
    var = np.full(k, -1, np.int8)
    var_draw = rng.random(k)
    enrol_draw = rng.random(k)
    for e, (exp_id, ewf, effect, share) in enumerate(EXPERIMENTS):
        lo, hi = plan.exp_days[exp_id]
        if lo <= d <= hi:
            on = (wf == ewf) & (enrol_draw < share)
            exp[on] = e
            var[on] = (var_draw[on] < 0.5).astype(np.int8)  # 1 = treatment
            p = p + np.where(on & (var == 1), effect, 0.0)
    success = rng.random(k) < p

    # Interactions (real ones, then shadows) ---------------------------------------------
    ti = np.repeat(np.arange(k), n_int)
    starts = np.concatenate([[0], np.cumsum(n_int)[:-1]])
    seq = np.arange(len(ti)) - np.repeat(starts, n_int)
    gaps = np.minimum(_lognormal(rng, 45_000, 0.7, len(ti)), 20 * MIN_MS).astype(np.int64)
    gaps[seq == 0] = 0
    cs = np.cumsum(gaps)
    ts_int = t0[ti] + cs - cs[np.repeat(starts, n_int)]
    is_last = seq == (n_int[ti] - 1)

    sh_task = np.flatnonzero(rng.random(k) < 0.05)
    last_idx = np.flatnonzero(is_last)  # one per task, in task order
    sh_ts = ts_int[last_idx[sh_task]] + rng.integers(200, 3000, len(sh_task))
    all_ti = np.concatenate([ti, sh_task])
    n_i = len(all_ti)
    shadow = np.concatenate([np.zeros(len(ti), bool), np.ones(len(sh_task), bool)])
    its = np.concatenate([ts_int, sh_ts])
    iwf = wf[all_ti]
    good = np.concatenate([success[ti] & is_last, success[sh_task]])
    retr = np.array([w.retrieval for w in WORKFLOWS])[iwf]
    nk = np.where(retr, rng.integers(3, 6, n_i), 0).astype(np.int8)
    anchor = (300 * rng.random(n_i) ** 2.5).astype(np.int32)  # popular documents first
    stride = rng.integers(1, 8, n_i).astype(np.int32)
    docs = {f"d{j}": (anchor + j * stride) % 400 for j in range(5)}
    cited = np.minimum(nk, rng.integers(0, 3, n_i)).astype(np.int8)
    out_tok = _lognormal(rng, 1.0, 0.55, n_i) * np.array([w.out_tokens for w in WORKFLOWS])[iwf]
    in_tok = _lognormal(rng, 1.0, 0.6, n_i) * np.array([w.in_tokens for w in WORKFLOWS])[iwf]
    in_tok = np.where(rng.random(n_i) < 0.05, -1, in_tok.astype(np.int64))
    srv = _lognormal(rng, 1.0, 0.35, n_i) * (600 + 3.0 * out_tok)
    tail = rng.random(n_i) < 0.03  # long tail: timeouts, cold caches
    srv = np.where(tail, srv * rng.uniform(4, 12, n_i), srv)
    cli = srv + _lognormal(rng, 120, 0.7, n_i)
    cli = np.where(rng.random(n_i) < 0.12, np.nan, cli)
    sh_flag = np.where(shadow, 1, np.where(rng.random(n_i) < 0.5, 0, -1)).astype(np.int8)
    iprompt = np.where(
        shadow,
        np.choose(iwf, [SHADOW_PROMPT[0], SHADOW_PROMPT[1], SHADOW_PROMPT[2]]),
        prompt[all_ti],
    )
    redact = np.where(rng.random(n_i) < 0.03, rng.integers(1, 3, n_i), 0).astype(np.int8)
    interactions = {
        "_d": np.full(n_i, d, np.int32),
        "_j": np.arange(n_i, dtype=np.int64),
        "_ts": its.astype(np.int64),
        "_ten": ten[all_ti],
        "task_j": all_ti.astype(np.int64),
        "wf": iwf,
        "user": np.where(has_user[all_ti], user[all_ti], -1),
        "ctry": plan.user_country[guser[all_ti]].astype(np.int8),
        "consent": plan.user_consent[guser[all_ti]].astype(np.int8),
        "redact": redact,
        "prompt": iprompt.astype(np.int8),
        "model": model[all_ti],
        "nk": nk,
        "cited": cited,
        "kb_day": np.full(n_i, d - d % 7, np.int32),
        "in_tok": in_tok,
        "out_tok": out_tok.astype(np.int64),
        "srv": np.round(srv, 1),
        "cli": np.round(cli, 1),
        "exp": np.where(shadow, -1, exp[all_ti]).astype(np.int8),  # shadows serve no arm
        "var": np.where(shadow, -1, var[all_ti]).astype(np.int8),
        "shadow": sh_flag,
        "ihash": rng.integers(0, 2**62, n_i, dtype=np.int64),
        **docs,
    }

    # Feedback ----------------------------------------------------------------------------
    real = np.flatnonzero(~shadow)
    fb_parts: list[dict[str, np.ndarray]] = []
    ftypes = list(FEEDBACK_P)
    for ft_i, ft in enumerate(ftypes):
        if ft == "retry":
            rows = real[~is_last[real]] if len(real) else real
            # the retry is the next interaction's request: just before it
            fts = its[rows + 1] - rng.integers(200, 2000, len(rows))
            vals = np.ones(len(rows))
        else:
            base = np.array(FEEDBACK_P[ft])[iwf[real]]
            g = good[real]
            last = is_last[real]
            if ft in ("abandon", "escalation"):
                prob = np.where(last, np.where(g, 0.3, 2.5), 0.0) * base
            elif ft in ("copy", "accept"):
                prob = base * np.where(g, 1.3, 0.5)
            elif ft == "doc_click":
                prob = np.where(nk[real] > 0, base, 0.0)
            else:
                prob = base
            take = rng.random(len(real)) < np.minimum(prob, 0.95)
            rows = real[take]
            g = good[rows]
            m = len(rows)
            if ft == "thumbs":
                up = rng.random(m) < np.where(g, 0.82, 0.25)
                vals = np.where(up, 1.0, -1.0)
            elif ft == "rating":
                vals = np.clip(np.round(rng.normal(np.where(g, 4.2, 2.3), 0.9)), 1, 5)
            elif ft == "comment":
                vals = np.zeros(m)
            elif ft == "edit":
                vals = np.round(np.where(g, rng.beta(1.2, 6, m), rng.beta(2.5, 2.5, m)), 3)
            elif ft == "first_action":
                vals = np.round(_lognormal(rng, 3500, 0.8, m))
            elif ft == "accept":
                vals = np.round(_lognormal(rng, 8000, 0.9, m))
            else:
                vals = np.ones(m)
            if ft in ("first_action", "accept"):
                delay = vals.astype(np.int64)
            else:
                delay = np.minimum(_lognormal(rng, 40_000, 1.0, m), 2 * HOUR_MS).astype(np.int64)
            fts = its[rows] + delay
        m = len(rows)
        doc = np.full(m, -1, np.int32)
        if ft == "doc_click" and m:
            rank = np.minimum((rng.random(m) ** 2 * nk[rows]).astype(np.int64), nk[rows] - 1)
            stack = np.stack([docs[f"d{j}"][rows] for j in range(5)])
            doc = stack[rank, np.arange(m)].astype(np.int32)
        text_i = np.where(ft == "comment", rng.integers(0, len(COMMENTS), m), -1)
        fb_parts.append(
            {
                "row": rows,
                "ft": np.full(m, ft_i, np.int8),
                "val": vals.astype(np.float64),
                "_ts": fts.astype(np.int64),
                "doc": doc,
                "text_i": text_i,
                "poison": np.zeros(m, bool),
            }
        )
    # Poisoning: a burst of anonymous thumbs-down from one tenant on the new support prompt.
    poisoned = 0
    if plan.poison_day <= d <= plan.poison_day + 1:
        targets = real[
            (iwf[real] == SC) & (ten[all_ti[real]] == POISON_TENANT) & (iprompt[real] == 1)
        ]
        if len(targets):
            poisoned = max(10, 2 * len(targets))
            rows = rng.choice(targets, poisoned)
            fts = day0 + 13 * HOUR_MS + rng.integers(0, 8 * HOUR_MS, poisoned)
            fts = np.maximum(fts, its[rows] + MIN_MS)
            fts = np.minimum(fts, plan.end_ms - MIN_MS)
            fb_parts.append(
                {
                    "row": rows,
                    "ft": np.full(poisoned, ftypes.index("thumbs"), np.int8),
                    "val": np.full(poisoned, -1.0),
                    "_ts": fts.astype(np.int64),
                    "doc": np.full(poisoned, -1, np.int32),
                    "text_i": np.full(poisoned, -1),
                    "poison": np.ones(poisoned, bool),
                }
            )
    fb = {key: np.concatenate([part[key] for part in fb_parts]) for key in fb_parts[0]}
    keep = fb["_ts"] < plan.end_ms  # feedback after the window has not happened yet
    fb = {key: v[keep] for key, v in fb.items()}
    rows = fb["row"]
    n_f = len(rows)
    frole = plan.user_role[guser[all_ti[rows]]].astype(np.int8)
    frole = np.where(fb["poison"], ROLES.index("anonymous"), frole).astype(np.int8)
    feedback = {
        "_d": np.full(n_f, d, np.int32),
        "_j": np.arange(n_f, dtype=np.int64),
        "_ts": fb["_ts"],
        "_ten": ten[all_ti[rows]],
        "ij": rows.astype(np.int64),
        "wf": iwf[rows],
        "user": np.where(has_user[all_ti[rows]] & ~fb["poison"], user[all_ti[rows]], -1),
        "ft": fb["ft"],
        "val": fb["val"],
        "doc": fb["doc"],
        "role": frole,
        "text_i": fb["text_i"],
        "poison": fb["poison"],
    }

    # Outcomes: primary (often late, sometimes corrected), secondary --------------------------
    t_last = ts_int[last_idx]
    u = rng.random(k)
    delay = np.where(
        u < 0.55,
        _lognormal(rng, 2 * HOUR_MS, 0.8, k),
        np.where(u < 0.88, rng.uniform(1, 3, k) * DAY_MS, rng.uniform(3, 7, k) * DAY_MS),
    ).astype(np.int64)
    ots = t_last + delay
    reported = rng.random(k) < 0.92
    emitted = reported & (ots < plan.end_ms)
    corr_delay = rng.uniform(6 * HOUR_MS, 48 * HOUR_MS, k).astype(np.int64)
    corrected = emitted & (rng.random(k) < 0.06) & (ots + corr_delay < plan.end_ms)
    tasks_o = np.flatnonzero(emitted)
    tasks_c = np.flatnonzero(corrected)
    sv = success.astype(np.float64)
    # a corrected task first reports the wrong value, the later event reports the true one
    o_task = [tasks_o, tasks_c]
    o_ts = [ots[tasks_o], ots[tasks_c] + corr_delay[tasks_c]]
    o_val = [np.where(corrected[tasks_o], 1 - sv[tasks_o], sv[tasks_o]), sv[tasks_c]]
    o_metric = [wf[tasks_o].astype(np.int8), wf[tasks_c].astype(np.int8)]
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
    okeep = ots_all < plan.end_ms
    otask = otask[okeep]
    n_o = len(otask)
    outcomes = {
        "_d": np.full(n_o, d, np.int32),
        "_j": np.arange(n_o, dtype=np.int64),
        "_ts": ots_all[okeep],
        "_ten": ten[otask],
        "task_j": otask.astype(np.int64),
        "wf": wf[otask],
        "user": np.where(has_user[otask], user[otask], -1),
        "metric": np.concatenate(o_metric)[okeep],
        "val": np.concatenate(o_val)[okeep],
    }

    # Evaluations: online checks, shadows, nightly golden-task runs (no interaction) ---------
    ev_parts = []
    specs = [  # evaluator index, probability per workflow
        (0, (0.25, 0.0, 0.25)),
        (1, (0.0, 0.0, 0.15)),
        (2, (0.10, 0.10, 0.10)),
        (3, (0.0, 0.5, 0.0)),
    ]
    for ev_i, probs in specs:
        prob = np.array(probs)[iwf]
        if ev_i == 0:
            prob = np.where(shadow & retr, 1.0, prob)
        rows = np.flatnonzero(rng.random(n_i) < prob)
        g = good[rows]
        m = len(rows)
        if ev_i == 0:
            val = np.round(np.where(g, rng.beta(8, 2, m), rng.beta(3, 3, m)), 3)
            passed = val >= 0.7
        elif ev_i == 1:
            val = np.round(np.where(cited[rows] > 0, rng.beta(6, 2, m), rng.beta(1, 5, m)), 3)
            passed = val >= 0.5
        elif ev_i == 2:
            val = (rng.random(m) < 0.01).astype(float)
            passed = val == 0
        else:
            val = np.where(g, 1.0, np.round(rng.uniform(0, 0.9, m), 2))
            passed = val == 1.0
        ev_parts.append(
            {
                "row": rows,
                "ev": np.full(m, ev_i, np.int8),
                "val": val,
                "passed": passed.astype(np.int8),
                "_ts": its[rows] + rng.integers(5_000, 10 * MIN_MS, m),
            }
        )
    rows = np.flatnonzero(shadow)
    m = len(rows)
    ev_parts.append(
        {
            "row": rows,
            "ev": np.full(m, 4, np.int8),
            "val": np.round(np.clip(rng.normal(3.8, 0.7, m), 1, 5), 2),
            "passed": np.full(m, -1, np.int8),
            "_ts": its[rows] + rng.integers(5_000, 10 * MIN_MS, m),
        }
    )
    ev = {key: np.concatenate([part[key] for part in ev_parts]) for key in ev_parts[0]}
    n_on = len(ev["row"])
    # golden: each workflow's live prompt, plus support-v8 in the 3 days before its rollout
    g_prompt = [int(_prompt_for(plan, np.array([w]), d)[0]) for w in range(3)]
    g_wf = [0, 1, 2]
    if plan.rollout_day - 3 <= d < plan.rollout_day:
        g_prompt.append(1)
        g_wf.append(SC)
    g_prompt_a = np.repeat(np.array(g_prompt, np.int8), GOLDEN_TASKS)
    g_wf_a = np.repeat(np.array(g_wf, np.int8), GOLDEN_TASKS)
    g_task = np.tile(np.arange(GOLDEN_TASKS), len(g_prompt))
    n_g = len(g_task)
    g_model = _model_for(plan, g_wf_a, d)
    g_ev = np.where(g_wf_a == CODE, 3, 4).astype(np.int8)
    g_quality = np.where(g_prompt_a == 1, 0.4, 0.0)  # the candidate does better offline
    g_val = np.where(
        g_ev == 3,
        np.round(np.clip(rng.normal(0.7 + 0.1 * g_quality, 0.15, n_g), 0, 1), 2),
        np.round(np.clip(rng.normal(3.6 + g_quality, 0.5, n_g), 1, 5), 2),
    )
    evaluations = {
        "_d": np.full(n_on + n_g, d, np.int32),
        "_j": np.arange(n_on + n_g, dtype=np.int64),
        "_ts": np.concatenate([ev["_ts"], day0 + 2 * HOUR_MS + np.arange(n_g) * 1000]),
        "_ten": np.concatenate([ten[all_ti[ev["row"]]], np.full(n_g, GOLDEN_TEN, np.int8)]).astype(
            np.int8
        ),
        "ij": np.concatenate([ev["row"], np.full(n_g, -1)]).astype(np.int64),
        "gj": np.concatenate([np.full(n_on, -1), np.arange(n_g)]).astype(np.int64),
        "golden": np.concatenate([np.full(n_on, -1), g_task]).astype(np.int32),
        "wf": np.concatenate([iwf[ev["row"]], g_wf_a]).astype(np.int8),
        "ev": np.concatenate([ev["ev"], g_ev]).astype(np.int8),
        "val": np.concatenate([ev["val"], g_val]).astype(np.float64),
        "passed": np.concatenate([ev["passed"], np.full(n_g, -1, np.int8)]).astype(np.int8),
        "gprompt": np.concatenate([np.full(n_on, -1), g_prompt_a]).astype(np.int8),
        "gmodel": np.concatenate([np.full(n_on, -1), g_model]).astype(np.int8),
    }
    keep = evaluations["_ts"] < plan.end_ms
    evaluations = {key: v[keep] for key, v in evaluations.items()}

    # Labels: experts of known accuracy against a hidden true label ------------------------
    lab_rows = last_idx[rng.random(k) < LABEL_SHARE]
    m = len(lab_rows)
    true3 = np.where(
        good[lab_rows], np.where(rng.random(m) < 0.85, 0, 1), np.where(rng.random(m) < 0.7, 2, 1)
    ).astype(np.int8)
    lab_ts = its[lab_rows] + rng.uniform(0.5, 4, m).astype(np.float64) * DAY_MS
    change = plan.day_ms(plan.taxonomy_day)
    l_parts = []
    picks = rng.random((len(LABELERS), m)) < 0.7
    picks[0] |= ~picks.any(axis=0)
    for li, (_, acc) in enumerate(LABELERS):
        sel = np.flatnonzero(picks[li])
        t = true3[sel]
        l_ts = lab_ts[sel] + rng.integers(0, HOUR_MS, len(sel))
        tx = np.where(l_ts >= change, 2, 1).astype(np.int8)  # the taxonomy in use then
        # taxonomy 1 has no partially_correct: it counts as incorrect there
        t_tax = np.where((tx == 1) & (t == 1), 2, t).astype(np.int8)
        right = rng.random(len(sel)) < acc
        alt = rng.random(len(sel))
        wrong2 = np.where(t_tax == 0, 2, 0)  # taxonomy 1: the one other category
        others3 = np.array([[1, 2], [0, 2], [0, 1]])[t_tax, (alt < 0.5).astype(int)]
        wrong = np.where(tx == 1, wrong2, others3)
        val = np.where(right, t_tax, wrong).astype(np.int8)
        l_parts.append(
            {
                "sel": sel,
                "labeler": np.full(len(sel), li, np.int8),
                "val": val,
                "right": right,
                "_ts": l_ts,
                "taxo": tx,
            }
        )
    lab = {key: np.concatenate([part[key] for part in l_parts]) for key in l_parts[0]}
    lkeep = lab["_ts"] < plan.end_ms
    lab = {key: v[lkeep] for key, v in lab.items()}
    lrows = lab_rows[lab["sel"]]
    n_l = len(lrows)
    labels = {
        "_d": np.full(n_l, d, np.int32),
        "_j": np.arange(n_l, dtype=np.int64),
        "_ts": lab["_ts"].astype(np.int64),
        "_ten": ten[all_ti[lrows]],
        "ij": lrows.astype(np.int64),
        "labeler": lab["labeler"],
        "taxo": lab["taxo"],
        "val": lab["val"],
    }

    # Stats for the truth file (numpy sums; no loop over events) ----------------------------
    st = plan.stats
    fin = np.flatnonzero(emitted)  # tasks whose primary outcome is known (latest = true)
    for w in range(3):
        for pr in np.unique(prompt[fin][wf[fin] == w]):
            sel = fin[(wf[fin] == w) & (prompt[fin] == pr)]
            key = f"{WORKFLOWS[w].name}|{PROMPTS[pr]}|{plan.day_iso(d)}"
            st.setdefault("daily", {})[key] = [int(len(sel)), int(success[sel].sum())]
    for e, (exp_id, *_rest) in enumerate(EXPERIMENTS):
        for v in (0, 1):
            sel = fin[(exp[fin] == e) & (var[fin] == v)]
            acc = st.setdefault("exp", {}).setdefault(f"{exp_id}|{v}", [0, 0])
            acc[0] += int(len(sel))
            acc[1] += int(success[sel].sum())
    _add(st, "tasks", k)
    _add(st, "tasks_by_n_interactions", {str(i): int((n_int == i).sum()) for i in (1, 2, 3)})
    _add(st, "shadow", int(shadow.sum()))
    _add(st, "outcome_pending", int((reported & ~emitted).sum()))
    _add(st, "outcome_unreported", int((~reported).sum()))
    _add(st, "outcome_emitted_primary", int(emitted.sum()))
    _add(st, "outcome_corrections", int(corrected.sum()))
    _add(st, "outcome_late_over_1d", int((emitted & (delay > DAY_MS)).sum()))
    _add(st, "outcome_late_over_3d", int((emitted & (delay > 3 * DAY_MS)).sum()))
    _add(st, "poison_thumbs_down", int(feedback["poison"].sum()))
    _add(st, "golden_runs", int((evaluations["golden"] >= 0).sum()))
    _add(st, "retry_feedback", int((feedback["ft"] == ftypes.index("retry")).sum()))
    for li, (name, _acc) in enumerate(LABELERS):
        sel = lab["labeler"] == li
        _add(st, f"labels|{name}", [int(sel.sum()), int(lab["right"][sel].sum())])
    _add(
        st,
        "labels_by_taxonomy",
        {"1": int((labels["taxo"] == 1).sum()), "2": int((labels["taxo"] == 2).sum())},
    )
    plan.stats.setdefault("hidden_labels", []).append(
        (np.full(m, d, np.int32), lab_rows.astype(np.int64), true3)
    )

    return {
        "interaction": interactions,
        "feedback": feedback,
        "outcome": outcomes,
        "evaluation": evaluations,
        "label": labels,
    }


def _add(st: dict[str, Any], key: str, value: Any) -> None:
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


def _versions(plan: Plan) -> list[dict[str, Any]]:
    """The version registry (a few dozen events; built in Python, it is not per event)."""
    at = plan.day_ms
    out: list[dict[str, Any]] = []

    def add(
        ts: int,
        kind: str,
        vid: str,
        parent: str | None = None,
        manifest: str | None = None,
        desc: str | None = None,
    ) -> None:
        out.append(
            {
                "_ts": ts,
                "version_kind": kind,
                "version_id": vid,
                "parent_version_id": parent,
                "dataset_manifest_id": manifest,
                "description": desc,
            }
        )

    n = plan.days
    add(
        at(0) + 5 * MIN_MS, "prompt", "support-v7", "support-v6", None, "cite refund policy section"
    )
    add(at(0) + 6 * MIN_MS, "prompt", "code-v3", "code-v2", None, "repo-aware system prompt")
    add(at(0) + 7 * MIN_MS, "prompt", "rag-v2", "rag-v1", None, "answer only from sources")
    add(at(0) + 8 * MIN_MS, "prompt", "support-v9", "support-v8", None, "shadow candidate")
    add(at(0) + 9 * MIN_MS, "prompt", "code-v4", "code-v3", None, "shadow candidate")
    add(at(0) + 10 * MIN_MS, "prompt", "rag-v3", "rag-v2", None, "shadow candidate")
    add(at(0) + 11 * MIN_MS, "model", "2026-10-01", None, None, "gpt-x")
    add(at(0) + 12 * MIN_MS, "model", "3.1", None, None, "llama-y")
    add(at(0) + 13 * MIN_MS, "model", "2026-09-15", None, None, "gpt-x-mini")
    add(at(0) + 14 * MIN_MS, "retrieval_config", "rc-1", None, None, "dense top-5")
    add(at(0) + 15 * MIN_MS, "reranker", "rr-1", None, None, "cross-encoder base")
    prev = None
    for d in range(0, n, 7):
        vid = f"kb-{plan.day_iso(d)}"
        add(at(d) + 1 * MIN_MS, "knowledge", vid, prev, None, "weekly index snapshot")
        prev = vid
    add(
        at(max(0, plan.rollout_day - 1)) + 16 * HOUR_MS,
        "prompt",
        "support-v8",
        "support-v7",
        None,
        "shorter answers, ask for the order number",
    )
    add(at(plan.model_day) + 30 * MIN_MS, "model", "3.2", "3.1", None, "llama-y upgrade")
    add(
        at(min(n - 1, plan.model_day + 1)) + 9 * HOUR_MS,
        "retrieval_config",
        "rc-2",
        "rc-1",
        None,
        "hybrid bm25 + dense",
    )
    lo, _hi = plan.exp_days["exp-rag-rerank"]
    add(
        at(lo) + 20 * MIN_MS,
        "reranker",
        "rr-2",
        "rr-1",
        "dm-rag-doc-clicks-v1",
        "reranker tuned on doc clicks (exp-rag-rerank treatment)",
    )
    add(
        at(max(0, plan.rollout_day - 2)) + 10 * HOUR_MS,
        "finetune",
        "ft-support-2026-11",
        "2026-10-01",
        "dm-support-feedback-v1",
        "SFT on accepted support answers",
    )
    add(
        at(min(n - 1, plan.drift_day)) + 11 * HOUR_MS,
        "finetune",
        "ft-code-orphan",
        "3.1",
        "dm-unknown-0000",
        "tuned on a dataset nobody exported",
    )
    for j, v in enumerate(out):
        v["_j"] = j
    return out


# --------------------------------------------------------------------------------------------
# SQL: typed views per event type, JSON lines, Parquet rows


def _lst(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _ts_sql() -> str:
    whens = []
    for i, (_n, _c, _s, style) in enumerate(TENANTS):
        if style == "s":
            whens.append(f"when {i} then strftime(epoch_ms(_ts), '%Y-%m-%dT%H:%M:%SZ')")
        elif style.startswith("+"):
            h = int(style[1:3])
            whens.append(
                f"when {i} then strftime(epoch_ms(_ts) + interval {h} hour, "
                f"'%Y-%m-%dT%H:%M:%S.%g') || '{style}'"
            )
    return f"case _ten {' '.join(whens)} else strftime(epoch_ms(_ts), '%Y-%m-%dT%H:%M:%S.%gZ') end"


def _view_exprs(event_type: str, days: int) -> dict[str, str]:
    """SQL per contract field over the numpy columns (NULL = field absent). Ids carry the
    origin day as a tag (from a constant list: cheaper than printf), then a counter."""
    tags = _lst([f"{d:03d}" for d in range(days)])
    day = f"' || ({tags})[_d + 1] || '"
    return {k: v.replace("{day}", day) for k, v in _view_exprs_raw(event_type, "{day}").items()}


def _view_exprs_raw(event_type: str, day: str) -> dict[str, str]:
    tenants = _lst(TENANT_NAMES)
    wfs = _lst([w.name for w in WORKFLOWS])
    prefixes = _lst([w.prefix for w in WORKFLOWS])
    env = {
        "event_type": f"'{event_type}'",
        "schema_version": "case when _j % 10 = 3 then '1.2' else '1' end",
        "timestamp": _ts_sql(),
    }
    user = "case when user >= 0 then 'u-' || (" + tenants + ")[_ten + 1] || '-' || user end"
    out_id = "'out-{day}-' || ij"
    trace = "'tr-{day}-' || ij"
    if event_type == "interaction":
        docs = (
            "["
            + ", ".join(
                f"({_lst([w.doc_prefix for w in WORKFLOWS])})[wf + 1] || d{j}" for j in range(5)
            )
            + "]"
        )
        consent = "[" + ", ".join(_lst(c) if c else "[]::varchar[]" for c in CONSENT_SETS) + "]"
        return env | {
            "event_id": "'ev-i-{day}-' || _j",
            "tenant_id": f"({tenants})[_ten + 1]",
            "trace_id": "'tr-{day}-' || _j",
            "session_id": "'ses-{day}-' || task_j",
            "user_id": user,
            "task_type": f"({wfs})[wf + 1]",
            "task_id": f"({prefixes})[wf + 1] || '-{day}-' || task_j",
            "country": f"({_lst(COUNTRIES)})[ctry + 1]",
            "consent_scope": f"({consent})[consent + 1]",
            "redaction_flags": "case redact when 1 then ['email'] when 2 then ['email', 'phone'] "
            "end",
            "output_id": "'out-{day}-' || _j",
            "input_hash": "lpad(to_hex(ihash), 16, '0')",
            "prompt_version": f"({_lst(PROMPTS)})[prompt + 1]",
            "model_id": f"({_lst([m[0] for m in MODELS])})[model + 1]",
            "model_version": f"({_lst([m[1] for m in MODELS])})[model + 1]",
            "retrieval_ids": f"case when nk > 0 then list_slice({docs}, 1, nk) end",
            "cited_ids": f"case when nk > 0 then list_slice({docs}, 1, cited) end",
            "knowledge_version": "case when nk > 0 then 'kb-' || strftime(epoch_ms(_ts - "
            f"(_d - kb_day) * {DAY_MS}), '%Y-%m-%d') end",
            "input_tokens": "case when in_tok >= 0 then in_tok end",
            "output_tokens": "out_tok",
            "client_latency_ms": "case when not isnan(cli) then cli end",
            "server_latency_ms": "srv",
            "experiment_id": f"case when exp >= 0 then ({_lst([e[0] for e in EXPERIMENTS])})"
            "[exp + 1] end",
            "variant": "case var when 0 then 'control' when 1 then 'treatment' end",
            "is_shadow": "case shadow when 1 then true when 0 then false end",
        }
    if event_type == "feedback":
        texts = _lst(COMMENTS)
        return env | {
            "event_id": "'ev-f-{day}-' || _j",
            "tenant_id": f"({tenants})[_ten + 1]",
            "trace_id": trace,
            "user_id": user,
            "output_id": out_id,
            "feedback_type": f"({_lst(list(FEEDBACK_P))})[ft + 1]",
            "feedback_value": "val",
            "feedback_text": f"case when pii_text is not null then pii_text "
            f"when text_i >= 0 then ({texts})[text_i + 1] end",
            "document_id": f"case when doc >= 0 then ({_lst([w.doc_prefix for w in WORKFLOWS])})"
            "[wf + 1] || doc end",
            "actor_role": f"({_lst(ROLES)})[role + 1]",
            "actor_id": f"case when user >= 0 and role <> {ROLES.index('anonymous')} then "
            f"'act-' || ({tenants})[_ten + 1] || '-' || user end",
        }
    if event_type == "outcome":
        return env | {
            "event_id": "'ev-o-{day}-' || _j",
            "tenant_id": f"({tenants})[_ten + 1]",
            "user_id": user,
            "task_type": f"({wfs})[wf + 1]",
            "task_id": f"({prefixes})[wf + 1] || '-{day}-' || task_j",
            "outcome_metric_name": f"({_lst(METRICS)})[metric + 1]",
            "outcome_metric_value": "val",
        }
    if event_type == "evaluation":
        return env | {
            "event_id": "'ev-e-{day}-' || _j",
            "tenant_id": f"({tenants})[_ten + 1]",
            "trace_id": "case when ij >= 0 then 'tr-{day}-' || ij else 'tr-gold-{day}-' || gj end",
            "output_id": "case when ij >= 0 then 'out-{day}-' || ij "
            "else 'gold-out-{day}-' || gj end",
            "evaluator_id": f"({_lst([e[0] for e in EVALUATORS])})[ev + 1]",
            "evaluator_version": f"({_lst([e[1] for e in EVALUATORS])})[ev + 1]",
            "eval_metric": f"({_lst([e[2] for e in EVALUATORS])})[ev + 1]",
            "eval_value": "val",
            "eval_passed": "case passed when 1 then true when 0 then false end",
            "golden_task_id": f"case when golden >= 0 then 'golden-' || ({prefixes})[wf + 1] "
            "|| '-' || golden end",
            "prompt_version": f"case when gprompt >= 0 then ({_lst(PROMPTS)})[gprompt + 1] end",
            "model_id": f"case when gmodel >= 0 then ({_lst([m[0] for m in MODELS])})"
            "[gmodel + 1] end",
            "model_version": f"case when gmodel >= 0 then ({_lst([m[1] for m in MODELS])})"
            "[gmodel + 1] end",
        }
    if event_type == "label":
        return env | {
            "event_id": "'ev-l-{day}-' || _j",
            "tenant_id": f"({tenants})[_ten + 1]",
            "trace_id": trace,
            "output_id": out_id,
            "labeler_id": f"({_lst([x[0] for x in LABELERS])})[labeler + 1]",
            "taxonomy_version": "taxo::varchar",
            "label_name": "'correctness'",
            "label_value": f"({_lst(LABEL_VALUES)})[val + 1]",
        }
    if event_type == "version":
        return {
            "event_id": "'ev-v-' || _j",
            "event_type": "'version'",
            "schema_version": "'1'",
            "timestamp": "strftime(epoch_ms(_ts), '%Y-%m-%dT%H:%M:%SZ')",
            "version_kind": "version_kind",
            "version_id": "version_id",
            "parent_version_id": "parent_version_id",
            "dataset_manifest_id": "dataset_manifest_id",
            "description": "description",
        }
    raise KeyError(event_type)


META = ["_file", "_ord", "_json", "_dup", "_dupfile", "_bad", "_ts", "_k", "_kdup", "_kbad"]


def _create_view(con: duckdb.DuckDBPyConnection, event_type: str, source: str, days: int) -> None:
    """The day's events of one type with contract fields typed (timestamps stay RFC 3339
    text, as emitters send them). A view: each writer computes only the rows it needs."""
    contract = load_contract()
    exprs = _view_exprs(event_type, days)
    cols = []
    for spec in contract.fields(event_type):
        sql_type = "VARCHAR" if spec.type == "timestamp" else spec.duckdb_type
        cols.append(f'cast({exprs.get(spec.name, "null")} as {sql_type}) as "{spec.name}"')
    extra = DRIFT_FIELDS.get(event_type)
    if extra:
        cols.append(f'"{extra}"')
    cols += META
    con.execute(
        f"create or replace temp view e_{event_type} as select "
        + ", ".join(cols)
        + f" from {source}"
    )


def _line_sql(event_type: str) -> str:
    """One JSON object per row: fields in contract order, absent when NULL."""
    parts = []
    names = load_contract().field_names(event_type)
    extra = DRIFT_FIELDS.get(event_type)
    for name in [*names, *([extra] if extra else [])]:
        parts.append(f'\',"{name}":\' || to_json("{name}")')
    return "'{' || substr(concat(" + ", ".join(parts) + "), 2) || '}'"


def _bad_line_sql(event_type: str, reason: str, line: str = "line") -> str:
    marked = f"""replace({line}, '"event_id":"', '"event_id":"bad-')"""
    return BAD_EDITS[event_type][reason].replace("L", f"({marked})")


# --------------------------------------------------------------------------------------------
# Placement in files; duplicates, bad lines, drift, personal data


def _place(
    plan: Plan, rng: np.random.Generator, ts: np.ndarray, origin: np.ndarray, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """File id and sort key (order within the file) of each event; `origin` is the day the
    event was generated for, `chunk` the first day of the chunk being written."""
    n = len(ts)
    late = rng.random(n) < 0.03  # a collector that was offline: hours to days
    delay = np.where(late, _lognormal(rng, 6 * HOUR_MS, 1.0, n), rng.uniform(0, 300_000, n))
    land = ts + delay.astype(np.int64)
    ld = np.clip((land - plan.start_ms) // DAY_MS, origin, plan.days - 1)
    hour = ((land - plan.start_ms) % DAY_MS) // HOUR_MS
    main = np.where(hour < 12, 0, 1) if plan.split_days else np.full(n, DAY)
    part = np.where(ld == origin, main, LATE)
    key = ld * 4 + part
    ukeys, inv = np.unique(key, return_inverse=True)
    ids = np.array([plan.file_id(int(x // 4), chunk, int(x % 4)) for x in ukeys], np.int64)
    fid = ids[inv] if n else np.zeros(0, np.int64)
    # late files are fully shuffled; others roughly in arrival order
    order = np.where(part == LATE, rng.random(n) * 1e15, land + rng.normal(0, 90_000, n))
    return fid, order.astype(np.float64)


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        x = int(ch)
        if i % 2 == 0:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return body + str((10 - total % 10) % 10)


def _pii_string(kind: str, rng: np.random.Generator, k: int) -> str:
    digits = rng.integers(0, 10, 20)
    ds = "".join(str(x) for x in digits)
    if kind == "email":
        names = ["jane.doe", "m.schmidt", "yuki.tanaka", "p.martin", "ana.souza"]
        domains = ["example.com", "mail.example.org", "example.net"]
        return f"{names[k % 5]}{k}@{domains[k % 3]}"
    if kind == "phone":
        forms = [
            f"+49 30 {ds[:7]}",
            f"+1 (415) 555-{ds[:4]}",
            f"+33 6 {ds[0:2]} {ds[2:4]} {ds[4:6]} {ds[6:8]}",
            f"+44 20 7946 {ds[:4]}",
            f"+81 3-{ds[:4]}-{ds[4:8]}",
            f"+55 11 9{ds[:4]}-{ds[4:8]}",
        ]
        return forms[k % len(forms)]
    if kind == "card":
        num = _luhn("4" + ds[:14])
        return " ".join(num[i : i + 4] for i in range(0, 16, 4)) if k % 2 else num
    if kind == "ipv4":
        return (
            f"{[198, 203, 192][k % 3]}.{[51, 0, 0][k % 3]}.{[100, 113, 2][k % 3]}."
            f"{int(ds[:3]) % 254 + 1}"
        )
    return f"2001:db8:{int(ds[:4]):x}::{int(ds[4:8]):x}:{k:x}"


def _extras(
    plan: Plan,
    chunk: int,
    n_days: int,
    tables: dict[str, dict[str, np.ndarray]],
    rng: np.random.Generator,
    truth: dict[str, Any],
) -> None:
    """Drift fields, personal data, duplicates and bad-line templates of one chunk of days
    (`n_days` days from day `chunk`)."""
    is_json = plan.is_json()
    types = list(tables)
    for et, t in tables.items():
        n = len(t["_ts"])
        t["_json"] = is_json[t["_file"]] if n else np.zeros(0, bool)
        t["_dup"] = np.zeros(n, bool)
        t["_dupfile"] = t["_file"].copy()
        t["_dupord"] = t["_ord"].copy()
        t["_bad"] = np.full(n, -1, np.int8)
        t["_badord"] = t["_ord"].copy()
        t["_excl"] = ~t["_json"]  # not eligible as duplicate or bad template
        field_ = DRIFT_FIELDS.get(et)
        if field_:
            vals = np.full(n, None, dtype=object)
            if n:
                share = 0.35 if et == "interaction" else 0.5
                who = t["_json"] & (rng.random(n) < share) & (t["_d"] >= plan.drift_day)
                if et == "feedback":
                    who &= t["_ten"] == 1  # one tenant's new app build sends it
                choices = np.array(
                    ["web", "ios", "android"] if et == "interaction" else ["5.2.0", "5.2.1"],
                    dtype=object,
                )
                vals[who] = choices[rng.integers(0, len(choices), int(who.sum()))]
                t["_excl"] |= who
                uf = truth.setdefault("unknown_fields", {}).setdefault(field_, {})
                uf[et] = uf.get(et, 0) + int(who.sum())
            t[field_] = vals
    # personal data planted in comments
    fb = tables["feedback"]
    texts = np.full(len(fb["_ts"]), None, dtype=object)
    comments = np.flatnonzero(fb["ft"] == list(FEEDBACK_P).index("comment"))
    prng = np.random.default_rng([plan.seed, chunk, 7])
    n_pii = min(PII_PER_DAY * n_days, len(comments))
    chosen = np.sort(prng.choice(comments, n_pii, replace=False))
    pii = truth.setdefault("pii", [])
    for row in chosen:  # a handful per day, not per event
        kind = PII_KINDS[len(pii) % len(PII_KINDS)]
        value = _pii_string(kind, prng, len(pii))
        texts[row] = PII_TEMPLATES[kind].format(value)
        pii.append(
            {
                "kind": kind,
                "value": value,
                "event_id": f"ev-f-{fb['_d'][row]:03d}-{fb['_j'][row]}",
                "event_type": "feedback",
                "field": "feedback_text",
            }
        )
        fb["_excl"][row] = True
    fb["pii_text"] = texts

    sizes = [len(tables[et]["_ts"]) for et in types]
    valid = sum(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    excl = np.concatenate([tables[et]["_excl"] for et in types])
    # duplicates: the exact line again, later in the same file or in a later day's file
    n_dup = min(int(round(plan.duplicate_rate * valid)), int((~excl).sum()))
    dup_g = np.sort(rng.choice(np.flatnonzero(~excl), n_dup, replace=False))
    same = rng.random(n_dup) < 0.5
    for i, et in enumerate(types):
        t = tables[et]
        sel = (dup_g >= offsets[i]) & (dup_g < offsets[i + 1])
        rows = dup_g[sel] - offsets[i]
        t["_dup"][rows] = True
        t["_excl"][rows] = True
        s = same[sel]
        t["_dupord"][rows] = t["_ord"][rows] + np.where(
            t["_ord"][rows] > 1e14,
            rng.random(len(rows)) * 1e14,
            rng.uniform(1, 2 * HOUR_MS, len(rows)),
        )
        landing = np.array([f.landing_day for f in plan.files])[t["_file"][rows]]
        move = ~s & (landing < plan.days - 1)
        new_ld = np.minimum(plan.days - 1, landing + 1 + rng.integers(0, 3, len(rows)))
        for ld in np.unique(new_ld[move]):  # a few later files, not a loop per event
            sel_ld = move & (new_ld == ld)
            t["_dupfile"][rows[sel_ld]] = plan.file_id(int(ld), chunk, LATE)
            t["_dupord"][rows[sel_ld]] = rng.random(int(sel_ld.sum())) * 1e15
        dt = truth.setdefault("duplicates_by_type", {})
        dt[et] = dt.get(et, 0) + int(len(rows))
    # bad lines: one template event (interaction or feedback) per bad line, one reason each
    reasons = load_contract().reason_codes
    n_bad = int(round(plan.bad_rate * valid)) if plan.bad_rate > 0 else 0
    if plan.bad_rate > 0 and chunk + n_days >= plan.days:
        # make sure every reason code appears at least once in the whole run
        n_bad = max(n_bad, len(reasons) - plan.bad_counter)
    for i, et in enumerate(("interaction", "feedback")):
        t = tables[et]
        want = n_bad // 2 + (n_bad % 2 if i == 0 else 0)
        cand = np.flatnonzero(~t["_excl"])
        if et == "interaction":
            cand = cand[t["shadow"][cand] != 1]
        rows = np.sort(rng.choice(cand, min(want, len(cand)), replace=False))
        kinds = (plan.bad_counter + np.arange(len(rows))) % len(reasons)
        plan.bad_counter += len(rows)
        t["_bad"][rows] = kinds
        t["_badord"][rows] = t["_ord"][rows] + rng.uniform(1, HOUR_MS, len(rows))
        br = truth.setdefault("bad_by_reason", {r: 0 for r in reasons})
        for ki, r in enumerate(reasons):
            br[r] += int((kinds == ki).sum())


# --------------------------------------------------------------------------------------------
# Writing


class _Writer:
    """Streams lines into landing files (gzip with mtime 0: same bytes for the same seed)."""

    def __init__(self, path: Path, fmt: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.raw: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.fh: BinaryIO = self.raw
        if fmt.endswith(".gz"):
            self.fh = gzip.GzipFile(
                filename="", mode="wb", fileobj=self.raw, mtime=0, compresslevel=1
            )  # type: ignore[assignment]
        self.lines = 0

    def close(self) -> None:
        if self.fh is not self.raw:
            self.fh.close()
        self.raw.close()


def _sort_keys(tables: dict[str, dict[str, np.ndarray]], types: list[str]) -> None:
    """The position of every JSON line of the chunk (events, duplicate copies, bad lines) in
    file order, computed in numpy so that DuckDB builds lines without sorting them. Ties are
    broken by event type, row and kind: the same bytes every run."""
    cols: list[list[np.ndarray]] = [[], [], [], [], []]  # file, ord, type, kind, row
    spans = []
    for ti, et in enumerate(types):
        t = tables[et]
        js = t["_json"]
        for kind, (mask, fcol, ocol) in enumerate(
            (
                (js, "_file", "_ord"),
                (js & t["_dup"], "_dupfile", "_dupord"),
                (js & (t["_bad"] >= 0), "_file", "_badord"),
            )
        ):
            rows = np.flatnonzero(mask)
            for c, v in zip(
                cols,
                (
                    t[fcol][rows],
                    t[ocol][rows],
                    np.full(len(rows), ti),
                    np.full(len(rows), kind),
                    rows,
                ),
                strict=True,
            ):
                c.append(v)
            spans.append((et, kind, rows))
    f, o, ti_, k, r = (np.concatenate(c) if c else np.zeros(0) for c in cols)
    order = np.lexsort((r, k, ti_, o, f))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    pos = 0
    for et, kind, rows in spans:
        t = tables[et]
        key = ("_k", "_kdup", "_kbad")[kind]
        if key not in t:
            t[key] = np.full(len(t["_ts"]), -1, np.int64)
        t[key][rows] = rank[pos : pos + len(rows)]
        pos += len(rows)


def _write_json(
    con: duckdb.DuckDBPyConnection, plan: Plan, types: list[str], counts: dict[int, int]
) -> None:
    reasons = load_contract().reason_codes
    ctes, unions = [], []
    for et in types:
        # each view expands once: a small plan also for small days
        ctes.append(
            f"l_{et} as materialized (select _file, _k, _dup, _dupfile, _kdup, _bad, "
            f"_kbad, {_line_sql(et)} as line from e_{et} where _json)"
        )
        unions.append(f"select _k, _file, line from l_{et}")
        unions.append(f"select _kdup, _dupfile, line from l_{et} where _dup")
        if et in BAD_EDITS:
            bad = " ".join(f"when {ki} then {_bad_line_sql(et, r)}" for ki, r in enumerate(reasons))
            unions.append(f"select _kbad, _file, case _bad {bad} end from l_{et} where _bad >= 0")
    sql = (
        f"with {', '.join(ctes)} "
        "select _k as k, _file::bigint as f, line || chr(10) as line from ("
        + " union all ".join(unions)
        + ")"
    )
    tbl = con.sql(sql).to_arrow_table()
    if tbl.num_rows == 0:
        return
    # k is a permutation of 0..n-1: put every line at its place (no sort of strings)
    perm = np.empty(tbl.num_rows, np.int64)
    perm[tbl.column("k").to_numpy()] = np.arange(tbl.num_rows)
    tbl = tbl.select(["f", "line"]).take(pa.array(perm))
    reader = tbl.to_batches(max_chunksize=200_000)
    writer: _Writer | None = None
    current = -1
    for batch in reader:
        files = batch.column(0).to_numpy()
        lines = batch.column(1)
        if not len(files):
            continue
        bounds = np.flatnonzero(np.diff(files)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(files)]])
        offsets, data = _string_buffers(lines)
        for a, b in zip(starts, ends, strict=True):
            f = int(files[a])
            if f != current:
                if writer is not None:
                    counts[current] = writer.lines
                    writer.close()
                spec = plan.files[f]
                writer = _Writer(plan.out / spec.rel(plan.start), spec.fmt)
                current = f
            assert writer is not None
            writer.fh.write(data[offsets[a] : offsets[b]])
            writer.lines += int(b - a)
    if writer is not None:
        counts[current] = writer.lines
        writer.close()


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, memoryview]:
    """Offsets and data of a (large_)string array: slices of data are the lines' bytes."""
    if pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.large_string())
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    return offsets.astype(np.int64), memoryview(bufs[2])


def _write_parquet(
    con: duckdb.DuckDBPyConnection, plan: Plan, et: str, file_ids: list[int], counts: dict[str, int]
) -> None:
    contract = load_contract()
    cols = ", ".join(f'"{n}"' for n in contract.field_names(et))
    ids = ", ".join(str(f) for f in file_ids)
    if not ids:
        return
    tbl = con.sql(
        f"select _file, {cols} from e_{et} where _file in ({ids}) order by _file, _ord, event_id"
    ).to_arrow_table()
    files = tbl.column("_file").to_numpy()
    tbl = tbl.drop_columns(["_file"])
    for f in file_ids:
        rows = np.flatnonzero(files == f)
        if not len(rows):
            continue
        part = tbl.slice(int(rows[0]), len(rows))
        rel = plan.files[f].rel(plan.start, et)
        path = plan.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, path, compression="zstd", row_group_size=500_000)
        counts[rel] = part.num_rows


# --------------------------------------------------------------------------------------------
# Entry points


def _parse_start(start: str | date | None, days: int) -> date:
    if start is None:
        return datetime.now(UTC).date() - timedelta(days=days)
    if isinstance(start, date):
        return start
    return date.fromisoformat(str(start))


def simulate(
    out: Path,
    days: int,
    tasks_per_day: int,
    seed: int,
    start: str | date | None = None,
    bad_rate: float = 0.01,
    duplicate_rate: float = 0.01,
    truth_path: Path | None = None,
    progress: bool = False,
) -> Path:
    """Write `days` of traffic into the landing folder `out`; return the truth file's path."""
    from floop.errors import OperationalError

    _check_world()
    if days < 1 or tasks_per_day < 1:
        raise OperationalError("--days and --tasks-per-day must be at least 1")
    if not (0 <= bad_rate < 0.5 and 0 <= duplicate_rate < 0.5):
        raise OperationalError("--bad-rate and --duplicate-rate must be in [0, 0.5)")
    out = Path(out)
    plan = Plan(out, days, tasks_per_day, seed, _parse_start(start, days), bad_rate, duplicate_rate)
    for d in range(days):  # landing files are immutable: never overwrite a landed day
        folder = out / plan.day_iso(d)
        if folder.exists() and any(folder.iterdir()):
            raise OperationalError(f"{folder} already has landing files; use another --out")
    truth_path = Path(truth_path) if truth_path else out.parent / f"{out.name}.truth.json"
    if truth_path.resolve().is_relative_to(out.resolve()):
        raise OperationalError("the truth file must not be inside the landing folder")
    out.mkdir(parents=True, exist_ok=True)
    # before any event file is written: a missing truth folder must not leave a half landing
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    contract = load_contract()
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    truth: dict[str, Any] = {}
    line_counts: dict[str, int] = {}
    per_file: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {t: 0 for t in contract.event_types}
    versions = _versions(plan)
    v_day = np.clip((np.array([v["_ts"] for v in versions]) - plan.start_ms) // DAY_MS, 0, days - 1)
    step = plan.days_per_chunk
    for chunk in range(0, days, step):
        chunk_days = list(range(chunk, min(days, chunk + step)))
        per_day = [_gen_day(plan, d) for d in chunk_days]
        tables = {
            et: {c: np.concatenate([day[et][c] for day in per_day]) for c in per_day[0][et]}
            for et in per_day[0]
        }
        del per_day
        vs = [v for v, vd in zip(versions, v_day, strict=True) if vd in chunk_days]
        tables["version"] = {
            "_d": np.array([vd for vd in v_day if vd in chunk_days], np.int32),
            "_j": np.array([v["_j"] for v in vs], np.int64),
            "_ts": np.array([v["_ts"] for v in vs], np.int64),
            **{
                c: np.array([v[c] for v in vs], dtype=object)
                for c in (
                    "version_kind",
                    "version_id",
                    "parent_version_id",
                    "dataset_manifest_id",
                    "description",
                )
            },
        }
        rng = np.random.default_rng([seed, chunk, 3])
        for t in tables.values():
            t["_file"], t["_ord"] = _place(plan, rng, t["_ts"], t["_d"], chunk)
        _extras(plan, chunk, len(chunk_days), tables, rng, truth)
        _sort_keys(tables, contract.event_types)
        day_files: dict[int, dict[str, int]] = {}
        for et in contract.event_types:
            t = tables[et]
            source = f"t_{et}"
            arrays = {}
            for c, v in t.items():
                if v.dtype == object:
                    arrays[c] = pa.array(v, type=pa.string())
                else:
                    arrays[c] = pa.array(v)
            con.register(source, pa.table(arrays))
            _create_view(con, et, source, days)
            totals[et] += len(t["_ts"])
            for f, n in zip(*np.unique(t["_file"], return_counts=True), strict=True):
                day_files.setdefault(int(f), {}).setdefault("accepted", 0)
                day_files[int(f)]["accepted"] += int(n)
            for f, n in zip(*np.unique(t["_dupfile"][t["_dup"]], return_counts=True), strict=True):
                day_files.setdefault(int(f), {}).setdefault("duplicate", 0)
                day_files[int(f)]["duplicate"] += int(n)
            for f, n in zip(
                *np.unique(t["_file"][t["_bad"] >= 0], return_counts=True), strict=True
            ):
                day_files.setdefault(int(f), {}).setdefault("rejected", 0)
                day_files[int(f)]["rejected"] += int(n)
        json_counts: dict[int, int] = {}
        _write_json(con, plan, contract.event_types, json_counts)
        for f, n in json_counts.items():
            rel = plan.files[f].rel(plan.start)
            line_counts[rel] = n
            per_file[rel] = {"accepted": 0, "duplicate": 0, "rejected": 0} | day_files.get(f, {})
        pq_files = sorted({f for f in day_files if plan.files[f].fmt == "parquet"})
        for et in contract.event_types:
            counts: dict[str, int] = {}
            _write_parquet(con, plan, et, pq_files, counts)
            for rel, n in counts.items():
                line_counts[rel] = n
                per_file[rel] = {"accepted": n, "duplicate": 0, "rejected": 0}
        for et in contract.event_types:
            con.unregister(f"t_{et}")
        if progress:
            n_ev = sum(len(t["_ts"]) for t in tables.values())
            print(
                f"simulate: days {chunk + 1}-{chunk_days[-1] + 1}/{days} "
                f"(to {plan.day_iso(chunk_days[-1])}): {n_ev:,} events, "
                f"{len(plan.files)} files so far [{time.perf_counter() - started:.1f}s]",
                file=sys.stderr,
            )
    con.close()
    _write_truth(plan, truth, totals, line_counts, per_file, versions, truth_path)
    if progress:
        print(
            f"simulate: {sum(line_counts.values()):,} lines in {len(line_counts)} files "
            f"under {out} [{time.perf_counter() - started:.1f}s]; truth: {truth_path}",
            file=sys.stderr,
        )
    return truth_path


def _write_truth(
    plan: Plan,
    truth: dict[str, Any],
    totals: dict[str, int],
    line_counts: dict[str, int],
    per_file: dict[str, dict[str, int]],
    versions: list[dict[str, Any]],
    truth_path: Path,
) -> None:
    st = plan.stats
    files = {}
    for rel in sorted(line_counts):
        fmt = file_format(rel)
        pf = per_file[rel]
        files[rel] = {"format": fmt, "lines": line_counts[rel], **pf}
        if pf["accepted"] + pf["duplicate"] + pf["rejected"] != line_counts[rel]:
            raise RuntimeError(f"simulator bug: counts of {rel} do not add up")
    bad = truth.get("bad_by_reason", {})
    dups = truth.get("duplicates_by_type", {})
    lines = sum(line_counts.values())
    accepted = sum(totals.values())

    def rate(x: list[int]) -> dict[str, Any]:
        return {"tasks": x[0], "successes": x[1], "rate": round(x[1] / x[0], 4) if x[0] else None}

    daily = st.get("daily", {})
    by_version: dict[str, list[int]] = {}
    for key, (n, s) in daily.items():
        wf, pr, _day = key.split("|")
        acc = by_version.setdefault(f"{wf}|{pr}", [0, 0])
        acc[0] += n
        acc[1] += s
    sc_obs = {
        pr: rate(by_version.get(f"support_chat|{pr}", [0, 0]))
        for pr in ("support-v7", "support-v8")
    }
    experiments = []
    for exp_id, ewf, effect, share in EXPERIMENTS:
        lo, hi = plan.exp_days[exp_id]
        arms = {
            name: rate(st.get("exp", {}).get(f"{exp_id}|{v}", [0, 0]))
            for v, name in ((0, "control"), (1, "treatment"))
        }
        experiments.append(
            {
                "experiment_id": exp_id,
                "workflow": WORKFLOWS[ewf].name,
                "metric": WORKFLOWS[ewf].primary,
                "planted_effect": effect,
                "enrolled_share": share,
                "first_day": plan.day_iso(lo),
                "last_day": plan.day_iso(hi),
                "variants": ["control", "treatment"],
                "observed": arms,
            }
        )
    labelers = {}
    for name, acc in LABELERS:
        n, right = st.get(f"labels|{name}", [0, 0])
        labelers[name] = {
            "planted_accuracy": acc,
            "labels": n,
            "observed_accuracy": round(right / n, 4) if n else None,
        }
    hidden = st.get("hidden_labels", [])
    base = truth_path.name.removesuffix(".json").removesuffix(".truth")
    labels_path = truth_path.with_name(base + ".truth_labels.parquet")
    if hidden:
        dcol = np.concatenate([h[0] for h in hidden])
        jcol = np.concatenate([h[1] for h in hidden])
        tcol = np.concatenate([h[2] for h in hidden])
        tbl = pa.table(
            {
                "output_id": pa.array(
                    [f"out-{a:03d}-{b}" for a, b in zip(dcol, jcol, strict=True)]
                ),
                "label_name": pa.array(["correctness"] * len(tcol)),
                "true_label": pa.array(np.array(LABEL_VALUES, dtype=object)[tcol], pa.string()),
            }
        )
        pq.write_table(tbl, labels_path, compression="zstd")
    doc = {
        "generator": "floop simulate",
        "contract_version": load_contract().version,
        "params": {
            "days": plan.days,
            "tasks_per_day": plan.tasks_per_day,
            "seed": plan.seed,
            "start": plan.start.isoformat(),
            "bad_rate": plan.bad_rate,
            "duplicate_rate": plan.duplicate_rate,
        },
        "landing": plan.out.name,
        "window": {
            "start": f"{plan.start.isoformat()}T00:00:00Z",
            "end": f"{plan.day_iso(plan.days)}T00:00:00Z",
            "note": "every valid event has a timestamp before end",
        },
        "events": totals,
        "lines": lines,
        "files": files,
        "expected_ingest": {
            "lines": lines,
            "accepted": accepted,
            "duplicate": sum(dups.values()),
            "rejected": sum(bad.values()),
            "accepted_by_type": totals,
            "rejected_by_reason": bad,
            "duplicate_by_type": dups,
        },
        "bad_lines": {"total": sum(bad.values()), "by_reason": bad, "event_id_prefix": "bad-"},
        "duplicates": {
            "total": sum(dups.values()),
            "by_event_type": dups,
            "rule": "exact same line again, later in the same file or in a later "
            "landing day's file",
        },
        "unknown_fields": truth.get("unknown_fields", {}),
        "tenants": [{"tenant_id": t[0], "country": t[1], "traffic_share": t[2]} for t in TENANTS],
        "workflows": {
            w.name: {"primary_outcome": w.primary, "task_prefix": w.prefix} for w in WORKFLOWS
        },
        "secondary_outcomes": {"csat": "support_chat", "converted": "rag_qa"},
        "tasks": st.get("tasks", 0),
        "retries": {
            "tasks_by_interactions": st.get("tasks_by_n_interactions", {}),
            "retry_feedback": st.get("retry_feedback", 0),
            "rule": "the outcome belongs to the last non-shadow interaction",
        },
        "rollout": {
            "workflow": "support_chat",
            "metric": "resolved",
            "from": "support-v7",
            "to": "support-v8",
            "day": plan.day_iso(plan.rollout_day),
            "planted_effect": ROLLOUT_EFFECT,
            "observed": sc_obs,
        },
        "other_changes": [
            {
                "kind": "model",
                "workflow": "code_assist",
                "from": "3.1",
                "to": "3.2",
                "day": plan.day_iso(plan.model_day),
                "planted_effect": 0.0,
            },
            {
                "kind": "knowledge",
                "versions": [f"kb-{plan.day_iso(d)}" for d in range(0, plan.days, 7)],
                "planted_effect": 0.0,
                "note": "weekly snapshots; a snapshot taking over in the rollout's week shares "
                "its uplift in a weekly before/after view (confounded, not caused)",
            },
            {
                "kind": "retrieval_config",
                "from": "rc-1",
                "to": "rc-2",
                "day": plan.day_iso(min(plan.days - 1, plan.model_day + 1)),
                "planted_effect": 0.0,
                "note": "registered only: interactions carry no retrieval_config field",
            },
        ],
        "outcomes_by_version_day": {
            k: {"tasks": v[0], "successes": v[1]} for k, v in sorted(daily.items())
        },
        "experiments": experiments,
        "poisoning": {
            "tenant_id": TENANTS[POISON_TENANT][0],
            "prompt_version": "support-v8",
            "first_day": plan.day_iso(plan.poison_day),
            "last_day": plan.day_iso(min(plan.days - 1, plan.poison_day + 1)),
            "feedback_type": "thumbs",
            "feedback_value": -1,
            "actor_role": "anonymous",
            "events": st.get("poison_thumbs_down", 0),
        },
        "late_outcomes": {
            "primary_emitted": st.get("outcome_emitted_primary", 0),
            "pending_after_window": st.get("outcome_pending", 0),
            "never_reported": st.get("outcome_unreported", 0),
            "delayed_over_1d": st.get("outcome_late_over_1d", 0),
            "delayed_over_3d": st.get("outcome_late_over_3d", 0),
            "max_delay_days": 7,
            "corrections": st.get("outcome_corrections", 0),
            "rule": "a corrected task first reports the wrong value; the later event (latest "
            "timestamp) carries the true one",
        },
        "shadow": {
            "interactions": st.get("shadow", 0),
            "prompt_versions": [PROMPTS[i] for i in SHADOW_PROMPT.values()],
            "rule": "is_shadow=true, served after the last real interaction of the task",
        },
        "golden": {
            "evaluations": st.get("golden_runs", 0),
            "tenant_id": GOLDEN_TENANT,
            "tasks_per_version_per_night": GOLDEN_TASKS,
            "note": "offline: prompt_version/model_id/model_version set, no interaction",
        },
        "labels": {
            "label_name": "correctness",
            "labelers": labelers,
            "taxonomy_change_day": plan.day_iso(plan.taxonomy_day),
            "taxonomies": TAXONOMY,
            "by_taxonomy": st.get("labels_by_taxonomy", {}),
            "hidden_truth_file": labels_path.name if hidden else None,
            "rule": "taxonomy 1 has no partially_correct (it counts as incorrect)",
        },
        "versions": [
            {k: v for k, v in ver.items() if not k.startswith("_")}
            | {
                "timestamp": datetime.fromtimestamp(ver["_ts"] / 1000, UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
            }
            for ver in versions
        ],
        "lineage": {
            "finetune_with_manifest": "ft-support-2026-11",
            "manifest_ids": ["dm-support-feedback-v1", "dm-rag-doc-clicks-v1"],
            "orphan_finetune": "ft-code-orphan",
            "orphan_manifest_id": "dm-unknown-0000",
        },
        "pii": truth.get("pii", []),
        "drift_day": plan.day_iso(plan.drift_day),
    }
    truth_path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(args: argparse.Namespace) -> int:
    """`floop simulate`."""
    truth = simulate(
        out=args.out,
        days=args.days,
        tasks_per_day=args.tasks_per_day,
        seed=args.seed,
        start=args.start,
        bad_rate=args.bad_rate,
        duplicate_rate=args.duplicate_rate,
        truth_path=args.truth,
        progress=True,
    )
    print(f"wrote {args.out} (truth: {truth})")
    return 0
