"""Golden-task candidates from real traffic (`floop goldens propose`).

A good new golden task is a real session whose outcome is known (so the expected answer can be
checked), unlike the goldens the workflow already has, and unlike the other candidates. The
candidates: served (non-shadow) responses of the workflow that carry their task's outcome
(arrived), not from a golden run and not a golden task already; one per distinct input
(input_hash); then taken in turn across tenants and across success / failure (a stable hash
order inside each), so the list mixes tenants and outcomes instead of repeating the busiest
tenant's successes. Read-only; all in DuckDB SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from floop.errors import OperationalError
from floop.warehouse import connect

COLUMNS = [
    "session_id",
    "task_id",
    "output_id",
    "tenant_id",
    "input_hash",
    "prompt_version",
    "model_id",
    "model_version",
    "primary_outcome_value",
    "interacted_at",
]

_SQL = f"""
with candidates as (
    select i.*, s.input_hash, md5(i.output_id) as draw
    from marts.fct_interactions as i
    join staging.stg_interactions as s using (output_id)
    where i.task_type = $workflow
        and not i.is_shadow
        and not i.is_golden
        and i.carries_outcome
        and i.primary_outcome_value is not null
        and i.task_id not in (select golden_task_id from reference.golden_tasks)
),
one_per_input as (
    select * from candidates
    qualify row_number() over (partition by input_hash order by draw) = 1
),
spread as (
    select *, row_number() over (
        partition by tenant_id, primary_outcome_value > 0 order by draw
    ) as turn
    from one_per_input
)
select {", ".join(COLUMNS)}
from spread
order by turn, tenant_id, primary_outcome_value > 0, draw
limit $limit
"""


@dataclass(frozen=True)
class Proposal:
    workflow: str
    columns: list[str]
    rows: list[tuple[Any, ...]]


def propose(warehouse: Path, workflow: str, limit: int = 20) -> Proposal:
    """Up to LIMIT candidate sessions of WORKFLOW. Raises OperationalError when the warehouse
    is not built or the workflow has no traffic."""
    if not Path(warehouse).exists():
        raise OperationalError(f"warehouse not found: {warehouse}")
    try:
        con = connect(Path(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise OperationalError(f"cannot open {warehouse}: {str(exc).splitlines()[0]}") from None
    try:
        known = [
            r[0]
            for r in con.execute(
                "select distinct task_type from marts.fct_interactions order by 1"
            ).fetchall()
        ]
        if workflow not in known:
            raise OperationalError(
                f"workflow {workflow!r} has no traffic in {warehouse} "
                f"(known: {', '.join(known) or 'none'})"
            )
        rows = con.execute(_SQL, {"workflow": workflow, "limit": limit}).fetchall()
    except duckdb.CatalogException as exc:
        raise OperationalError(
            f"{warehouse} is not built (run `floop run` first): {str(exc).splitlines()[0]}"
        ) from None
    finally:
        con.close()
    return Proposal(workflow=workflow, columns=list(COLUMNS), rows=rows)
