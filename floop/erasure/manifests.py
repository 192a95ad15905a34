"""Exported datasets that hold erased data: marked superseded, in the registry (the lineage mart
shows it) and beside the manifest (`floop export --verify` reports it).

A dataset's rows are interactions (`output_id`, always exported, with `task_id`): a manifest is
superseded when one of its Parquet files has a row of an erased response, of a response whose
feedback, evaluations or labels were erased, or of a task whose outcome was. A manifest whose
files are gone cannot be checked and is superseded too.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb

from floop.dataset_manifest import SUPERSEDED_MARKER as MARKER
from floop.erasure.raw import affected_sql
from floop.registry import REGISTRY_TABLE, registry_ddl
from floop.sql import sql_list, sql_str


def _files(manifest: Path) -> list[str] | None:
    """The manifest's Parquet files, or None when the manifest or a file is missing."""
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    paths = [manifest.parent / entry["path"] for entry in data.get("files", [])]
    if not all(p.is_file() for p in paths):
        return None
    return [str(p) for p in paths]


def _holds_erased(con: duckdb.DuckDBPyConnection, files: list[str]) -> bool:
    if not files:
        return False
    paths = "[" + ", ".join(sql_str(f) for f in files) + "]"
    row = con.execute(
        f"""select count(*) from (
          select 1 from read_parquet({paths}, union_by_name = true) d
          where d.output_id in (select output_id from ({affected_sql()}))
            or d.task_id in (select task_id from ({affected_sql()}))
          limit 1)"""
    ).fetchone()
    return bool(row and row[0])


def supersede(
    con: duckdb.DuckDBPyConnection, erasure_id: str, now: datetime
) -> list[tuple[str, Path]]:
    """Mark the current manifests that hold erased rows (registry rows in the caller's
    transaction); returns (manifest_id, manifest path) of each, for `write_markers`."""
    for stmt in registry_ddl():
        con.execute(stmt)
    rows = con.execute(
        f"select manifest_id, manifest_path from {REGISTRY_TABLE} "
        "where superseded_at is null order by manifest_id"
    ).fetchall()
    chosen = []
    for manifest_id, path in rows:
        files = _files(Path(path))
        if files is None or _holds_erased(con, files):
            chosen.append((manifest_id, Path(path)))
    if chosen:
        con.execute(
            f"update {REGISTRY_TABLE} set superseded_at = ?, superseded_reason = ? "
            f"where manifest_id in {sql_list([m for m, _ in chosen])}",
            [now, _reason(erasure_id)],
        )
    return chosen


def _reason(erasure_id: str) -> str:
    return f"floop forget {erasure_id}: rows of an erased user"


def write_markers(chosen: list[tuple[str, Path]], erasure_id: str, now: datetime) -> None:
    """The superseded marker beside each manifest still on disk (after the commit)."""
    for _, manifest in chosen:
        if manifest.parent.is_dir():
            (manifest.parent / MARKER).write_text(
                json.dumps(
                    {"superseded_at": now.isoformat(), "reason": _reason(erasure_id)}, indent=2
                )
                + "\n"
            )
