"""Dataset policies: YAML files in `policies/` that say which rows and columns a dataset takes.

A policy is validated before anything touches the warehouse; every error names the file, the
key and what was expected, so a typo in a policy never turns into a silently different dataset.
The policy compiles to one DuckDB `where` clause (no Python loop over rows).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from floop import config
from floop.contract import load_contract
from floop.errors import OperationalError
from floop.feedback_filter import compile_feedback_filter

# What a dataset is for -> the consent_scope every row must carry (a boolean of the wide table).
PURPOSE_CONSENT: dict[str, str] = {
    "training": "has_training_consent",
    "evaluation": "has_evaluation_consent",
}

# Columns of marts.fct_interactions a policy may export. Text fields exist only redacted;
# user_key is a pseudonymous person key and never leaves the warehouse in a dataset.
EXPORTABLE_COLUMNS: tuple[str, ...] = (
    "output_id", "event_id", "tenant_id", "task_type", "task_id", "trace_id", "session_id",
    "country", "consent_scope", "has_analytics_consent", "has_evaluation_consent",
    "has_training_consent", "interacted_at", "interaction_date", "interaction_week",
    "prompt_version", "model_id", "model_version", "knowledge_version", "experiment_id",
    "variant", "is_shadow", "input_tokens", "output_tokens", "server_latency_ms",
    "client_latency_ms", "retrieved_count", "cited_count", "thumbs_up_count",
    "thumbs_down_count", "weighted_thumbs_up", "weighted_thumbs_down", "rating_mean",
    "comment_count", "comments_redacted", "edit_count", "edit_distance_mean", "is_copied",
    "is_retried", "is_abandoned", "is_escalated", "time_to_first_action_ms",
    "time_to_accept_ms", "doc_click_count", "eval_count", "eval_passed_count",
    "golden_task_id", "is_golden", "label_count", "labeler_count", "label_agreement",
    "carries_outcome", "is_superseded", "primary_outcome_metric", "primary_outcome_value",
    "primary_outcome_at", "secondary_outcomes", "has_feedback_before_interaction",
)  # fmt: skip

_NO_PERSON = "datasets carry no person identifiers"
_REDACTED_ONLY = "free text is exported only redacted: use comments_redacted"


def _refused_columns() -> dict[str, str]:
    """Asked-for columns that are refused, with the reason shown to the policy author: the
    contract's personal-data fields (and the keyed hash staging derives from each `_id`)."""
    refused: dict[str, str] = {}
    for name, kind in load_contract().personal_data_fields().items():
        if kind == "hash":
            refused[name] = f"personal data; {_NO_PERSON}"
            refused[name.removesuffix("_id") + "_key"] = f"a pseudonymous person key; {_NO_PERSON}"
        else:
            refused[name] = _REDACTED_ONLY
    refused["comments"] = refused["comment_text"] = _REDACTED_ONLY
    refused["feedback_text_redacted"] = "the wide table's redacted text column is comments_redacted"
    return refused


REFUSED_COLUMNS: dict[str, str] = _refused_columns()

# Columns every dataset has (they identify a row and its partition), whatever the policy lists.
KEY_COLUMNS: tuple[str, ...] = ("output_id", "task_id", "tenant_id", "task_type")


def _seed_workflows() -> tuple[str, ...]:
    """The workflow names of the seed `seeds/workflows.csv` (the one list of workflows)."""
    with open(config.WORKFLOWS_SEED, newline="", encoding="utf-8") as fh:
        return tuple(row["task_type"] for row in csv.DictReader(fh))


WORKFLOWS: tuple[str, ...] = _seed_workflows()
SHADOW_MODES: tuple[str, ...] = ("exclude", "include", "only")
PARTITION_KEYS: tuple[str, ...] = ("tenant", "compliance_domain")

TOP_KEYS: dict[str, str] = {
    "name": "required string, the file's stem",
    "description": "required string",
    "owner": "required string",
    "purpose": "required: training | evaluation",
    "window": "required mapping {days: int >= 1, end_offset_days: int >= 0}",
    "workflows": f"required list from {list(WORKFLOWS)}",
    "tenants": "optional mapping {include: [..]} or {exclude: [..]}",
    "shadow": f"optional, one of {list(SHADOW_MODES)} (default exclude)",
    "labeled_only": "optional boolean (default false)",
    "golden_only": "optional boolean (default false)",
    "exclude_superseded": "optional boolean (default false)",
    "feedback_filter": "optional string, e.g. 'thumbs down or edit distance > 0.5'",
    "min_label_agreement": "optional number in [0, 1]",
    "columns": "required list of column names of marts.fct_interactions",
    "split": "required mapping {eval_ratio: number in [0, 1], salt: string}",
    "partition_by": f"optional list from {list(PARTITION_KEYS)} (default both)",
}


