"""SQL over the numpy columns: a typed view per event type (contract fields, NULL = absent)
and the JSON line of a row."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from floop.contract import load_contract
from floop.simulate.anomalies import DRIFT_FIELDS
from floop.simulate.world import (
    COMMENTS,
    CONSENT_SETS,
    COUNTRIES,
    DAY_MS,
    EVALUATORS,
    EXPERIMENT_IDS,
    FEEDBACK_P,
    LABEL_VALUES,
    LABELERS,
    METRICS,
    MODELS,
    PROMPTS,
    ROLES,
    TENANT_NAMES,
    TENANTS,
    VARIANTS,
    WORKFLOWS,
)
from floop.sql import sql_str

# Columns the writers need besides the contract fields.
META = ["_file", "_ord", "_json", "_dup", "_dupfile", "_bad", "_ts", "_k", "_kdup", "_kbad"]


def _lst(values: list[str]) -> str:
    """VALUES as a DuckDB list literal, indexed 1-based by the numpy codes (+ 1)."""
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


_TENANTS = _lst(TENANT_NAMES)
_WFS = _lst([w.name for w in WORKFLOWS])
_PREFIXES = _lst([w.prefix for w in WORKFLOWS])
_DOC_PREFIXES = _lst([w.doc_prefix for w in WORKFLOWS])
_MODEL_IDS = _lst([m[0] for m in MODELS])
_MODEL_VERSIONS = _lst([m[1] for m in MODELS])
_USER = "case when user >= 0 then 'u-' || (" + _TENANTS + ")[_ten + 1] || '-' || user end"
_OUT_ID = "'out-{day}-' || ij"
_TRACE = "'tr-{day}-' || ij"


def _ts_sql() -> str:
    """RFC 3339 text of `_ts` in the tenant's style (see world.TENANTS)."""
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


def view_exprs(event_type: str, days: int) -> dict[str, str]:
    """SQL per contract field over the numpy columns (NULL = field absent). Ids carry the
    origin day as a tag (from a constant list: cheaper than printf), then a counter."""
    tags = _lst([f"{d:03d}" for d in range(days)])
    day = f"' || ({tags})[_d + 1] || '"
    return {k: v.replace("{day}", day) for k, v in _exprs_raw(event_type).items()}


def _exprs_raw(event_type: str) -> dict[str, str]:
    """The expressions with `{day}` where the origin day's tag goes."""
    if event_type == "version":
        return _version()
    if event_type not in _BY_TYPE:
        raise KeyError(event_type)
    env = {
        "event_type": f"'{event_type}'",
        "schema_version": "case when _j % 10 = 3 then '1.2' else '1' end",
        "timestamp": _ts_sql(),
    }
    return env | _BY_TYPE[event_type]()


def _interaction() -> dict[str, str]:
    docs = "[" + ", ".join(f"({_DOC_PREFIXES})[wf + 1] || d{j}" for j in range(5)) + "]"
    consent = "[" + ", ".join(_lst(c) if c else "[]::varchar[]" for c in CONSENT_SETS) + "]"
    return {
        "event_id": "'ev-i-{day}-' || _j",
        "tenant_id": f"({_TENANTS})[_ten + 1]",
        "trace_id": "'tr-{day}-' || _j",
        "session_id": "'ses-{day}-' || task_j",
        "user_id": _USER,
        "task_type": f"({_WFS})[wf + 1]",
        "task_id": f"({_PREFIXES})[wf + 1] || '-{{day}}-' || task_j",
        "country": f"({_lst(COUNTRIES)})[ctry + 1]",
        "consent_scope": f"({consent})[consent + 1]",
        "redaction_flags": "case redact when 1 then ['email'] when 2 then ['email', 'phone'] end",
        "output_id": "'out-{day}-' || _j",
        "input_hash": "lpad(to_hex(ihash), 16, '0')",
        "prompt_version": f"({_lst(PROMPTS)})[prompt + 1]",
        "model_id": f"({_MODEL_IDS})[model + 1]",
        "model_version": f"({_MODEL_VERSIONS})[model + 1]",
        "retrieval_ids": f"case when nk > 0 then list_slice({docs}, 1, nk) end",
        "cited_ids": f"case when nk > 0 then list_slice({docs}, 1, cited) end",
        "knowledge_version": "case when nk > 0 then 'kb-' || strftime(epoch_ms(_ts - "
        f"(_d - kb_day) * {DAY_MS}), '%Y-%m-%d') end",
        "input_tokens": "case when in_tok >= 0 then in_tok end",
        "output_tokens": "out_tok",
        "client_latency_ms": "case when not isnan(cli) then cli end",
        "server_latency_ms": "srv",
        "experiment_id": f"case when exp >= 0 then ({_lst(EXPERIMENT_IDS)})[exp + 1] end",
        "variant": f"case when var >= 0 then ({_lst(VARIANTS)})[var + 1] end",
        "is_shadow": "case shadow when 1 then true when 0 then false end",
    }


