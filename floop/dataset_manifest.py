"""A dataset export's manifest: what it holds (policy, window, rows, schema, files and their
sha256), where the rows came from (the warehouse's ingest watermark, the dbt project's
fingerprint) and which run made it; its id, and re-verifying an export against it.

The manifest id is the sha256 of the manifest's canonical JSON without `manifest_id`,
`created_at` and `run` (which run made it, not what it is), so exporting the same data with the
same policy again gives the same id.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from floop import config
from floop.errors import OperationalError
from floop.policy import Policy, sha256_json
from floop.warehouse import table_exists

MANIFEST_VERSION = 1
# Manifest keys outside the content hash (the manifest id): when and by which run it was made.
UNHASHED_KEYS = ("manifest_id", "created_at", "run")
SOURCE_TABLE = "marts.fct_interactions"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def source_watermark(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the warehouse had ingested: the last event time and a checksum of the ledger.

    The checksum covers what was loaded (file content hash and line counts), not load ids,
    paths or times, so two warehouses ingested from the same landing files agree.
    """
    if not table_exists(con, "raw.ingest_ledger"):
        raise OperationalError("raw.ingest_ledger not found: run `floop ingest` first")
    files, last_ingested, checksum = con.execute(
        """
        select
            count(*),
            max(ingested_at),
            sha256(coalesce(string_agg(
                concat_ws('|', sha256, lines, accepted, duplicate, rejected), '\n'
                order by sha256, lines, accepted, duplicate, rejected
            ), ''))
        from raw.ingest_ledger
        """
    ).fetchone()  # type: ignore[misc]
    last_event = con.execute(f"select max(interacted_at) from {SOURCE_TABLE}").fetchone()
    return {
        "last_event_at": last_event[0].isoformat() if last_event and last_event[0] else None,
        "last_ingested_at": last_ingested.isoformat() if last_ingested else None,
        "ingest_ledger_files": files,
        "ingest_ledger_checksum": checksum,
    }


def dbt_manifest_file(warehouse: Path) -> Path:
    """target/manifest.json of the dbt runs on this warehouse (its Layout's dbt target)."""
    return config.Layout.for_warehouse(warehouse).dbt_manifest


def git_commit() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=config.PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def dbt_fingerprint(manifest_file: Path) -> dict[str, Any]:
    """What target/manifest.json says about the project's logic, without per-run noise.

    manifest.json itself changes on every dbt invocation (generated_at, invocation_id, node
    created_at), so its file hash is run provenance; this fingerprint covers the content
    checksum of every node (models, seeds, tests, snapshots) and the SQL of the project's own
    macros, which is what decides the rows.
    """
    if not manifest_file.exists():
        return {"dbt_version": None, "dbt_project_sha256": None}
    data = json.loads(manifest_file.read_text())
    project = data.get("metadata", {}).get("project_name")
    nodes = {uid: n.get("checksum", {}).get("checksum") for uid, n in data["nodes"].items()}
    macros = {
        uid: hashlib.sha256(m.get("macro_sql", "").encode()).hexdigest()
        for uid, m in data.get("macros", {}).items()
        if m.get("package_name") == project
    }
    return {
        "dbt_version": data.get("metadata", {}).get("dbt_version"),
        "dbt_project_sha256": sha256_json({"nodes": nodes, "macros": macros}),
    }


def content_hash(manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k not in UNHASHED_KEYS}
    return sha256_json(body)


def build_manifest(
    pol: Policy,
    as_of: date,
    start: date,
    end: date,
    schema: pa.Schema,
    files: list[dict[str, Any]],
    by_partition: list[dict[str, Any]],
    watermark: dict[str, Any],
    query: str,
    warehouse: Path,
    writer: dict[str, Any],
    created_at: datetime,
) -> dict[str, Any]:
    """The manifest of an export of POL written to FILES (the id computed, `run` filled in)."""
    by_split = {"train": 0, "eval": 0}
    for p in by_partition:
        by_split[p["split"]] += p["rows"]
    dbt_manifest = dbt_manifest_file(warehouse)
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "policy": {
            "name": pol.name,
            "hash": pol.policy_hash,
            "definition": pol.definition(),
        },
        "as_of": as_of.isoformat(),
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "source": {"table": SOURCE_TABLE, **watermark},
        "selection_sql_sha256": hashlib.sha256(query.encode()).hexdigest(),
        "rows": {
            "total": sum(by_split.values()),
            "by_split": by_split,
            "by_partition": by_partition,
        },
        "schema": [{"name": f.name, "type": str(f.type)} for f in schema],
        "files": files,
        "writer": writer,
        # The dbt logic the rows came through (stable across re-runs of the same project).
        "build": dbt_fingerprint(dbt_manifest),
    }
    manifest["manifest_id"] = content_hash(manifest)
    manifest["created_at"] = created_at.isoformat(timespec="seconds")
    # Which run made it: recorded, not hashed (a re-run of dbt or an unrelated commit does not
    # make the same rows another dataset).
    manifest["run"] = {
        "dbt_manifest_sha256": sha256_file(dbt_manifest) if dbt_manifest.exists() else None,
        "git_commit": git_commit(),
        # Where the policy was read from (its content is hashed in `policy`, its place is not).
        "policy_file": _rel_to_project(pol.path),
    }
    return manifest


def _rel_to_project(path: Path) -> str:
    try:
        return path.resolve().relative_to(config.PROJECT_DIR).as_posix()
    except ValueError:
        return path.name


def verify(manifest: Path) -> list[str]:
    """Re-hash a manifest's files; the problems found (empty when the export is intact)."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise OperationalError(f"manifest {manifest} not found")
    try:
        data = json.loads(manifest.read_text())
        files = data["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise OperationalError(f"{manifest}: not a floop dataset manifest ({exc})") from exc
    problems: list[str] = []
    if content_hash(data) != data.get("manifest_id"):
        problems.append(f"{manifest}: manifest content does not match its manifest_id (edited?)")
    root = manifest.parent
    listed = set()
    for entry in files:
        rel = entry["path"]
        listed.add(rel)
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        size = path.stat().st_size
        if size != entry["bytes"]:
            problems.append(f"{rel}: {size} bytes, manifest says {entry['bytes']}")
        digest = sha256_file(path)
        if digest != entry["sha256"]:
            problems.append(f"{rel}: sha256 {digest[:16]}…, manifest says {entry['sha256'][:16]}…")
    data_dir = root / "data"
    if data_dir.exists():
        for path in sorted(data_dir.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and rel not in listed:
                problems.append(f"{rel}: not in the manifest")
    return problems