class PolicyError(OperationalError):
    """A policy file that does not validate (one line: file, key, what was expected)."""


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    owner: str
    purpose: str
    window_days: int
    window_end_offset_days: int
    workflows: tuple[str, ...]
    tenants_include: tuple[str, ...]
    tenants_exclude: tuple[str, ...]
    shadow: str
    labeled_only: bool
    golden_only: bool
    exclude_superseded: bool
    feedback_filter: str | None
    min_label_agreement: float | None
    columns: tuple[str, ...]
    eval_ratio: float
    split_salt: str
    partition_by: tuple[str, ...]
    path: Path = field(compare=False)

    @property
    def consent_column(self) -> str:
        return PURPOSE_CONSENT[self.purpose]

    @property
    def output_columns(self) -> tuple[str, ...]:
        """Key columns first, then the policy's columns in its order (no repeats)."""
        cols = list(KEY_COLUMNS)
        cols += [c for c in self.columns if c not in cols]
        return tuple(cols)

    def definition(self) -> dict[str, Any]:
        """The normalised policy (defaults filled in): what the policy hash covers."""
        return {
            "name": self.name,
            "description": self.description,
            "owner": self.owner,
            "purpose": self.purpose,
            "required_consent": self.purpose,
            "window": {"days": self.window_days, "end_offset_days": self.window_end_offset_days},
            "workflows": list(self.workflows),
            "tenants": {
                "include": list(self.tenants_include),
                "exclude": list(self.tenants_exclude),
            },
            "shadow": self.shadow,
            "labeled_only": self.labeled_only,
            "golden_only": self.golden_only,
            "exclude_superseded": self.exclude_superseded,
            "feedback_filter": self.feedback_filter,
            "min_label_agreement": self.min_label_agreement,
            "columns": list(self.output_columns),
            "split": {"key": "task_id", "eval_ratio": self.eval_ratio, "salt": self.split_salt},
            "partition_by": list(self.partition_by),
        }

    @property
    def policy_hash(self) -> str:
        return sha256_json(self.definition())


