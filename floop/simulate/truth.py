"""The truth file: what was planted (rollout, experiments, poisoning, late and corrected
outcomes, labeler accuracy, personal data, bad lines, duplicates, schema drift) and what was
written (counts per file), as JSON beside the landing folder, never inside it; plus the hidden
true labels as Parquet next to it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from floop.contract import load_contract
from floop.landing import file_format
from floop.simulate.plan import Plan
from floop.simulate.world import (
    BANDITS,
    EXPERIMENTS,
    GOLDEN_PASS_BAR,
    GOLDEN_TASKS,
    GOLDEN_TENANT,
    GUARDRAIL_EXPERIMENT,
    GUARDRAIL_LATENCY_FACTOR,
    LABEL_VALUES,
    LABELERS,
    POISON_TENANT,
    PROMPTS,
    RAG,
    RAMP_EFFECT,
    RAMP_PROMPT,
    RAMP_WORKFLOW,
    ROLLOUT_EFFECT,
    SHADOW_PROMPT,
    SRM_EXPERIMENT,
    SRM_LOST_SHARE,
    TAXONOMY,
    TENANTS,
    WORKFLOWS,
    WORSE_SHADOW_PROMPT,
)


def write_truth(
    plan: Plan,
    truth: dict[str, Any],
    totals: dict[str, int],
    line_counts: dict[str, int],
    per_file: dict[str, dict[str, int]],
    versions: list[dict[str, Any]],
    truth_path: Path,
) -> None:
    """Write the truth file. TRUTH holds what was planted while writing (bad lines,
    duplicates, drift, personal data); `plan.stats` what was generated."""
    st = plan.stats
    labels_path = _write_hidden_labels(st, truth_path)
    doc = (
        _header(plan)
        | _written(truth, totals, line_counts, per_file)
        | _world()
        | _planted(plan, st)
        | {
            "experiments": _experiments(plan, st),
            "gates": _gates(plan, st),
            "bandits": _bandits(st),
            "labels": _labels(plan, st, labels_path),
            "versions": _versions(versions),
            "pii": truth.get("pii", []),
            "unknown_fields": truth.get("unknown_fields", {}),
        }
    )
    truth_path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _rate(x: list[int]) -> dict[str, Any]:
    return {"tasks": x[0], "successes": x[1], "rate": round(x[1] / x[0], 4) if x[0] else None}


def _header(plan: Plan) -> dict[str, Any]:
    return {
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
        "drift_day": plan.day_iso(plan.drift_day),
    }


def _written(
    truth: dict[str, Any],
    totals: dict[str, int],
    line_counts: dict[str, int],
    per_file: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """Counts per file and what an ingest of the whole folder must find."""
    files = {}
    for rel in sorted(line_counts):
        pf = per_file[rel]
        files[rel] = {"format": file_format(rel), "lines": line_counts[rel], **pf}
        if pf["accepted"] + pf["duplicate"] + pf["rejected"] != line_counts[rel]:
            raise RuntimeError(f"simulator bug: counts of {rel} do not add up")
    bad = truth.get("bad_by_reason", {})
    dups = truth.get("duplicates_by_type", {})
    lines = sum(line_counts.values())
    return {
        "events": totals,
        "lines": lines,
        "files": files,
        "expected_ingest": {
            "lines": lines,
            "accepted": sum(totals.values()),
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
    }


def _world() -> dict[str, Any]:
    return {
        "tenants": [{"tenant_id": t[0], "country": t[1], "traffic_share": t[2]} for t in TENANTS],
        "workflows": {
            w.name: {"primary_outcome": w.primary, "task_prefix": w.prefix} for w in WORKFLOWS
        },
        "secondary_outcomes": {"csat": "support_chat", "converted": "rag_qa"},
        "lineage": {
            "finetune_with_manifest": "ft-support-2026-11",
            "manifest_ids": ["dm-support-feedback-v1", "dm-rag-doc-clicks-v1"],
            "orphan_finetune": "ft-code-orphan",
            "orphan_manifest_id": "dm-unknown-0000",
        },
    }


def _planted(plan: Plan, st: dict[str, Any]) -> dict[str, Any]:
    """The planted changes and what came of them (tasks, outcomes, shadows, golden runs)."""
    daily = st.get("daily", {})
    return {
        "tasks": st.get("tasks", 0),
        "retries": {
            "tasks_by_interactions": st.get("tasks_by_n_interactions", {}),
            "retry_feedback": st.get("retry_feedback", 0),
            "rule": "the outcome belongs to the last non-shadow interaction",
        },
        "rollout": _rollout(plan, daily),
        "other_changes": _other_changes(plan),
        "outcomes_by_version_day": {
            k: {"tasks": v[0], "successes": v[1]} for k, v in sorted(daily.items())
        },
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
            "pass_bar": GOLDEN_PASS_BAR,
            "by_version": _golden_by_version(st),
        },
    }


def _golden_by_version(st: dict[str, Any]) -> list[dict[str, Any]]:
    """Golden runs per (workflow, model, prompt) as fct_golden_results must find them."""
    rows = []
    for key, acc in sorted(st.get("golden", {}).items()):
        workflow, model_id, model_version, prompt_version = key.split("|")
        n = acc["evaluations"]
        rows.append(
            {
                "workflow": workflow,
                "model_id": model_id,
                "model_version": model_version,
                "prompt_version": prompt_version,
                "evaluations": n,
                "passed": acc["passed"],
                "pass_rate": acc["passed"] / n,
                "score_mean": acc["score_sum"] / n,
                "tasks_covered": len(acc["tasks"]),
            }
        )
    return rows


def _rollout(plan: Plan, daily: dict[str, list[int]]) -> dict[str, Any]:
    by_version: dict[str, list[int]] = {}
    for key, (n, s) in daily.items():
        wf, pr, _day = key.split("|")
        acc = by_version.setdefault(f"{wf}|{pr}", [0, 0])
        acc[0] += n
        acc[1] += s
    return {
        "workflow": "support_chat",
        "metric": "resolved",
        "from": "support-v7",
        "to": "support-v8",
        "day": plan.day_iso(plan.rollout_day),
        "planted_effect": ROLLOUT_EFFECT,
        "observed": {
            pr: _rate(by_version.get(f"support_chat|{pr}", [0, 0]))
            for pr in ("support-v7", "support-v8")
        },
    }


def _other_changes(plan: Plan) -> list[dict[str, Any]]:
    """Changes with no planted effect: what an analysis must not credit."""
    return [
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
    ]


def _experiments(plan: Plan, st: dict[str, Any]) -> list[dict[str, Any]]:
    experiments = []
    for exp_id, ewf, effect, share in EXPERIMENTS:
        lo, hi = plan.exp_days[exp_id]
        arms = {
            name: _rate(st.get("exp", {}).get(f"{exp_id}|{v}", [0, 0]))
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
    return experiments


def _gates(plan: Plan, st: dict[str, Any]) -> dict[str, Any]:
    """What floop gate must decide about the planted candidates (issue 12)."""
    return {
        "srm": {
            "experiment_id": SRM_EXPERIMENT,
            "lost_treatment_share": SRM_LOST_SHARE,
            "lost_interactions": st.get("srm_lost_interactions", 0),
            "rule": "treatment interactions arrive without experiment_id/variant",
        },
        "guardrail_breach": {
            "experiment_id": GUARDRAIL_EXPERIMENT,
            "guardrail": "latency_p95",
            "treatment_latency_factor": GUARDRAIL_LATENCY_FACTOR,
        },
        "worse_shadow": {
            "workflow": WORKFLOWS[RAG].name,
            "prompt_version": PROMPTS[WORSE_SHADOW_PROMPT],
            "lost_good_answer_share": 0.5,
            "rule": "same input_hash as production; graded by groundedness",
        },
        "ramp": _ramp(plan, st),
        "expected_decisions": {
            "exp-rag-rerank": "promote",
            "exp-code-context": "not promote",
            SRM_EXPERIMENT: "unhealthy",
            GUARDRAIL_EXPERIMENT: "rollback",
            f"shadow {PROMPTS[WORSE_SHADOW_PROMPT]}": "not promote",
            f"ramp {PROMPTS[RAMP_PROMPT]}": "rollback",
        },
    }


def _ramp(plan: Plan, st: dict[str, Any]) -> dict[str, Any]:
    """The prompt ramped outside any experiment: its share per day and what came of it."""
    workflow = WORKFLOWS[RAMP_WORKFLOW].name
    observed: dict[str, list[int]] = {}
    for key, (n, s) in st.get("daily", {}).items():
        wf, pr, day = key.split("|")
        if wf == workflow and day >= plan.day_iso(plan.ramp_day):
            acc = observed.setdefault(pr, [0, 0])
            acc[0] += n
            acc[1] += s
    return {
        "workflow": workflow,
        "prompt_version": PROMPTS[RAMP_PROMPT],
        "incumbent": "code-v3",
        "first_day": plan.day_iso(plan.ramp_day),
        "share_by_day": {
            plan.day_iso(d): round(plan.ramp_share(d), 4) for d in range(plan.ramp_day, plan.days)
        },
        "planted_effect": RAMP_EFFECT,
        "observed_since_first_day": {pr: _rate(acc) for pr, acc in sorted(observed.items())},
        "rule": "the share of the workflow's tasks (every arm and the unenrolled alike) served "
        "by the ramped prompt grows each day; no experiment assigns it",
    }


def _bandits(st: dict[str, Any]) -> list[dict[str, Any]]:
    """The bandits: arms with their planted effect and what came of them. The simulator splits
    their tasks evenly over the arms whatever the router says; the arm with the largest effect
    is the one an allocation must favour."""
    bandits = []
    for bandit_id, bwf, arms in BANDITS:
        bandits.append(
            {
                "experiment_id": bandit_id,
                "workflow": WORKFLOWS[bwf].name,
                "metric": WORKFLOWS[bwf].primary,
                "mode": "bandit",
                "enrolled": "every task of the workflow that no experiment enrolled, all days",
                "simulated_split": "equal",
                "arms": {
                    arm: {
                        "planted_effect": effect,
                        "planted_rate": round(WORKFLOWS[bwf].base + effect, 4),
                        "observed": _rate(st.get(f"bandit|{bandit_id}|{arm}", [0, 0])),
                    }
                    for arm, effect in arms.items()
                },
                "best_arm": max(arms, key=lambda arm: arms[arm]),
            }
        )
    return bandits


def _labels(plan: Plan, st: dict[str, Any], labels_path: Path | None) -> dict[str, Any]:
    labelers = {}
    for name, acc in LABELERS:
        n, right = st.get(f"labels|{name}", [0, 0])
        labelers[name] = {
            "planted_accuracy": acc,
            "labels": n,
            "observed_accuracy": round(right / n, 4) if n else None,
        }
    return {
        "label_name": "correctness",
        "labelers": labelers,
        "taxonomy_change_day": plan.day_iso(plan.taxonomy_day),
        "taxonomies": TAXONOMY,
        "by_taxonomy": st.get("labels_by_taxonomy", {}),
        "hidden_truth_file": labels_path.name if labels_path else None,
        "rule": "taxonomy 1 has no partially_correct (it counts as incorrect)",
    }


def _write_hidden_labels(st: dict[str, Any], truth_path: Path) -> Path | None:
    """The true label of every labelled answer, as `<base>.truth_labels.parquet`; its path,
    or None when nothing was labelled."""
    hidden = st.get("hidden_labels", [])
    if not hidden:
        return None
    base = truth_path.name.removesuffix(".json").removesuffix(".truth")
    labels_path = truth_path.with_name(base + ".truth_labels.parquet")
    dcol = np.concatenate([h[0] for h in hidden])
    jcol = np.concatenate([h[1] for h in hidden])
    tcol = np.concatenate([h[2] for h in hidden])
    tbl = pa.table(
        {
            "output_id": pa.array([f"out-{a:03d}-{b}" for a, b in zip(dcol, jcol, strict=True)]),
            "label_name": pa.array(["correctness"] * len(tcol)),
            "true_label": pa.array(np.array(LABEL_VALUES, dtype=object)[tcol], pa.string()),
        }
    )
    pq.write_table(tbl, labels_path, compression="zstd")
    return labels_path


def _versions(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in ver.items() if not k.startswith("_")}
        | {
            "timestamp": datetime.fromtimestamp(ver["_ts"] / 1000, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        }
        for ver in versions
    ]
