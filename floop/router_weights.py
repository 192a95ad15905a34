"""The weights file a router reads: per workflow, its bandit's arms and their weights, from
`marts.fct_bandit_allocations`, with the data watermark they were computed on.

The file holds nothing that changes between two runs on the same data (no creation time), and
is written with sorted keys: the same warehouse always gives the same bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb

from floop.errors import OperationalError
from floop.warehouse import connect

MART = "marts.fct_bandit_allocations"
FORMAT = "floop-bandit-weights/1"


def _iso(ts: Any) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if ts is not None else None


def weights_document(warehouse: Path) -> dict[str, Any]:
    """workflow -> {experiment_id, status, data_watermark, arms: {arm: weight}}, plus the
    newest watermark of all. A workflow with two bandits is refused: a router could not tell
    which one a request belongs to."""
    if not Path(warehouse).is_file():
        raise OperationalError(f"warehouse {warehouse} does not exist: run `floop run` first")
    try:
        con = connect(warehouse, read_only=True)
    except duckdb.IOException as exc:
        raise OperationalError(f"cannot open {warehouse}: {str(exc).splitlines()[0]}") from exc
    try:
        rows = con.execute(
            f"select task_type, experiment_id, variant, allocation_status, weight, "
            f"data_watermark from {MART} order by task_type, experiment_id, variant"
        ).fetchall()
    except duckdb.CatalogException as exc:
        raise OperationalError(f"{MART} is missing: run `floop run` (dbt build) first") from exc
    finally:
        con.close()
    workflows: dict[str, dict[str, Any]] = {}
    for task_type, experiment_id, variant, status, weight, watermark in rows:
        entry = workflows.setdefault(
            task_type,
            {
                "experiment_id": experiment_id,
                "status": status,
                "data_watermark": _iso(watermark),
                "arms": {},
            },
        )
        if entry["experiment_id"] != experiment_id:
            raise OperationalError(
                f"workflow {task_type} has two bandits ({entry['experiment_id']}, "
                f"{experiment_id}): configure one bandit per workflow"
            )
        entry["arms"][variant] = weight
    marks = [w["data_watermark"] for w in workflows.values() if w["data_watermark"]]
    return {"format": FORMAT, "data_watermark": max(marks, default=None), "workflows": workflows}


def write_weights(warehouse: Path, out: Path) -> dict[str, Any]:
    """Write the weights file atomically (a router never reads half a file); the document."""
    doc = weights_document(warehouse)
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        raise OperationalError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return doc
