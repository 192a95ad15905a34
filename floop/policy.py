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

# Names usable in a feedback filter. Booleans are predicates; numbers are compared.
FEEDBACK_PREDICATES: dict[str, str] = {
    "thumbs_down": "coalesce(thumbs_down_count, 0) > 0",
    "thumbs_up": "coalesce(thumbs_up_count, 0) > 0",
    "edited": "coalesce(edit_count, 0) > 0",
    "commented": "coalesce(comment_count, 0) > 0",
    "copied": "coalesce(is_copied, false)",
    "retried": "coalesce(is_retried, false)",
    "abandoned": "coalesce(is_abandoned, false)",
    "escalated": "coalesce(is_escalated, false)",
    "labeled": "coalesce(label_count, 0) > 0",
    "golden": "coalesce(is_golden, false)",
    "has_outcome": "coalesce(carries_outcome, false)",
}
FEEDBACK_NUMBERS: dict[str, str] = {
    "edit_distance": "edit_distance_mean",
    "rating": "rating_mean",
    "thumbs_down_count": "thumbs_down_count",
    "thumbs_up_count": "thumbs_up_count",
    "label_agreement": "label_agreement",
    "outcome_value": "primary_outcome_value",
    "eval_passed_count": "eval_passed_count",
    "eval_count": "eval_count",
    "latency_ms": "server_latency_ms",
}
_COMPARATORS = ("<=", ">=", "!=", "=", "<", ">")
_BOOL_WORDS = ("and", "or", "not")

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


