"""Whether a dbt build has anything to do: the inputs of the last successful build, and now.

The models' results depend on the dbt project (its files) and on the sources it reads (the
raw tables `floop ingest` writes, the registry `floop export` writes); no model reads the
clock (`floop_now()`: when a model or snapshot does, the day is an input of the whole project;
the tests that do are run again on a new day, `clock_tests`). After a
successful build of the whole project the fingerprint of both is saved beside dbt's files
(`Layout.dbt_build_state`); the next build compares:

- no saved state, or the project changed: build everything;
- some sources changed: build what reads them, `source:<name>+` of each (`BuildPlan.select`);
  a model none of whose inputs changed would compute what it holds already, so it is not run
  (an incremental day no longer pays dbt's ~1 s per model for the models it cannot touch);
- nothing changed: build nothing (`floop run` with no new data).

A view holds no data: re-creating it with an unchanged project (definition) changes nothing,
so `BuildPlan.select_args` (a `dbt run` of the selection) leaves the selected views out
(`BuildPlan.views`); they are created by the first build and by every build of a changed
project (the whole project). A `dbt build` of the selection (`floop run`) keeps them: excluding
a view in dbt also excludes its tests (every view has some), and those test the new data.

The dataset registry is a source too (the lineage mart reads it) but not a reason to build:
the exports that write it run after the build in every run, so a registry change would make
every second run a full build (and that build's exports would change it again). The lineage
mart catches up with the next build that has new data; it always lagged its own run's exports.

A source's signature is cheap: the raw event tables are only ever appended to (by ingest and
replay), so their row count and last `_ingested_at` say whether they changed; every other
source is small (ledger, quarantine, GX results, waivers, registry) and is hashed whole.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from floop.config import PROJECT_DIR, Layout

# What dbt reads of the project (dbt_project.yml: model, seed, macro and test paths).
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml")
_PROJECT_DIRS = ("models", "seeds", "macros", "tests/dbt", "analyses")
# Sources written only by appending rows stamped with this column.
_APPEND_ONLY_STAMP = "_ingested_at"
# Sources only `floop export` writes (see the module docstring): not a reason to build.
_EXPORT_SCHEMAS = ("registry",)


def project_fingerprint(project_dir: Path = PROJECT_DIR) -> str:
    """SHA-256 over the dbt project's files (path and content), in path order."""
    h = hashlib.sha256()
    files = [project_dir / f for f in _PROJECT_FILES if (project_dir / f).is_file()]
    for d in _PROJECT_DIRS:
        files += [p for p in (project_dir / d).rglob("*") if p.is_file()]
    for path in sorted(files):
        h.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _reads_clock(node: dict[str, Any]) -> bool:
    return "floop_now" in (node.get("raw_code") or "")


def uses_clock(manifest: dict[str, Any]) -> bool:
    """Whether a model or snapshot calls `floop_now()` (then the day is an input of what is
    built). A test reading the clock changes no table: `clock_tests`."""
    return any(
        _reads_clock(n) and n.get("resource_type", "model") in ("model", "snapshot")
        for n in manifest.get("nodes", {}).values()
    )


def clock_tests(manifest: dict[str, Any]) -> list[str]:
    """The names of the tests that call `floop_now()`: run again when the day changed."""
    return sorted(
        n["name"]
        for n in manifest.get("nodes", {}).values()
        if n.get("resource_type") == "test" and _reads_clock(n)
    )


def sources(manifest: dict[str, Any]) -> dict[str, str]:
    """dbt selector name (`source:events.interaction_events`) -> relation `schema.table`, for
    the sources that decide whether to build (not the registry)."""
    out = {}
    for s in manifest.get("sources", {}).values():
        if s["schema"] in _EXPORT_SCHEMAS:
            continue
        table = s.get("identifier") or s["name"]
        out[f"source:{s['source_name']}.{s['name']}"] = f"{s['schema']}.{table}"
    return out


def source_signatures(con: duckdb.DuckDBPyConnection, relations: dict[str, str]) -> dict[str, str]:
    """Selector -> a short signature of the relation's content (see the module docstring)."""
    present = {
        f"{schema}.{table}": cols
        for schema, table, cols in con.execute(
            "select schema_name, table_name, list(column_name order by column_index) "
            "from duckdb_columns() where database_name = current_database() group by all"
        ).fetchall()
    }
    out = {}
    for selector, relation in sorted(relations.items()):
        cols = present.get(relation)
        if cols is None:
            out[selector] = "missing"
            continue
        schema, table = relation.split(".", 1)
        rel = f'"{schema}"."{table}"'
        if _APPEND_ONLY_STAMP in cols:
            row = con.execute(f'select count(*), max("{_APPEND_ONLY_STAMP}") from {rel}').fetchone()
        else:
            row = con.execute(f"select count(*), sum(hash(*columns(*))) from {rel}").fetchone()
        out[selector] = json.dumps([cols, *map(str, row or ())])
    return out


