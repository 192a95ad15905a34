"""The v1 event contract, loaded from ``contract/events_v1.yml`` (the one source of truth).

Everything that needs a rule of the contract (ingest SQL, raw DDL, dbt source and staging
types, the GX suite) reads it from here instead of typing it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONTRACT_PATH = Path(__file__).parent / "contract" / "events_v1.yml"

# Contract type -> DuckDB column type of the raw tables and staging models.
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "string_list": "VARCHAR[]",
}

# Bookkeeping columns every raw event table carries after the contract's fields.
RAW_META_COLUMNS: list[tuple[str, str]] = [
    ("_extra_fields", "JSON"),  # fields the contract does not name, kept as landed
    ("_source_file", "VARCHAR"),
    ("_line_number", "BIGINT"),
    ("_load_id", "VARCHAR"),
    ("_ingested_at", "TIMESTAMP"),
]

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = False
    required_when: dict[str, Any] | None = None
    enum: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    values_by: dict[str, Any] | None = None
    pii: str | None = None
    default: Any = None
    description: str = ""
    envelope: bool = False

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Contract:
    raw: dict[str, Any] = field(repr=False)

    @property
    def version(self) -> str:
        return str(self.raw["version"])

    @property
    def event_types(self) -> list[str]:
        return list(self.raw["enums"]["event_type"])

    @property
    def enums(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.raw["enums"].items()}

    @property
    def feedback_kinds(self) -> dict[str, str]:
        return dict(self.raw["feedback_kinds"])

    @property
    def reason_codes(self) -> list[str]:
        return list(self.raw["reason_codes"])

    @property
    def schema_version_pattern(self) -> str:
        return str(self.raw["schema_version"]["pattern"])

    @property
    def timestamp_pattern(self) -> str:
        return str(self.raw["timestamp"]["pattern"])

    @property
    def max_future_hours(self) -> float:
        return float(self.raw["timestamp"]["max_future_hours"])

    @property
    def batch_quality(self) -> dict[str, Any]:
        return dict(self.raw.get("batch_quality", {}))

    def description(self, event_type: str) -> str:
        return str(self.raw["events"][event_type]["description"])

    def fields(self, event_type: str) -> list[FieldSpec]:
        """Envelope fields, then the event type's own, with `required` resolved for the type."""
        if event_type not in self.raw["events"]:
            raise KeyError(f"unknown event type {event_type!r}")
        out: list[FieldSpec] = []
        for spec in self.raw["envelope"]:
            spec = dict(spec)
            required_for = spec.pop("required_for", None)
            if required_for is not None:
                spec["required"] = event_type in required_for
            out.append(FieldSpec(envelope=True, **spec))
        for spec in self.raw["events"][event_type]["fields"]:
            out.append(FieldSpec(**spec))
        return out

    def field_names(self, event_type: str) -> list[str]:
        return [f.name for f in self.fields(event_type)]

    def all_field_names(self) -> set[str]:
        return {f.name for t in self.event_types for f in self.fields(t)}

    def personal_data_fields(self) -> dict[str, str]:
        """Field name -> how it is protected (`hash` or `redact`), for every field marked `pii`."""
        return {
            f.name: f.pii for t in self.event_types for f in self.fields(t) if f.pii is not None
        }

    def raw_table(self, event_type: str) -> str:
        return f"{RAW_SCHEMA}.{event_type}_events"

    def raw_columns(self, event_type: str) -> list[tuple[str, str]]:
        cols = [(f.name, f.duckdb_type) for f in self.fields(event_type)]
        return cols + RAW_META_COLUMNS

    def raw_ddl(self, event_type: str) -> str:
        cols = ",\n  ".join(f'"{n}" {t}' for n, t in self.raw_columns(event_type))
        return f"create table if not exists {self.raw_table(event_type)} (\n  {cols}\n)"


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    with open(path, encoding="utf-8") as fh:
        return Contract(yaml.safe_load(fh))