def parse_policy(raw: Any, path: Path) -> Policy:
    def fail(key: str, expected: str, got: Any = None, *, show_got: bool = True) -> PolicyError:
        tail = f", got {got!r}" if show_got else ""
        return PolicyError(f"{path}: key '{key}': expected {expected}{tail}")

    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: expected a mapping of policy keys, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(TOP_KEYS))
    if unknown:
        raise fail(unknown[0], f"one of the known keys {sorted(TOP_KEYS)}", unknown[0])
    for key, expected in TOP_KEYS.items():
        if expected.startswith("required") and key not in raw:
            raise fail(key, expected, show_got=False)

    def string(key: str) -> str:
        v = raw.get(key)
        if not isinstance(v, str) or not v.strip():
            raise fail(key, "a non-empty string", v)
        return v.strip()

    def boolean(key: str) -> bool:
        v = raw.get(key, False)
        if not isinstance(v, bool):
            raise fail(key, "true or false", v)
        return v

    def str_list(key: str, v: Any, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise fail(key, "a list of non-empty strings", v)
        if allowed is not None:
            for x in v:
                if x not in allowed:
                    raise fail(key, f"values from {list(allowed)}", x)
        if len(set(v)) != len(v):
            raise fail(key, "no repeated values", v)
        return tuple(v)

    name = string("name")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise fail("name", "lower-case letters, digits and _ (it names folders)", name)
    if name != path.stem:
        raise fail("name", f"the file's stem {path.stem!r}", name)

    purpose = string("purpose")
    if purpose not in PURPOSE_CONSENT:
        raise fail("purpose", f"one of {list(PURPOSE_CONSENT)}", purpose)

    window = raw["window"]
    if not isinstance(window, dict) or set(window) - {"days", "end_offset_days"}:
        raise fail("window", "a mapping with keys days, end_offset_days", window)
    days = window.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise fail("window.days", "an integer >= 1", days)
    offset = window.get("end_offset_days", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise fail("window.end_offset_days", "an integer >= 0", offset)

    workflows = str_list("workflows", raw["workflows"], WORKFLOWS)
    if not workflows:
        raise fail("workflows", "at least one workflow", workflows)

    tenants = raw.get("tenants") or {}
    if not isinstance(tenants, dict) or set(tenants) - {"include", "exclude"}:
        raise fail("tenants", "a mapping with keys include and/or exclude", tenants)
    if tenants.get("include") and tenants.get("exclude"):
        raise fail("tenants", "include or exclude, not both", tenants)
    include = str_list("tenants.include", tenants.get("include", []))
    exclude = str_list("tenants.exclude", tenants.get("exclude", []))

    shadow = raw.get("shadow", "exclude")
    if shadow not in SHADOW_MODES:
        raise fail("shadow", f"one of {list(SHADOW_MODES)}", shadow)

    feedback = raw.get("feedback_filter")
    if feedback is not None:
        if not isinstance(feedback, str) or not feedback.strip():
            raise fail("feedback_filter", "a non-empty string", feedback)
        try:
            compile_feedback_filter(feedback)
        except ValueError as exc:
            raise fail("feedback_filter", str(exc), feedback) from exc
        feedback = " ".join(feedback.split())

    agreement = raw.get("min_label_agreement")
    if agreement is not None and (
        not isinstance(agreement, int | float)
        or isinstance(agreement, bool)
        or not 0 <= agreement <= 1
    ):
        raise fail("min_label_agreement", "a number in [0, 1]", agreement)

    columns = raw["columns"]
    if not isinstance(columns, list) or not columns:
        raise fail("columns", "a non-empty list of column names", columns)
    for c in columns:
        if c in REFUSED_COLUMNS:
            raise fail("columns", f"no {c!r} ({REFUSED_COLUMNS[c]})", c)
        if c not in EXPORTABLE_COLUMNS:
            raise fail("columns", "columns of marts.fct_interactions", c)
    columns_t = str_list("columns", columns)

    split = raw["split"]
    if not isinstance(split, dict) or set(split) - {"eval_ratio", "salt"}:
        raise fail("split", "a mapping with keys eval_ratio, salt", split)
    ratio = split.get("eval_ratio")
    if not isinstance(ratio, int | float) or isinstance(ratio, bool) or not 0 <= ratio <= 1:
        raise fail("split.eval_ratio", "a number in [0, 1]", ratio)
    salt = split.get("salt", "")
    if not isinstance(salt, str):
        raise fail("split.salt", "a string", salt)

    partition_by = str_list(
        "partition_by", raw.get("partition_by", list(PARTITION_KEYS)), PARTITION_KEYS
    )

    return Policy(
        name=name,
        description=string("description"),
        owner=string("owner"),
        purpose=purpose,
        window_days=days,
        window_end_offset_days=offset,
        workflows=workflows,
        tenants_include=include,
        tenants_exclude=exclude,
        shadow=shadow,
        labeled_only=boolean("labeled_only"),
        golden_only=boolean("golden_only"),
        exclude_superseded=boolean("exclude_superseded"),
        feedback_filter=feedback,
        min_label_agreement=None if agreement is None else float(agreement),
        columns=columns_t,
        eval_ratio=float(ratio),
        split_salt=salt,
        partition_by=partition_by,
        path=path,
    )


# --- the feedback filter: a tiny boolean language compiled to SQL over a whitelist ---------

_TOKEN = re.compile(r"\s*(<=|>=|!=|=|<|>|\(|\)|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"an expression of names, and/or/not, comparisons (at {text[pos:]!r})")
        out.append(m.group(1))
        pos = m.end()
    # Multi-word names ("thumbs down", "edit distance") become one name ("thumbs_down").
    merged: list[str] = []
    for tok in out:
        is_word = re.fullmatch(r"[A-Za-z_]\w*", tok) and tok.lower() not in _BOOL_WORDS
        prev_word = (
            merged
            and re.fullmatch(r"[A-Za-z_]\w*", merged[-1])
            and merged[-1].lower() not in _BOOL_WORDS
        )
        if is_word and prev_word:
            merged[-1] = f"{merged[-1]}_{tok}"
        else:
            merged.append(tok.lower() if is_word or tok.lower() in _BOOL_WORDS else tok)
    return merged


def compile_feedback_filter(text: str) -> str:
    """'thumbs down or edit distance > 0.5' -> a SQL boolean over fct_interactions columns.

    Only whitelisted names, numbers and operators are accepted, so a policy cannot inject SQL.
    Comparisons on a null value are false (coalesce), so unknown never passes a filter.
    """
    toks = _tokens(text)
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise ValueError("a complete expression (it ends too early)")
        pos += 1
        return toks[pos - 1]

    def expr_or() -> str:
        parts = [expr_and()]
        while peek() == "or":
            take()
            parts.append(expr_and())
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def expr_and() -> str:
        parts = [expr_not()]
        while peek() == "and":
            take()
            parts.append(expr_not())
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def expr_not() -> str:
        if peek() == "not":
            take()
            return f"(not {expr_not()})"
        return atom()

    def atom() -> str:
        tok = take()
        if tok == "(":
            inner = expr_or()
            if take() != ")":
                raise ValueError("a closing parenthesis")
            return inner
        if tok in FEEDBACK_PREDICATES:
            return f"({FEEDBACK_PREDICATES[tok]})"
        if tok in FEEDBACK_NUMBERS:
            op = take()
            if op not in _COMPARATORS:
                raise ValueError(f"a comparison after {tok!r} ({' '.join(_COMPARATORS)})")
            num = take()
            if not re.fullmatch(r"-?\d+(?:\.\d+)?", num):
                raise ValueError(f"a number after {tok} {op}")
            return f"coalesce({FEEDBACK_NUMBERS[tok]} {op} {num}, false)"
        names = sorted([*FEEDBACK_PREDICATES, *FEEDBACK_NUMBERS])
        raise ValueError(f"a known name ({', '.join(names)}) instead of {tok!r}")

    sql = expr_or()
    if pos != len(toks):
        raise ValueError(f"and/or between terms (unexpected {toks[pos]!r})")
    return sql
