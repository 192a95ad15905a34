"""`floop gate` on a hand-made marts.fct_version_gates: exit codes 0 / 1 / 3 / 2, filters, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from floop.cli import main
from floop.gates import GATE_COLUMNS

ROWS = [  # candidate_id, kind, workflow, experiment_id, version, incumbent, decision
    ("experiment:e1/t", "experiment", "rag_qa", "e1", "v2", "v1", "promote"),
    ("experiment:e2/t", "experiment", "code_assist", "e2", "c2", "c1", "rollback"),
    ("experiment:e3/t", "experiment", "code_assist", "e3", "c3", "c1", "keep_running"),
    ("shadow:rag_qa/v9", "shadow", "rag_qa", None, "v9", "v2", "unhealthy"),
]


@pytest.fixture(scope="module")
def gates_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gate") / "analyst.duckdb"
    gate_cols = [c for cols in GATE_COLUMNS.values() for c in cols]
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_version_gates (candidate_id varchar, candidate_kind varchar, "
        "workflow varchar, experiment_id varchar, candidate_version varchar, "
        "incumbent_version varchar, decision varchar, reasons varchar, "
        + ", ".join(f"{c} varchar" for c in gate_cols) + ")"
    )
    for row in ROWS:
        con.execute(
            "insert into marts.fct_version_gates (candidate_id, candidate_kind, workflow, "
            "experiment_id, candidate_version, incumbent_version, decision, reasons) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)", [*row, f"{row[6]} because; of this"],
        )
    con.close()
    return path


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--candidate", "v2"], 0),  # by version
        (["--candidate", "e1"], 0),  # by experiment id
        (["--candidate", "experiment:e2/t"], 1),  # by id: rollback
        (["--candidate", "v9"], 1),  # unhealthy
        (["--candidate", "c3"], 3),  # keep_running
        (["--workflow", "rag_qa"], 1),  # promote + unhealthy
        (["--workflow", "code_assist", "--candidate", "c3"], 3),
        (["--candidate", "nothing"], 3),  # nothing decided
        ([], 1),
    ],
)
def test_exit_codes(gates_db: Path, args: list[str], code: int) -> None:
    assert main(["gate", "--warehouse", str(gates_db), *args]) == code


def test_prints_and_writes_json(gates_db: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gate.json"
    assert main(["gate", "--warehouse", str(gates_db), "--candidate", "e1",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "PROMOTE" in printed and "    - of this" in printed
    doc = json.loads(out.read_text())
    assert doc["exit_code"] == 0 and len(doc["candidates"]) == 1
    cand = doc["candidates"][0]
    assert cand["reasons"] == ["promote because", "of this"]
    assert set(cand["gates"]) == set(GATE_COLUMNS)


def test_bad_input_is_one_line_exit_2(gates_db: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "--warehouse", str(tmp_path / "missing.duckdb")]) == 2
    assert "no such DuckDB file" in capsys.readouterr().err
    assert main(["gate", "--warehouse", str(gates_db), "--json",
                 str(tmp_path / "no" / "dir" / "g.json")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and len(err.strip().splitlines()) == 1
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert main(["gate", "--warehouse", str(empty)]) == 2
    assert "has no marts.fct_version_gates" in capsys.readouterr().err
