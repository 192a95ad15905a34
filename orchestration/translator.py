"""How dbt's graph becomes Dagster assets: raw sources are the tables `floop ingest` writes,
one group per layer, marts carry a freshness policy, every dbt test a check with a
description, and the dataset-lineage models wait for the exports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject

from floop.contract import RAW_SCHEMA

# Marts are rebuilt by the daily schedule: warn after a day without a materialization,
# fail after a day and a few hours of slack.
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=30), warn_window=timedelta(hours=25)
)
# The Dagster group of each dbt folder (models/<folder>/...): one group per layer. The
# semantic layer's time spine lives in schema marts; seeds are reference data.
GROUPS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
    "semantic": "marts",
}
REFERENCE_GROUP = "reference"
# dbt models downstream of the registry `floop export` writes: built by their own dbt step
# after the exports, so one run's lineage mart and analyst copy list that run's manifests.
LINEAGE_SELECT = "source:registry+"
# dbt `meta.owner` (set per folder in dbt_project.yml) -> Dagster owner "team:<owner>".
OWNER_META = "owner"


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_SCHEMA, table])


class FloopTranslator(DagsterDbtTranslator):
    """dbt sources in schema raw are the tables `floop ingest` writes; groups by layer; marts
    get freshness; EXTRA_DEPS (dbt model name -> asset keys) adds upstream assets dbt does not
    know about (the exports upstream of the registry's staging model)."""

    def __init__(self, extra_deps: Mapping[str, Sequence[dg.AssetKey]] | None = None) -> None:
        super().__init__()
        self.extra_deps = dict(extra_deps or {})

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if (
            dbt_resource_props.get("resource_type") == "source"
            and dbt_resource_props.get("schema") == RAW_SCHEMA
        ):
            return raw_key(dbt_resource_props.get("identifier") or dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        kind = dbt_resource_props.get("resource_type")
        if kind == "seed":
            return REFERENCE_GROUP
        if kind == "source":
            return "raw" if dbt_resource_props.get("schema") == RAW_SCHEMA else "exports"
        fqn = dbt_resource_props.get("fqn") or []
        return GROUPS.get(fqn[1] if len(fqn) > 2 else "", "marts")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        meta = {
            **(dbt_resource_props.get("meta") or {}),
            **((dbt_resource_props.get("config") or {}).get("meta") or {}),
        }
        owner = meta.get(OWNER_META)
        return [f"team:{owner}"] if owner else super().get_owners(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") == "model" and props.get("schema") == "marts":
            spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
        extra = self.extra_deps.get(props.get("name", "")) if props.get("resource_type") else None
        if extra and props.get("resource_type") == "model":
            spec = spec.merge_attributes(deps=list(extra))
        return spec

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = self.get_resource_props(manifest, unique_id)
        return dg.AssetCheckSpec(
            spec.name,
            asset=spec.asset_key,
            description=describe_test(test, asset_spec.key),
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
        )


def describe_test(test: Mapping[str, Any], asset: dg.AssetKey) -> str:
    """One sentence for a dbt test: its own description when it has one, else what the
    generic test asserts about which column of which model."""
    config = test.get("config") or {}
    own = (
        test.get("description")
        or (config.get("meta") or {}).get("description")
        or (test.get("meta") or {}).get("description")
    )
    severity = " Warns, never blocks." if str(config.get("severity", "")).lower() == "warn" else ""
    if own:
        return " ".join(str(own).split()) + severity
    model = asset.path[-1]
    meta = test.get("test_metadata") or {}
    kwargs = meta.get("kwargs") or {}
    column = test.get("column_name") or kwargs.get("column_name")
    name = meta.get("name")
    if name is None:
        path = test.get("original_file_path", "")
        return (
            f"dbt singular test {test.get('name')} ({path}): fails when it returns rows."
            + severity
        )
    where = f"column {column} of {model}" if column else model
    if name == "not_null":
        text = f"{where} is never null"
    elif name == "unique":
        text = f"{where} has no duplicate values"
    elif name == "accepted_values":
        values = ", ".join(str(v) for v in kwargs.get("values") or [])
        text = f"{where} only takes the values {values}"
    elif name == "unique_combination":
        text = f"({', '.join(kwargs.get('columns') or [])}) is unique in {model}"
    elif name == "rows_satisfy":
        text = f"every row of {model} satisfies {kwargs.get('expression')}"
    elif name == "elements_accepted_values":
        values = ", ".join(str(v) for v in kwargs.get("values") or [])
        text = f"every element of the list {where} is one of {values}"
    elif name == "relationships":
        to = str(kwargs.get("to", "")).replace("ref('", "").replace("')", "")
        text = f"every {column} of {model} exists in {to}.{kwargs.get('field')}"
    else:
        text = f"{where} passes the generic test {name}"
    return f"dbt test {test.get('name')}: {text}.{severity}"


def mart_keys(manifest: Mapping[str, Any]) -> list[dg.AssetKey]:
    """Asset keys of every dbt model in schema marts."""
    translator = FloopTranslator()
    return [
        translator.get_asset_key(node)
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and node.get("schema") == "marts"
    ]


def registry_models(manifest: Mapping[str, Any]) -> list[str]:
    """Names of the dbt models that read the registry source directly."""
    sources = [k for k in manifest.get("sources", {}) if k.startswith("source.floop.registry.")]
    children = manifest.get("child_map", {})
    return sorted(
        manifest["nodes"][c]["name"]
        for s in sources
        for c in children.get(s, [])
        if c.startswith("model.")
    )
