"""benchmarks/bench_scale.py end to end on a few hundred interactions, so that it never rots
(not a timed test: the numbers are the benchmark's business)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # simulate, ingest, dbt run x2, floop run x2: a few minutes
def test_bench_scale_smoke(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    cmd = [
        sys.executable,
        str(PROJECT_DIR / "benchmarks" / "bench_scale.py"),
        "--interactions", "300", "--days", "2", "--workdir", str(tmp_path / "work"),
        "--skip", "test,memory,noop", "--json", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["interactions"] > 100
    assert {
        "read_json (limit)",
        "ingest",
        "full build (dbt run)",
        "hand-written (limit)",
        "incremental day (dbt run)",
        "floop run, no new data #1",
    } <= set(result["steps"])
    assert result["ratios"]["full_build_vs_limit_cpu"] > 0
    assert result["slowest_models_full"]
    assert "| step" in proc.stdout
