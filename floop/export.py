"""`floop export`: a dataset by policy as Parquet, with a reproducible manifest and lineage.

The rows are chosen in DuckDB SQL over `marts.fct_interactions` (the policy compiles to one
`where` clause), split train/eval by a stable md5 of task_id, partitioned by split, tenant and
compliance domain (country -> domain from the `reference.country_domains` seed) and written
with pyarrow with fixed settings and a fixed row order, so the same data and policy give
byte-identical files and the same manifest id.

Layout (paths in the manifest are relative to the manifest, so a copied folder verifies):

    OUT/<policy>/<manifest id, first 16 hex>/manifest.json
    OUT/<policy>/<id16>/data/split=train/tenant_id=acme/compliance_domain=eu_eea/part-00000.parquet

The manifest id is the sha256 of the manifest's canonical JSON without `manifest_id`,
`created_at` and `run` (the dbt invocation's manifest.json hash, the git commit, the policy
file's path: which run made it, not what it is). The export also writes one row per manifest id into
`registry.dataset_manifests` (the lineage mart `fct_dataset_lineage` joins version events to
it), in one transaction with moving the finished folder into place.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from floop.config import wall_clock
from floop.dataset_manifest import (
    SOURCE_TABLE,
    build_manifest,
    sha256_file,
    source_watermark,
)
from floop.errors import OperationalError
from floop.policy import Policy, compile_feedback_filter, load_policy
from floop.registry import REGISTRY_COLUMNS, REGISTRY_TABLE, registry_ddl
from floop.sql import sql_list as _sql_list
from floop.sql import sql_str as _sql_str
from floop.warehouse import connect, table_columns, table_exists

DOMAINS_TABLE = "reference.country_domains"
UNMAPPED_DOMAIN = "unmapped"

# Parquet writer settings: fixed, so the bytes depend only on the rows (and the pyarrow
# version, which `created_by` records and the manifest names).
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "version": "2.6",
    "row_group_size": 128 * 1024,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_size": 1024 * 1024,
}

def ensure_registry_schema(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in registry_ddl():
        con.execute(stmt)


def window_bounds(policy: Policy, as_of: date) -> tuple[date, date]:
    """Inclusive interaction_date bounds: `days` days ending `end_offset_days` before as_of."""
    end = as_of - timedelta(days=policy.window_end_offset_days)
    return end - timedelta(days=policy.window_days - 1), end


def selection_sql(policy: Policy, as_of: date) -> str:
    """The rows of the dataset, with their split and compliance domain, as one query."""
    start, end = window_bounds(policy, as_of)
    where = [
        f"f.interaction_date between date '{start.isoformat()}' and date '{end.isoformat()}'",
        f"f.task_type in {_sql_list(policy.workflows)}",
        # Consent first: a row without the purpose's consent never reaches the dataset.
        f"coalesce(f.{policy.consent_column}, false)",
    ]
    if policy.tenants_include:
        where.append(f"f.tenant_id in {_sql_list(policy.tenants_include)}")
    if policy.tenants_exclude:
        where.append(f"f.tenant_id not in {_sql_list(policy.tenants_exclude)}")
    if policy.shadow == "exclude":
        where.append("not coalesce(f.is_shadow, false)")
    elif policy.shadow == "only":
        where.append("coalesce(f.is_shadow, false)")
    if policy.labeled_only:
        where.append("coalesce(f.label_count, 0) > 0")
    if policy.golden_only:
        where.append("coalesce(f.is_golden, false)")
    if policy.exclude_superseded:
        where.append("not coalesce(f.is_superseded, false)")
    if policy.min_label_agreement is not None:
        where.append(f"coalesce(f.label_agreement >= {policy.min_label_agreement!r}, false)")
    if policy.feedback_filter:
        where.append(compile_feedback_filter(policy.feedback_filter))
    # A stable split: the first 32 bits of md5(salt:task_id) against ratio * 2^32, so every
    # interaction of a task lands in the same split, on any machine and any run.
    threshold = int(policy.eval_ratio * 2**32)
    cols = ",\n        ".join(f"f.{c}" for c in policy.output_columns)
    conditions = "\n        and ".join(where)
    return f"""
