"""How dbt's graph becomes Dagster assets: raw sources are the tables `floop ingest` writes, and
marts carry a freshness policy."""

from __future__ import annotations

from collections.abc import Mapping
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


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_SCHEMA, table])


class FloopTranslator(DagsterDbtTranslator):
    """dbt sources in schema raw are the tables `floop ingest` writes; marts get freshness."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if (
            dbt_resource_props.get("resource_type") == "source"
            and dbt_resource_props.get("schema") == RAW_SCHEMA
        ):
            return raw_key(dbt_resource_props.get("identifier") or dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") == "model" and props.get("schema") == "marts":
            spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
        return spec


def mart_keys(manifest: Mapping[str, Any]) -> list[dg.AssetKey]:
    """Asset keys of every dbt model in schema marts."""
    translator = FloopTranslator()
    return [
        translator.get_asset_key(node)
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and node.get("schema") == "marts"
    ]
