"""Where the contract fields that traces do not carry come from: the mapping YAML.

Traces name a model, tokens and latency, but rarely the tenant, the workflow, the user's
country or consent. For each such field the mapping lists the attributes to read (span
attributes first, then the resource's; the first present, non-empty one wins) and a default
used when none is there. A field that ends with no value is left out of the event, so ingest
quarantines it with the usual `missing_required` reason; the import counts it.

The file (`--mapping`) overrides the built-in rules field by field:

    fields:
      tenant_id: {attributes: [tenant.id], default: acme}
      country: {default: DE}

`--tenant T` sets the default of tenant_id; `--task-type-from ATTR` reads task_type from ATTR
before the other attributes. docs/import.md has the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from floop.errors import UsageError


@dataclass(frozen=True)
class FieldRule:
    attributes: tuple[str, ...] = ()
    default: Any = None


# The built-in rules. No default for what decides who owns the data or how it may be used
# (tenant, workflow, country, consent): a guessed value there would be silently wrong.
# Version names default to "unversioned" because the sources seldom carry them and no
# decision rests on that value alone. session_id and task_id fall back to the trace id (a
# trace is one request: its own session and task) in the importers, after these rules.
DEFAULT_RULES: dict[str, FieldRule] = {
    "tenant_id": FieldRule(("floop.tenant_id", "tenant.id", "tenant_id")),
    "task_type": FieldRule(("floop.task_type",)),
    "task_id": FieldRule(("floop.task_id",)),
    "session_id": FieldRule(("gen_ai.conversation.id", "session.id", "floop.session_id")),
    "user_id": FieldRule(("user.id", "enduser.id", "gen_ai.request.user", "floop.user_id")),
    "consent_scope": FieldRule(("floop.consent_scope",)),
    "country": FieldRule(("floop.country", "geo.country.iso_code", "user.country")),
    "prompt_version": FieldRule(
        ("gen_ai.prompt.name", "llm.prompt_template.version", "floop.prompt_version"),
        "unversioned",
    ),
    "knowledge_version": FieldRule(("floop.knowledge_version", "gen_ai.data_source.id")),
    "evaluator_version": FieldRule(("floop.evaluator_version",), "unversioned"),
    "taxonomy_version": FieldRule(("floop.taxonomy_version",), "unversioned"),
    "actor_role": FieldRule(("floop.actor_role",), "end_user"),
}

# Fields whose value is a list of strings (an attribute may hold "a,b" or a list).
LIST_FIELDS = frozenset({"consent_scope"})


@dataclass(frozen=True)
class FieldMapping:
    """The rules in force for one import."""

    rules: Mapping[str, FieldRule]

    def resolve(
        self, name: str, sources: Iterable[Mapping[str, Any]], fallback: Any = None
    ) -> Any:
        """The value of contract field NAME: the first of the rule's attributes present in
        SOURCES (in order), else the rule's default, else FALLBACK (None: leave it out)."""
        rule = self.rules[name]
        sources = list(sources)
        for attr in rule.attributes:
            for src in sources:
                value = src.get(attr)
                if value is not None and value != "" and value != []:
                    return _shape(name, value)
        if rule.default is not None:
            return _shape(name, rule.default)
        return fallback


    def context(self, sources: Iterable[Mapping[str, Any]], trace_id: str | None) -> dict[str, Any]:
        """The envelope fields traces seldom carry; session and task fall back to the trace."""
        sources = list(sources)
        return {
            "tenant_id": self.resolve("tenant_id", sources),
            "trace_id": trace_id,
            "session_id": self.resolve("session_id", sources, trace_id),
            "user_id": self.resolve("user_id", sources),
            "task_type": self.resolve("task_type", sources),
            "task_id": self.resolve("task_id", sources, trace_id),
            "country": self.resolve("country", sources),
            "consent_scope": self.resolve("consent_scope", sources),
        }


def _shape(name: str, value: Any) -> Any:
    if name in LIST_FIELDS:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return [str(value)]
    if isinstance(value, list | tuple | dict):
        return value  # left as is: ingest rejects it as wrong_type, with the line kept
    return str(value)


def load_mapping(
    path: Path | None = None, tenant: str | None = None, task_type_from: str | None = None
) -> FieldMapping:
    """The built-in rules, overridden by the YAML at PATH, then by --tenant and
    --task-type-from. Raises UsageError naming the file and key for a bad mapping."""
    rules = dict(DEFAULT_RULES)
    if path is not None:
        rules.update(_read_rules(Path(path), rules))
    if tenant:
        rules["tenant_id"] = replace(rules["tenant_id"], default=tenant)
    if task_type_from:
        attrs = rules["task_type"].attributes
        rules["task_type"] = replace(rules["task_type"], attributes=(task_type_from, *attrs))
    return FieldMapping(rules)


def _read_rules(path: Path, base: dict[str, FieldRule]) -> dict[str, FieldRule]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"mapping {path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"mapping {path}: not YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(doc, dict) or set(doc) - {"fields"}:
        raise UsageError(f"mapping {path}: expected one top-level key `fields`")
    fields = doc.get("fields") or {}
    if not isinstance(fields, dict):
        raise UsageError(f"mapping {path}: `fields` must map field names to rules")
    out: dict[str, FieldRule] = {}
    for name, spec in fields.items():
        where = f"mapping {path}: fields.{name}"
        if name not in base:
            raise UsageError(f"{where}: not a mappable field (one of {', '.join(base)})")
        if not isinstance(spec, dict) or set(spec) - {"attributes", "default"}:
            raise UsageError(f"{where}: expected a map with `attributes` and/or `default`")
        rule = base[name]
        if "attributes" in spec:
            attrs = spec["attributes"]
            if not isinstance(attrs, list) or not all(isinstance(a, str) for a in attrs):
                raise UsageError(f"{where}.attributes: expected a list of attribute names")
            rule = replace(rule, attributes=tuple(attrs))
        if "default" in spec:
            rule = replace(rule, default=spec["default"])
        out[name] = rule
    return out
