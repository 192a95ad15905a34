"""The analyst copy: a read-only DuckDB file with the marts and the public (documented)
intermediate models, published after each successful run.

What "restricted" means here: everything in schema `raw` (events as landed, incl. personal data
and raw lines), the `staging` models (row-level event data, even if hashed), the `registry`
internals and any undocumented model. None of it is copied: the copy is built from an allow-list
(schema `marts`, plus `intermediate` models with `access: public` and a description in the
dbt docs), and a column named like personal or raw data (the contract's `pii` fields and
raw_line) stops the publish instead of being copied. The previous copy then stays in place.

Person keys (`user_key`, `actor_key`: the keyed hashes of the contract's `pii: hash` fields)
are left out of every published table. They stay in the warehouse (marts, staging) for work
that needs to follow one person; an analyst does not need them, and with the public demo key
they could be reversed by hashing guessed ids, with a leaked key too.

The new file is written beside the old one and swapped in with `os.replace` (atomic on one file
system), so a reader never sees a half-written file: open connections keep the old file, new
connections get the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from floop.contract import load_contract
from floop.errors import OperationalError
from floop.sql import sql_str as _sql_str

PUBLISHED_SCHEMAS = ("marts",)
DOCUMENTED_ONLY_SCHEMAS = ("intermediate",)
NEVER_PUBLISHED_SCHEMAS = ("raw", "staging", "registry", "reference")
# Columns of personal or raw data: the contract's `pii` fields and the quarantine's raw line.
RESTRICTED_COLUMNS = frozenset({*load_contract().personal_data_fields(), "raw_line"})
# The keyed hash staging derives from each `pii: hash` field (user_id -> user_key): not copied.
PERSON_KEY_COLUMNS = frozenset(
    name.removesuffix("_id") + "_key"
    for name, kind in load_contract().personal_data_fields().items()
    if kind == "hash"
)


@dataclass
class PublishResult:
    path: Path
    tables: list[str] = field(default_factory=list)
    rows: int = 0
    bytes: int = 0


def _documented_models(manifest_path: Path | None) -> dict[tuple[str, str], dict]:
    """(schema, name) -> dbt node, for every model in the dbt manifest."""
    if manifest_path is None or not Path(manifest_path).exists():
        return {}
    manifest = json.loads(Path(manifest_path).read_text())
    out: dict[tuple[str, str], dict] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model":
            out[(node["schema"], node.get("alias") or node["name"])] = node
    return out


def select_tables(
    con: duckdb.DuckDBPyConnection, catalog: str, models: dict[tuple[str, str], dict]
) -> list[tuple[str, str]]:
    """The (schema, table) pairs of CATALOG that may be published."""
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? "
        "union all "
        "select schema_name, view_name from duckdb_views() where database_name = ? "
        "and not internal order by 1, 2",
        [catalog, catalog],
    ).fetchall()
    chosen = []
    for schema, name in rows:
        if schema in NEVER_PUBLISHED_SCHEMAS:
            continue
        node = models.get((schema, name)) or {}
        if schema in PUBLISHED_SCHEMAS or (
            schema in DOCUMENTED_ONLY_SCHEMAS
            and node.get("access") == "public"
            and node.get("description", "").strip()
        ):
            chosen.append((schema, name))
    return chosen


def publish_analyst_copy(
    warehouse: Path, dest: Path, manifest_path: Path | None = None
) -> PublishResult:
    """Copy the publishable tables of WAREHOUSE into a new DEST, atomically."""
    warehouse, dest = Path(warehouse).resolve(), Path(dest).resolve()
    if not warehouse.exists():
        raise OperationalError(f"warehouse not found: {warehouse}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Same directory as DEST, so os.replace is a rename on one file system.
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    models = _documented_models(manifest_path)
    result = PublishResult(path=dest)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach {_sql_str(str(warehouse))} as src (read_only)")
        tables = select_tables(con, "src", models)
        cols = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = 'src'"
        ).fetchall()
        leaks = sorted(
            f"{s}.{t}.{c}"
            for s, t, c in cols
            if (s, t) in set(tables) and c.lower() in RESTRICTED_COLUMNS
        )
        if leaks:
            raise OperationalError(
                "analyst copy not published: restricted columns in " + ", ".join(leaks)
            )
        for schema, name in tables:
            con.execute(f'create schema if not exists "{schema}"')
            dropped = sorted(
                c for s, t, c in cols if (s, t) == (schema, name) and c in PERSON_KEY_COLUMNS
            )
            exclude = f" exclude ({', '.join(dropped)})" if dropped else ""
            con.execute(
                f'create table "{schema}"."{name}" as '
                f'select *{exclude} from src."{schema}"."{name}"'
            )
            node = models.get((schema, name)) or {}
            if node.get("description"):
                con.execute(
                    f'comment on table "{schema}"."{name}" is {_sql_str(node["description"])}'
                )
            for col, meta in (node.get("columns") or {}).items():
                if meta.get("description"):
                    # A documented column missing from the table: skip its note.
                    with contextlib.suppress(duckdb.Error):
                        con.execute(
                            f'comment on column "{schema}"."{name}"."{col}" is '
                            f"{_sql_str(meta['description'])}"
                        )
            result.tables.append(f"{schema}.{name}")
            result.rows += con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        con.execute("detach src")
        con.execute(
            "create table main.publication as select ? as published_at, ? as tables",
            [datetime.now(UTC).replace(tzinfo=None), result.tables],
        )
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, dest)
    result.bytes = dest.stat().st_size
    return result
