"""Read the decisions of `marts.fct_version_gates` for a deploy pipeline: which candidates,
their decision and reasons, the exit code `floop gate` returns, and the JSON it writes.

Exit codes: 0 every selected candidate is `promote`; 1 any is `rollback` or `unhealthy`;
3 otherwise (`keep_running`, `insufficient_data`, or no candidate matched: nothing decided yet).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from floop.errors import OperationalError

GATES_TABLE = "marts.fct_version_gates"
PROMOTE, ROLLBACK, UNHEALTHY = "promote", "rollback", "unhealthy"
EXIT_PROMOTE, EXIT_STOP, EXIT_UNDECIDED = 0, 1, 3
# The gate columns reported per candidate (name in the JSON -> column of the mart).
GATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "srm": ("srm_gate", "srm_p_value"),
    "assignment": ("assignment_gate", "multiple_exposure_units"),
    "sample": ("sample_gate", "min_arm_units", "minimum_units_per_arm"),
    "primary": ("primary_gate", "primary_lift", "primary_lift_seq_ci_low",
                "primary_lift_seq_ci_high", "primary_seq_p_value_holm", "primary_chance_to_win",
                "primary_difference", "primary_difference_seq_ci_low",
                "primary_difference_seq_ci_high"),
    "guardrails": ("guardrail_gate", "breached_guardrails"),
    "golden": ("golden_gate", "candidate_golden_pass_rate", "incumbent_golden_pass_rate",
               "golden_pass_rate_diff"),
    "shadow": ("shadow_gate", "shadow_pairs", "shadow_pass_rate_diff",
               "shadow_pass_rate_diff_ci_low", "shadow_pass_rate_diff_ci_high"),
    "ramp": ("ramp_first_date", "ramp_latest_share"),
}


@dataclass(frozen=True)
class Decision:
    candidate_id: str
    candidate_kind: str
    workflow: str
    experiment_id: str | None
    candidate_version: str
    incumbent_version: str
    decision: str
    reasons: list[str]
    gates: dict[str, dict[str, Any]]


def read_decisions(path: Path, *, workflow: str | None = None,
                   candidate: str | None = None) -> list[Decision]:
    """The decisions in the DuckDB file PATH (read-only), optionally of one workflow and of
    one candidate (matched against the candidate's version, its id or its experiment)."""
    if not path.exists():
        raise OperationalError(f"{path}: no such DuckDB file (run `floop run` first)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise OperationalError(f"{path}: cannot open read-only: {exc}") from exc
    try:
        found = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'marts' "
            "and table_name = 'fct_version_gates'"
        ).fetchall()[0][0]
        if not found:
            raise OperationalError(f"{path}: has no {GATES_TABLE} (build the marts first)")
        cursor = con.execute(
            f"select * from {GATES_TABLE} "
            "where (? is null or workflow = ?) "
            "and (? is null or ? in (candidate_version, candidate_id, experiment_id)) "
            "order by candidate_id",
            [workflow, workflow, candidate, candidate],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return [_decision(row) for row in rows]


def _decision(row: dict[str, Any]) -> Decision:
    gates = {
        name: {col: row[col] for col in cols} for name, cols in GATE_COLUMNS.items()
    }
    return Decision(
        candidate_id=row["candidate_id"], candidate_kind=row["candidate_kind"],
        workflow=row["workflow"], experiment_id=row["experiment_id"],
        candidate_version=row["candidate_version"], incumbent_version=row["incumbent_version"],
        decision=row["decision"],
        reasons=[r for r in (row["reasons"] or "").split("; ") if r],
        gates=gates,
    )


def exit_code(decisions: list[Decision]) -> int:
    """0 all promote, 1 any rollback/unhealthy, 3 otherwise (module docstring)."""
    kinds = {d.decision for d in decisions}
    if kinds & {ROLLBACK, UNHEALTHY}:
        return EXIT_STOP
    if decisions and kinds == {PROMOTE}:
        return EXIT_PROMOTE
    return EXIT_UNDECIDED


def to_json(decisions: list[Decision], source: Path) -> str:
    doc = {
        "source": str(source),
        "exit_code": exit_code(decisions),
        "candidates": [asdict(d) for d in decisions],
    }
    return json.dumps(doc, indent=2, default=str) + "\n"


def format_decision(d: Decision) -> str:
    """Several lines: the decision, then one reason a line."""
    head = f"{d.decision.upper():17s} {d.candidate_id}  ({d.candidate_version} vs " \
           f"{d.incumbent_version})"
    return "\n".join([head, *(f"    - {r}" for r in d.reasons)])
