"""The version registry: a few dozen events, built in Python (they are not per event)."""

from __future__ import annotations

from typing import Any

from floop.simulate.plan import Plan
from floop.simulate.world import HOUR_MS, MIN_MS

# Registered on the first day: minutes after midnight, kind, id, parent, description.
FIRST_DAY: list[tuple[int, str, str, str | None, str]] = [
    (5, "prompt", "support-v7", "support-v6", "cite refund policy section"),
    (6, "prompt", "code-v3", "code-v2", "repo-aware system prompt"),
    (7, "prompt", "rag-v2", "rag-v1", "answer only from sources"),
    (8, "prompt", "support-v9", "support-v8", "shadow candidate"),
    (9, "prompt", "code-v4", "code-v3", "shadow candidate"),
    (10, "prompt", "rag-v3", "rag-v2", "shadow candidate"),
    (11, "model", "2026-10-01", None, "gpt-x"),
    (12, "model", "3.1", None, "llama-y"),
    (13, "model", "2026-09-15", None, "gpt-x-mini"),
    (14, "retrieval_config", "rc-1", None, "dense top-5"),
    (15, "reranker", "rr-1", None, "cross-encoder base"),
]
FIELDS = ["version_kind", "version_id", "parent_version_id", "dataset_manifest_id", "description"]


def versions(plan: Plan) -> list[dict[str, Any]]:
    """The version events in registry order (`_j`), each with its `_ts` in epoch ms."""
    at, n = plan.day_ms, plan.days
    rows: list[tuple[int, str, str, str | None, str | None, str]] = [
        (at(0) + minute * MIN_MS, kind, vid, parent, None, desc)
        for minute, kind, vid, parent, desc in FIRST_DAY
    ]
    prev = None
    for d in range(0, n, 7):
        vid = f"kb-{plan.day_iso(d)}"
        rows.append((at(d) + 1 * MIN_MS, "knowledge", vid, prev, None, "weekly index snapshot"))
        prev = vid
    lo, _hi = plan.exp_days["exp-rag-rerank"]
    rows += [
        (
            at(max(0, plan.rollout_day - 1)) + 16 * HOUR_MS,
            "prompt",
            "support-v8",
            "support-v7",
            None,
            "shorter answers, ask for the order number",
        ),
        (at(plan.model_day) + 30 * MIN_MS, "model", "3.2", "3.1", None, "llama-y upgrade"),
        (
            at(min(n - 1, plan.model_day + 1)) + 9 * HOUR_MS,
            "retrieval_config",
            "rc-2",
            "rc-1",
            None,
            "hybrid bm25 + dense",
        ),
        (
            at(lo) + 20 * MIN_MS,
            "reranker",
            "rr-2",
            "rr-1",
            "dm-rag-doc-clicks-v1",
            "reranker tuned on doc clicks (exp-rag-rerank treatment)",
        ),
        (
            at(max(0, plan.rollout_day - 2)) + 10 * HOUR_MS,
            "finetune",
            "ft-support-2026-11",
            "2026-10-01",
            "dm-support-feedback-v1",
            "SFT on accepted support answers",
        ),
        (
            at(min(n - 1, plan.drift_day)) + 11 * HOUR_MS,
            "finetune",
            "ft-code-orphan",
            "3.1",
            "dm-unknown-0000",
            "tuned on a dataset nobody exported",
        ),
    ]
    # last, so the registry order (and ids) of everything above stays as it was
    rows.append(
        (
            at(plan.ramp_day) + 5 * MIN_MS,
            "prompt",
            "code-v5",
            "code-v3",
            None,
            "shorter test scaffolds (ramped by traffic share, no experiment)",
        )
    )
    return [
        {"_ts": ts, **dict(zip(FIELDS, rest, strict=True)), "_j": j}
        for j, (ts, *rest) in enumerate(rows)
    ]
