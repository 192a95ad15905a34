"""Read-only access to the marts for the dashboard pages: which file, which tables, cached rows.

Each query opens its own read-only connection and closes it at once, so the dashboard never
holds a lock on the analyst copy that the next `floop run` replaces. Results are cached per file
and modification time: a newly published analyst copy invalidates every cached result.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from floop import config
from floop.dashboard import LANDING_ENV, WAREHOUSE_ENV

# Tables of the analyst copy the pages read (docs/architecture.md); their columns are pinned by
# the dbt contracts in models/marts/**/_models.yml, so the pages name columns directly.
T_INTERACTIONS = "marts.fct_interactions"
T_WEEKLY = "marts.fct_version_outcomes_weekly"
T_TENANT_WEEKLY = "marts.fct_version_outcomes_tenant_weekly"
T_CHANGES = "marts.fct_version_changes_weekly"
T_HEALTH = "marts.fct_data_health_daily"
T_WORKFLOWS = "marts.dim_workflows"
T_VERSIONS = "marts.dim_versions"
T_LINEAGE = "marts.fct_dataset_lineage"
T_GOLDENS = "marts.fct_golden_results"
T_TRIAGE_QUEUE = "marts.fct_triage_queue"
T_TRIAGE_PROGRESS = "marts.fct_triage_progress"
T_REVIEW_CONTEXT = "marts.fct_review_context"
T_LABEL_AGREEMENT = "marts.fct_label_agreement"
T_LABELER_QUALITY = "marts.fct_labeler_quality"
T_TAXONOMY_CHANGES = "marts.fct_taxonomy_changes"
T_LABEL_TREND = "marts.fct_label_value_trend"
T_EXPERIMENT_ARMS = "marts.fct_experiment_arms"
T_BANDITS = "marts.fct_bandit_allocations"
T_GATES = "marts.fct_version_gates"
T_COMPARISONS = "marts.fct_version_comparisons_weekly"
T_EXPERIMENT_RESULTS = "marts.fct_experiment_results"


def warehouse_path() -> Path:
    """The DuckDB file the app reads: `-- --warehouse FILE` (as `floop dashboard` starts it),
    else the launcher's environment variable, else the default analyst copy."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--warehouse", default=None)
    known, _ = parser.parse_known_args(sys.argv[1:])
    value = known.warehouse or os.environ.get(WAREHOUSE_ENV)
    if value:
        return Path(value)
    return config.Layout.for_warehouse().analyst_copy


def landing_path() -> Path | None:
    """The landing folder the Review page writes into: `-- --landing DIR`, else the launcher's
    environment variable; None when the app was started without one."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--landing", default=None)
    known, _ = parser.parse_known_args(sys.argv[1:])
    value = known.landing or os.environ.get(LANDING_ENV)
    return Path(value) if value else None


def read(path: Path | str, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Rows of SQL on the file at PATH, through a read-only connection closed at once."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


@st.cache_data(ttl=60, show_spinner=False)
def _cached(path: str, mtime: float, sql: str, params: tuple[object, ...]) -> pd.DataFrame:
    # mtime is part of the cache key: a new analyst copy invalidates every cached result.
    return read(path, sql, params)


def query(sql: str, params: tuple[object, ...] = ()) -> pd.DataFrame:
    """Rows of SQL on the dashboard's warehouse file (cached per file and mtime)."""
    path = warehouse_path()
    return _cached(str(path), path.stat().st_mtime, sql, params)


def has_table(table: str) -> bool:
    """Whether `schema.table` exists in the warehouse file (marts are built by `floop run`)."""
    schema, name = table.split(".", 1)
    found = query(
        "select count(*) as n from information_schema.tables "
        "where table_schema = ? and table_name = ?",
        (schema, name),
    )
    return bool(found["n"].iloc[0])


def outcome_metrics() -> dict[str, str]:
    """Each workflow's primary outcome metric by its name in the workflow seed (support_chat ->
    resolved): what the pages call the outcome rate of that workflow."""
    if not has_table(T_WORKFLOWS):
        return {}
    df = query(f"select task_type, primary_outcome_metric from {T_WORKFLOWS}")
    return dict(zip(df["task_type"], df["primary_outcome_metric"], strict=True))
