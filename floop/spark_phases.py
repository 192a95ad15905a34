"""The Spark build in two dbt phases around the floop step that stands in for dbt Python models.

On the spark target the dbt Python models are SQL models reading a Parquet file that floop
writes (floop.spark_stats), so one `dbt build` becomes:

1. everything but the stand-ins and what is built on them (their descendants, with every
   data test touching one of those);
2. the floop step: the stand-ins' rows, from the Parquet the first phase wrote;
3. the stand-ins, their descendants and those tests.

Both phases are given as `--exclude` lists of node names (models, seeds, snapshots and data
tests), so they narrow whatever selection the caller adds: none (the whole project), a
`--select`, dagster-dbt's own `--select fqn:*` or its list of a subset's assets, and the
incremental build plan's `--exclude` of what is unchanged (floop.build_state). The second phase
selects tests with `--indirect-selection cautious`: excluding the first phase's models must not
take with them a test that also reads a model of the second phase. The Dagster asset
(orchestration/assets/dbt.py) and the tests' in-process Spark build (tests/spark_build.py) both
run the phases with `run_in_phases`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from floop.config import Layout
from floop.spark_stats import PYTHON_MODELS, write_outputs

T = TypeVar("T")
_BUILT = ("model", "seed", "snapshot")


@dataclass(frozen=True)
class Phases:
    """dbt arguments of each phase, and the nodes (names) of the second."""

    first: list[str]
    second: list[str]
    second_models: list[str]
    stand_ins: list[str]


def spark_phases(manifest: dict[str, Any], indirect_selection: str = "cautious") -> Phases:
    """The two phases of a Spark build of MANIFEST (a manifest parsed for the spark target).
    INDIRECT_SELECTION of the second phase: `cautious`, or `empty` where the caller lists the
    tests it selects (dagster-dbt does when a run selects some of an asset's checks only)."""
    nodes = manifest.get("nodes", {})
    stand_ins = sorted(
        uid
        for uid, n in nodes.items()
        if n.get("resource_type") == "model" and n["name"] in PYTHON_MODELS
    )
    children = manifest.get("child_map", {})
    later, todo = set(stand_ins), list(stand_ins)
    while todo:
        for child in children.get(todo.pop(), []):
            if child in nodes and child not in later and nodes[child]["resource_type"] in _BUILT:
                later.add(child)
                todo.append(child)
    tests = {
        uid
        for uid, n in nodes.items()
        if n.get("resource_type") == "test" and set(n["depends_on"]["nodes"]) & later
    }
    second = later | tests
    first = {
        uid for uid, n in nodes.items() if n.get("resource_type") in (*_BUILT, "test")
    } - second

    def names(uids: Collection[str]) -> str:
        return " ".join(sorted(nodes[u]["name"] for u in uids))

    return Phases(
        first=["--exclude", names(second)] if second else [],
        second=["--exclude", names(first), "--indirect-selection", indirect_selection],
        second_models=sorted(nodes[u]["name"] for u in later),
        stand_ins=sorted(nodes[u]["name"] for u in stand_ins),
    )


def run_in_phases(
    run: Callable[[list[str]], Iterator[T]],
    layout: Layout,
    manifest: dict[str, Any],
    phases: Phases,
    stand_ins: Collection[str] | None = None,
    log: Callable[[str], None] = print,
) -> Iterator[T]:
    """RUN(dbt arguments of a phase) for each phase, and the floop step between them: the
    tables of STAND_INS (None: of each stand-in whose inputs Spark has written; with none, the
    second phase is skipped: nothing in it could be built from this build's tables) from the
    first phase's Parquet. RUN raising (dagster-dbt's stream on a failed node) stops the rest."""
    yield from run(phases.first)
    written = write_outputs(layout, manifest, stand_ins)
    log(
        "spark: dbt Python models computed by floop: "
        + (", ".join(f"{name} ({rows:,} rows)" for name, rows in written.items()) or "none")
    )
    if written or stand_ins is not None:
        yield from run(phases.second)
