"""Issue 11, case 3: the hash key. Without FLOOP_HASH_KEY the first use generates a random key
into an owner-only file beside the warehouse (and says so); later uses reuse it; the demo key
is announced; dbt never falls back to a public key; the launcher never carries the key on its
command line. (End to end on a real run: tests/test_forget.py.)"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import duckdb
import pytest

from floop import hash_key
from floop.config import Layout
from floop.dbt import child_env, dbt_executable, launcher_flags, run_dbt
from floop.errors import OperationalError
from floop.summary import summary_lines
from floop.warehouse import connect, ensure_raw_schema


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Layout:
    monkeypatch.delenv(hash_key.ENV_VAR, raising=False)
    return Layout.for_warehouse(tmp_path / "wh" / "floop.duckdb")


def test_first_use_creates_an_owner_only_key_file_and_says_so(
    layout: Layout, capsys: pytest.CaptureFixture[str]
) -> None:
    key = hash_key.resolve(layout)
    assert key.source == "generated" and key.path == layout.hash_key_file
    assert stat.S_IMODE(layout.hash_key_file.stat().st_mode) == 0o600
    assert len(key.value) == 64 and key.value != hash_key.DEMO_KEY
    err = capsys.readouterr().err
    assert "generated a new random key" in err and str(layout.hash_key_file) in err
    assert key.value not in err


def test_second_use_reuses_the_key_silently(
    layout: Layout, capsys: pytest.CaptureFixture[str]
) -> None:
    first = hash_key.resolve(layout)
    capsys.readouterr()
    again = hash_key.resolve(layout)
    assert again.value == first.value and again.source == "file"
    assert capsys.readouterr().err == ""


def test_a_key_file_others_can_read_is_refused(layout: Layout) -> None:
    hash_key.resolve(layout)
    layout.hash_key_file.chmod(0o644)
    with pytest.raises(OperationalError, match="chmod 600"):
        hash_key.resolve(layout)


def test_env_var_wins_and_the_demo_key_is_announced(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(hash_key.ENV_VAR, hash_key.DEMO_KEY)
    key = hash_key.resolve(layout)
    assert key.is_demo and "public demo key" in key.describe()
    assert not layout.hash_key_file.exists()


def test_launcher_flags_never_carry_the_key(layout: Layout) -> None:
    key = hash_key.resolve(layout)
    flags = launcher_flags(layout)
    assert not any(key.value in f or hash_key.ENV_VAR in f for f in flags)


def _one_interaction(wh: Path) -> None:
    con = connect(wh)
    ensure_raw_schema(con)
    con.execute(
        """insert into raw.interaction_events (event_id, event_type, schema_version, "timestamp",
          tenant_id, trace_id, session_id, user_id, task_type, task_id, country, consent_scope,
          output_id, input_hash, prompt_version, model_id, model_version, output_tokens,
          server_latency_ms, _source_file, _line_number, _load_id, _ingested_at)
        values ('i1', 'interaction', '1', timestamp '2026-11-01 10:00:00', 'acme', 't1', 's1',
          'u42', 'support_chat', 'task1', 'DE', ['analytics'], 'o1', 'h', 'p1', 'gpt-x', 'm1',
          10, 100, 'f.jsonl', 1, 'l1', timestamp '2026-11-01 11:00:00')"""
    )
    con.close()


@pytest.mark.slow
def test_summary_warns_when_staged_keys_are_demo_hashes(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary judges the data: staged with the demo key -> a warning; with the generated
    key -> none (the demo hash of the raw id then matches nothing)."""
    _one_interaction(layout.warehouse)
    select = ["build", "--select", "stg_interactions"]
    out = run_dbt(select, layout, capture=True).stdout
    assert "public demo key" not in out
    assert not any("PUBLIC demo" in line for line in summary_lines(layout.warehouse))
    monkeypatch.setenv(hash_key.ENV_VAR, hash_key.DEMO_KEY)
    out = run_dbt([*select, "--full-refresh"], layout, capture=True).stdout
    assert out.count("FLOOP_HASH_KEY is the public demo key") == 1, out[-2000:]
    assert any("PUBLIC demo" in line for line in summary_lines(layout.warehouse))
    key = (
        duckdb.connect(str(layout.warehouse), read_only=True)
        .execute("select user_key from staging.stg_interactions")
        .fetchone()
    )
    assert key == (hash_key.hash_id(hash_key.DEMO_KEY, "u42"),)


@pytest.mark.slow
def test_dbt_without_a_key_stops_instead_of_using_a_public_one(
    layout: Layout,
) -> None:
    """dbt run outside floop (no FLOOP_HASH_KEY in its environment) fails at compile time."""
    _one_interaction(layout.warehouse)
    env = {k: v for k, v in os.environ.items() if k != hash_key.ENV_VAR}
    proc = subprocess.run(
        [dbt_executable(), "build", "--select", "stg_interactions"],
        env={**env, **child_env(layout)},
        cwd=str(Path(__file__).resolve().parent.parent),
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "FLOOP_HASH_KEY is not set" in proc.stdout