def _feedback() -> dict[str, str]:
    return {
        "event_id": "'ev-f-{day}-' || _j",
        "tenant_id": f"({_TENANTS})[_ten + 1]",
        "trace_id": _TRACE,
        "user_id": _USER,
        "output_id": _OUT_ID,
        "feedback_type": f"({_lst(list(FEEDBACK_P))})[ft + 1]",
        "feedback_value": "val",
        "feedback_text": f"case when pii_text is not null then pii_text "
        f"when text_i >= 0 then ({_lst(COMMENTS)})[text_i + 1] end",
        "document_id": f"case when doc >= 0 then ({_DOC_PREFIXES})[wf + 1] || doc end",
        "actor_role": f"({_lst(ROLES)})[role + 1]",
        "actor_id": f"case when user >= 0 and role <> {ROLES.index('anonymous')} then "
        f"'act-' || ({_TENANTS})[_ten + 1] || '-' || user end",
    }


def _outcome() -> dict[str, str]:
    return {
        "event_id": "'ev-o-{day}-' || _j",
        "tenant_id": f"({_TENANTS})[_ten + 1]",
        "user_id": _USER,
        "task_type": f"({_WFS})[wf + 1]",
        "task_id": f"({_PREFIXES})[wf + 1] || '-{{day}}-' || task_j",
        "outcome_metric_name": f"({_lst(METRICS)})[metric + 1]",
        "outcome_metric_value": "val",
    }


def _evaluation() -> dict[str, str]:
    return {
        "event_id": "'ev-e-{day}-' || _j",
        "tenant_id": f"({_TENANTS})[_ten + 1]",
        "trace_id": "case when ij >= 0 then 'tr-{day}-' || ij else 'tr-gold-{day}-' || gj end",
        "output_id": "case when ij >= 0 then 'out-{day}-' || ij else 'gold-out-{day}-' || gj end",
        "evaluator_id": f"({_lst([e[0] for e in EVALUATORS])})[ev + 1]",
        "evaluator_version": f"({_lst([e[1] for e in EVALUATORS])})[ev + 1]",
        "eval_metric": f"({_lst([e[2] for e in EVALUATORS])})[ev + 1]",
        "eval_value": "val",
        "eval_passed": "case passed when 1 then true when 0 then false end",
        "golden_task_id": f"case when golden >= 0 then 'golden-' || ({_PREFIXES})[wf + 1] "
        "|| '-' || golden end",
        "prompt_version": f"case when gprompt >= 0 then ({_lst(PROMPTS)})[gprompt + 1] end",
        "model_id": f"case when gmodel >= 0 then ({_MODEL_IDS})[gmodel + 1] end",
        "model_version": f"case when gmodel >= 0 then ({_MODEL_VERSIONS})[gmodel + 1] end",
    }


def _label() -> dict[str, str]:
    return {
        "event_id": "'ev-l-{day}-' || _j",
        "tenant_id": f"({_TENANTS})[_ten + 1]",
        "trace_id": _TRACE,
        "output_id": _OUT_ID,
        "labeler_id": f"({_lst([x[0] for x in LABELERS])})[labeler + 1]",
        "taxonomy_version": "taxo::varchar",
        "label_name": "'correctness'",
        "label_value": f"({_lst(LABEL_VALUES)})[val + 1]",
    }


def _version() -> dict[str, str]:
    """Versions are not per origin day and carry plain UTC timestamps."""
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


_BY_TYPE: dict[str, Callable[[], dict[str, str]]] = {
    "interaction": _interaction,
    "feedback": _feedback,
    "outcome": _outcome,
    "evaluation": _evaluation,
    "label": _label,
}


def create_view(con: duckdb.DuckDBPyConnection, event_type: str, source: str, days: int) -> None:
    """The day's events of one type with contract fields typed (timestamps stay RFC 3339
    text, as emitters send them). A view: each writer computes only the rows it needs."""
    contract = load_contract()
    exprs = view_exprs(event_type, days)
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


def line_sql(event_type: str) -> str:
    """One JSON object per row: fields in contract order, absent when NULL."""
    parts = []
    names = load_contract().field_names(event_type)
    extra = DRIFT_FIELDS.get(event_type)
    for name in [*names, *([extra] if extra else [])]:
        parts.append(f'\',"{name}":\' || to_json("{name}")')
    return "'{' || substr(concat(" + ", ".join(parts) + "), 2) || '}'"