with domains as (
    select country_code, compliance_domain from {DOMAINS_TABLE}
),

selected as (
    select
        {cols},
        coalesce(d.compliance_domain, '{UNMAPPED_DOMAIN}') as compliance_domain,
        case
            when ('0x' || substr(md5({_sql_str(policy.split_salt)} || ':' || f.task_id), 1, 8))
                ::ubigint < {threshold}
            then 'eval'
            else 'train'
        end as split
    from {SOURCE_TABLE} as f
    left join domains as d on f.country = d.country_code
    where {conditions}
),

final as (
    select * from selected
)

select * from final
""".strip()


def _partition_keys(policy: Policy) -> list[str]:
    keys = ["split"]
    if "tenant" in policy.partition_by:
        keys.append("tenant_id")
    if "compliance_domain" in policy.partition_by:
        keys.append("compliance_domain")
    return keys


def _path_value(value: Any) -> str:
    # Partition values become folder names: percent-encode anything but safe characters.
    return quote(str(value), safe="-_.") if value is not None else "__null__"


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise OperationalError(f"--as-of: expected a date YYYY-MM-DD, got {value!r}") from exc


def _open_writer(warehouse: Path, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise OperationalError(f"warehouse {warehouse} not found: run `floop run` first")
    # DuckDB allows one writer per file: a dbt build, an ingest or a sibling export (Dagster
    # runs one asset per policy) may hold it for a while, so wait a little before giving up.
    deadline = time.monotonic() + lock_timeout
    delay = 0.2
    while True:
        try:
            return connect(warehouse)
        except duckdb.IOException as exc:
            if time.monotonic() + delay > deadline:
                raise OperationalError(
                    f"cannot open {warehouse} for writing (another process holds it?): {exc}"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def export_dataset(
    policy: Policy | str | Path,
    warehouse: Path,
    as_of: date | str,
    out_dir: Path,
    *,
    lock_timeout: float = 60.0,
    now: datetime | None = None,
) -> Path:
    """Export POLICY's dataset from WAREHOUSE as of AS_OF into OUT_DIR; returns the manifest.

    Waits up to LOCK_TIMEOUT seconds for the warehouse's writer lock. NOW stamps the manifest's
    `created_at` (outside its id; the wall clock when not given)."""
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    as_of_d = _as_date(as_of)
    warehouse = Path(warehouse).resolve()
    out_dir = Path(out_dir).resolve()
    start, end = window_bounds(pol, as_of_d)

    con = _open_writer(warehouse, lock_timeout)
    try:
        for table in (SOURCE_TABLE, DOMAINS_TABLE):
            if not table_exists(con, table):
                raise OperationalError(f"{table} not found in {warehouse}: run `floop run` first")
        missing = [c for c in pol.output_columns if c not in table_columns(con, SOURCE_TABLE)]
        if missing:
            raise OperationalError(
                f"{pol.path}: key 'columns': {', '.join(missing)} not in {SOURCE_TABLE}"
            )
        ensure_registry_schema(con)
        watermark = source_watermark(con)

        query = selection_sql(pol, as_of_d)
        con.execute(f"create or replace temp table export_rows as {query}")
        keys = _partition_keys(pol)
        key_list = ", ".join(keys)
        partitions = con.execute(
            f"select {key_list}, count(*) as n from export_rows group by all order by {key_list}"
        ).fetchall()
        schema = con.sql("select * from export_rows limit 0").to_arrow_table().schema

        policy_dir = out_dir / pol.name
        staging = policy_dir / f".tmp-{uuid.uuid4().hex}"
        (staging / "data").mkdir(parents=True)
        try:
            files, by_partition = _write_partitions(con, keys, partitions, staging)
            manifest = build_manifest(
                pol,
                as_of_d,
                start,
                end,
                schema,
                files,
                by_partition,
                watermark,
                query,
                warehouse,
                writer={"library": f"pyarrow {pa.__version__}", "options": PARQUET_OPTIONS},
                created_at=now or wall_clock(),
            )
            manifest_id = manifest["manifest_id"]
            final = policy_dir / manifest_id[:16]
            (staging / "manifest.json").write_text(
                json.dumps(manifest, indent=2, sort_keys=True) + "\n"
            )
            con.execute("begin transaction")
            try:
                _register(con, manifest, final / "manifest.json")
                _replace_dir(staging, final)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        return final / "manifest.json"
    finally:
        con.close()


def _write_partitions(
    con: duckdb.DuckDBPyConnection,
    keys: list[str],
    partitions: list[tuple[Any, ...]],
    root: Path,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    files: list[dict[str, Any]] = []
    by_partition: list[dict[str, Any]] = []
    for part in partitions:
        values, n = part[:-1], int(part[-1])
        rel = Path("data").joinpath(
            *(f"{k}={_path_value(v)}" for k, v in zip(keys, values, strict=True))
        )
        rel_file = rel / "part-00000.parquet"
        cond = " and ".join(f"{k} is not distinct from ?" for k in keys)
        # Fixed row order: output_id is the wide table's key, unique within a partition.
        table: pa.Table = con.sql(
            f"select * from export_rows where {cond} order by output_id",
            params=list(values),
        ).to_arrow_table()
        (root / rel).mkdir(parents=True, exist_ok=True)
        pq.write_table(table, root / rel_file, **PARQUET_OPTIONS)
        path = root / rel_file
        files.append(
            {
                "path": rel_file.as_posix(),
                "sha256": sha256_file(path),
                "bytes": path.stat().st_size,
                "rows": table.num_rows,
            }
        )
        by_partition.append(
            {**dict(zip(keys, values, strict=True)), "rows": n, "path": rel_file.as_posix()}
        )
    return files, by_partition


def _register(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], path: Path) -> None:
    """One row per manifest id: a re-export of the same content replaces its row."""
    rows = manifest["rows"]
    values = {
        "manifest_id": manifest["manifest_id"],
        "policy_name": manifest["policy"]["name"],
        "policy_hash": manifest["policy"]["hash"],
        "purpose": manifest["policy"]["definition"]["purpose"],
        "as_of_date": manifest["as_of"],
        "window_start": manifest["window"]["start"],
        "window_end": manifest["window"]["end"],
        "row_count": rows["total"],
        "train_row_count": rows["by_split"]["train"],
        "eval_row_count": rows["by_split"]["eval"],
        "partition_count": len(rows["by_partition"]),
        "row_counts": json.dumps(rows["by_partition"], sort_keys=True),
        "source_last_event_at": manifest["source"]["last_event_at"],
        "ingest_ledger_checksum": manifest["source"]["ingest_ledger_checksum"],
        "dbt_manifest_sha256": manifest["run"]["dbt_manifest_sha256"],
        "git_commit": manifest["run"]["git_commit"],
        "created_at": manifest["created_at"],
        "manifest_path": str(path),
    }
    cols = [c for c, _ in REGISTRY_COLUMNS]
    con.execute(f"delete from {REGISTRY_TABLE} where manifest_id = ?", [values["manifest_id"]])
    con.execute(
        f"insert into {REGISTRY_TABLE} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
        [values[c] for c in cols],
    )


def _replace_dir(new: Path, final: Path) -> None:
    """Move NEW to FINAL; an earlier export of the same manifest id is replaced."""
    if final.exists():
        old = final.with_name(f".old-{uuid.uuid4().hex}")
        final.rename(old)
        new.rename(final)
        shutil.rmtree(old)
    else:
        new.rename(final)