@dataclass
class BuildPlan:
    """Whether to build, what (`select`: dbt selectors; empty: the whole project), and why."""

    build: bool
    reason: str
    project: str = ""
    signatures: dict[str, str] = field(default_factory=dict)
    select: list[str] = field(default_factory=list)
    # False when only tests that read the clock are selected: no table changes
    changes_tables: bool = True
    # the models, seeds and snapshots `select` leaves out (names), when it selects
    unchanged: list[str] = field(default_factory=list)
    # the views `select` holds (names): same definitions as built before, nothing to re-create
    views: list[str] = field(default_factory=list)

    @property
    def select_args(self) -> list[str]:
        """`dbt run` arguments of the selection, without its views (none for the whole
        project). Not for `dbt build`: it would leave out the views' tests."""
        if not self.select:
            return []
        exclude = ["--exclude", " ".join(self.views)] if self.views else []
        return ["--select", " ".join(self.select), *exclude]


def plan_build(
    layout: Layout, manifest: dict[str, Any], now: datetime, project_dir: Path = PROJECT_DIR
) -> BuildPlan:
    """What the next dbt build of LAYOUT's warehouse must build (read-only)."""
    project = project_fingerprint(project_dir)
    if uses_clock(manifest):
        project += f"@{now.date().isoformat()}"
    if layout.engine != "duckdb":  # the other engine's tables were not built by the last build
        project += f"@{layout.engine}"
    relations = sources(manifest)
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        signatures = source_signatures(con, relations)
    state = _read(layout.dbt_build_state)
    plan = BuildPlan(True, "", project, signatures)
    if state is None:
        plan.reason = "no record of a successful build of the whole project"
    elif state.get("project") != project:
        plan.reason = "the dbt project changed since the last build"
    else:
        before = state.get("sources", {})
        changed = sorted(s for s in signatures if before.get(s) != signatures[s])
        new_day = str(state.get("built_at", ""))[:10] != now.date().isoformat()
        tests = clock_tests(manifest) if new_day else []
        if not changed and not tests:
            plan.build = False
            plan.reason = f"nothing new: no source changed since the build of {state['built_at']}"
        elif not changed:
            plan.reason = "a new day: tests read the clock"
            plan.select, plan.changes_tables = tests, False
        else:
            plan.reason = "sources changed: " + ", ".join(changed)
            plan.select = [f"{s}+" for s in changed] + tests
            plan.unchanged = not_downstream(manifest, changed)
            plan.views = views_downstream(manifest, changed)
    return plan


def _name(uid: str, node: dict[str, Any]) -> str:
    return str(node.get("name") or uid.rsplit(".", 1)[-1])


def not_downstream(manifest: dict[str, Any], selectors: list[str]) -> list[str]:
    """Names of the models, seeds and snapshots that read none of the sources SELECTORS
    (`source:<source>.<name>`), directly or through other nodes (the manifest's child_map).
    As an `--exclude` this narrows a selection dagster-dbt unions with its own `fqn:*`."""
    reached = _downstream(manifest, selectors)
    return sorted(
        _name(uid, n)
        for uid, n in manifest.get("nodes", {}).items()
        if n.get("resource_type") in ("model", "seed", "snapshot") and uid not in reached
    )


def views_downstream(manifest: dict[str, Any], selectors: list[str]) -> list[str]:
    """Names of the models materialized as views that read one of the sources SELECTORS."""
    reached = _downstream(manifest, selectors)
    return sorted(
        _name(uid, n)
        for uid, n in manifest.get("nodes", {}).items()
        if n.get("resource_type") == "model"
        and n.get("config", {}).get("materialized") == "view"
        and uid in reached
    )


def _downstream(manifest: dict[str, Any], selectors: list[str]) -> set[str]:
    """Unique ids of the sources SELECTORS and of every node reading them."""
    names = {
        f"source:{s['source_name']}.{s['name']}": uid
        for uid, s in manifest.get("sources", {}).items()
    }
    children = manifest.get("child_map", {})
    todo = [names[s] for s in selectors if s in names]
    reached = set(todo)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in reached:
                reached.add(child)
                todo.append(child)
    return reached


def record_build(layout: Layout, manifest: dict[str, Any], plan: BuildPlan, now: datetime) -> None:
    """After a successful build of PLAN (the whole project, or what reads the sources that
    changed: every other model is as current as its inputs): its inputs, as the build left
    them (the build itself may create an empty source table, e.g. the registry's)."""
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        signatures = source_signatures(con, sources(manifest))
    state = {"project": plan.project, "sources": signatures, "built_at": now.isoformat()}
    path = layout.dbt_build_state
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def forget_build(layout: Layout) -> None:
    """The next build builds everything (a build failed or ran only part of the project)."""
    layout.dbt_build_state.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None
