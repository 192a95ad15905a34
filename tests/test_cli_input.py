"""Issue 11, cases 10 and 11 and "bad CLI input ... gives a one-line error and exit 2
everywhere": every bad argument is refused before any work starts, with one line on stderr,
never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR


def _floop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "floop.cli", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("ingest", "--now", "yesterday"),
        ("ingest", "--now", "2026-13-45"),
        ("ingest", "--now", ""),  # once silently meant the wall clock
        ("run", "--now", "9999-01-01T00:00:00Z"),  # would pin every later load stamp
        ("simulate", "--out", "x", "--start", "2026-02-30"),
        ("simulate", "--out", "x", "--days", "-3"),
        ("simulate", "--out", "x", "--bad-rate", "2"),
        ("export", "--policy", "support_finetune", "--as-of", "nope"),
        ("export", "--policy", "no_such_policy"),
        ("dashboard", "--port", "99999"),
        ("dashboard", "--port", "http"),
        ("waive", "some-load", "--reason", "x", "--warehouse", "/nonexistent/w.duckdb"),
        ("ingest", "--landing", "/nonexistent/landing"),
        ("nosuchcommand",),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    proc = _floop(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "error" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("content", [b"", b"not a duckdb file\n"])
def test_dashboard_on_a_file_that_is_not_duckdb(tmp_path: Path, content: bytes) -> None:
    """Case 11: a 0-byte (or foreign) file once showed a raw IO error on every page."""
    path = tmp_path / "analyst.duckdb"
    path.write_bytes(content)
    proc = _floop("dashboard", "--warehouse", str(path), "--port", "8999")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not" in proc.stderr and "Traceback" not in proc.stderr


def test_every_subcommand_has_a_description_and_an_example() -> None:
    from floop.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description and len(p.description) > 40, name
        assert p.epilog and "example" in p.epilog and f"floop {name}" in p.epilog, name


def test_feedback_filter_with_deep_nesting_is_refused_not_a_recursion_error() -> None:
    """Case 11: a `feedback_filter` with 5,000 nested parentheses raised RecursionError."""
    from floop.feedback_filter import MAX_NESTING, compile_feedback_filter

    assert compile_feedback_filter("(" * MAX_NESTING + "thumbs down" + ")" * MAX_NESTING)
    for text in ("(" * 5000 + "thumbs down" + ")" * 5000, "not " * 5000 + "thumbs down"):
        with pytest.raises(ValueError, match="nested"):
            compile_feedback_filter(text)