def sha256_json(obj: Any) -> str:
    """sha256 of canonical JSON (sorted keys, no whitespace): stable across runs and machines."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def policy_path(name_or_path: str | Path, policies_dir: Path | None = None) -> Path:
    """A policy NAME (a file in policies/) or a path to a .yml file."""
    p = Path(name_or_path)
    if p.suffix in (".yml", ".yaml") and p.exists():
        return p.resolve()
    base = policies_dir or config.POLICIES_DIR
    for suffix in (".yml", ".yaml"):
        cand = base / f"{name_or_path}{suffix}"
        if cand.exists():
            return cand.resolve()
    known = sorted(q.stem for q in base.glob("*.y*ml")) if base.exists() else []
    raise PolicyError(f"no policy {str(name_or_path)!r} in {base} (known: {', '.join(known)})")


def list_policies(policies_dir: Path | None = None) -> list[Path]:
    base = policies_dir or config.POLICIES_DIR
    return sorted([*base.glob("*.yml"), *base.glob("*.yaml")])


def load_policy(name_or_path: str | Path, policies_dir: Path | None = None) -> Policy:
    path = policy_path(name_or_path, policies_dir)
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from exc
    return parse_policy(raw, path)


class _Checker:
    """Reads one key of a policy file at a time; every failure names the file, the key and
    what was expected."""

    def __init__(self, raw: dict[str, Any], path: Path) -> None:
        self.raw, self.path = raw, path

    def fail(
        self, key: str, expected: str, got: Any = None, *, show_got: bool = True
    ) -> PolicyError:
        tail = f", got {got!r}" if show_got else ""
        return PolicyError(f"{self.path}: key '{key}': expected {expected}{tail}")

    def string(self, key: str) -> str:
        v = self.raw.get(key)
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, "a non-empty string", v)
        return v.strip()

    def boolean(self, key: str) -> bool:
        v = self.raw.get(key, False)
        if not isinstance(v, bool):
            raise self.fail(key, "true or false", v)
        return v

    def str_list(self, key: str, v: Any, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise self.fail(key, "a list of non-empty strings", v)
        for x in v:
            if allowed is not None and x not in allowed:
                raise self.fail(key, f"values from {list(allowed)}", x)
        if len(set(v)) != len(v):
            raise self.fail(key, "no repeated values", v)
        return tuple(v)

    def keys(self) -> None:
        unknown = sorted(set(self.raw) - set(TOP_KEYS))
        if unknown:
            raise self.fail(unknown[0], f"one of the known keys {sorted(TOP_KEYS)}", unknown[0])
        for key, expected in TOP_KEYS.items():
            if expected.startswith("required") and key not in self.raw:
                raise self.fail(key, expected, show_got=False)

    def name(self) -> str:
        name = self.string("name")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise self.fail("name", "lower-case letters, digits and _ (it names folders)", name)
        if name != self.path.stem:
            raise self.fail("name", f"the file's stem {self.path.stem!r}", name)
        return name

    def purpose(self) -> str:
        purpose = self.string("purpose")
        if purpose not in PURPOSE_CONSENT:
            raise self.fail("purpose", f"one of {list(PURPOSE_CONSENT)}", purpose)
        return purpose

    def window(self) -> tuple[int, int]:
        window = self.raw["window"]
        if not isinstance(window, dict) or set(window) - {"days", "end_offset_days"}:
            raise self.fail("window", "a mapping with keys days, end_offset_days", window)
        days = window.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise self.fail("window.days", "an integer >= 1", days)
        offset = window.get("end_offset_days", 0)
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise self.fail("window.end_offset_days", "an integer >= 0", offset)
        return days, offset

    def workflows(self) -> tuple[str, ...]:
        workflows = self.str_list("workflows", self.raw["workflows"], WORKFLOWS)
        if not workflows:
            raise self.fail("workflows", "at least one workflow", workflows)
        return workflows

    def tenants(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        tenants = self.raw.get("tenants") or {}
        if not isinstance(tenants, dict) or set(tenants) - {"include", "exclude"}:
            raise self.fail("tenants", "a mapping with keys include and/or exclude", tenants)
        if tenants.get("include") and tenants.get("exclude"):
            raise self.fail("tenants", "include or exclude, not both", tenants)
        return (
            self.str_list("tenants.include", tenants.get("include", [])),
            self.str_list("tenants.exclude", tenants.get("exclude", [])),
        )

    def shadow(self) -> str:
        shadow = self.raw.get("shadow", "exclude")
        if shadow not in SHADOW_MODES:
            raise self.fail("shadow", f"one of {list(SHADOW_MODES)}", shadow)
        return shadow

    def feedback_filter(self) -> str | None:
        feedback = self.raw.get("feedback_filter")
        if feedback is None:
            return None
        if not isinstance(feedback, str) or not feedback.strip():
            raise self.fail("feedback_filter", "a non-empty string", feedback)
        try:
            compile_feedback_filter(feedback)
        except ValueError as exc:
            raise self.fail("feedback_filter", str(exc), feedback) from exc
        return " ".join(feedback.split())

    def fraction(self, key: str, value: Any) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
            raise self.fail(key, "a number in [0, 1]", value)
        return float(value)

    def columns(self) -> tuple[str, ...]:
        columns = self.raw["columns"]
        if not isinstance(columns, list) or not columns:
            raise self.fail("columns", "a non-empty list of column names", columns)
        for c in columns:
            if c in REFUSED_COLUMNS:
                raise self.fail("columns", f"no {c!r} ({REFUSED_COLUMNS[c]})", c)
            if c not in EXPORTABLE_COLUMNS:
                raise self.fail("columns", "columns of marts.fct_interactions", c)
        return self.str_list("columns", columns)

    def split(self) -> tuple[float, str]:
        split = self.raw["split"]
        if not isinstance(split, dict) or set(split) - {"eval_ratio", "salt"}:
            raise self.fail("split", "a mapping with keys eval_ratio, salt", split)
        ratio = self.fraction("split.eval_ratio", split.get("eval_ratio"))
        salt = split.get("salt", "")
        if not isinstance(salt, str):
            raise self.fail("split.salt", "a string", salt)
        return ratio, salt


def parse_policy(raw: Any, path: Path) -> Policy:
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: expected a mapping of policy keys, got {type(raw).__name__}")
    check = _Checker(raw, path)
    check.keys()
    days, offset = check.window()
    include, exclude = check.tenants()
    agreement = raw.get("min_label_agreement")
    ratio, salt = check.split()
    return Policy(
        name=check.name(),
        description=check.string("description"),
        owner=check.string("owner"),
        purpose=check.purpose(),
        window_days=days,
        window_end_offset_days=offset,
        workflows=check.workflows(),
        tenants_include=include,
        tenants_exclude=exclude,
        shadow=check.shadow(),
        labeled_only=check.boolean("labeled_only"),
        golden_only=check.boolean("golden_only"),
        exclude_superseded=check.boolean("exclude_superseded"),
        feedback_filter=check.feedback_filter(),
        min_label_agreement=(
            None if agreement is None else check.fraction("min_label_agreement", agreement)
        ),
        columns=check.columns(),
        eval_ratio=ratio,
        split_salt=salt,
        partition_by=check.str_list(
            "partition_by", raw.get("partition_by", list(PARTITION_KEYS)), PARTITION_KEYS
        ),
        path=path,
    )
