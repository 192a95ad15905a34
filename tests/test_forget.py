"""Issue 11, cases 3 and 4 end to end on a real run (simulate -> `floop run`: Dagster, ingest,
dbt, exports, analyst copy):

- case 3, the key: the first run generates a key file (mode 0600) and says so; guessed ids
  hashed with the public demo key (or with the real key) match nothing in the analyst copy;
- case 4, erasure: `floop forget` one simulated user, with --purge-landing; afterwards the id
  and the user's keyed hash are nowhere outside the audit row and the tombstones; the ledger
  adds up with `erased`; the datasets that held the user are superseded (registry, lineage
  mart, `export --verify`); re-ingesting an original landing file under a new name drops the
  user's lines as erased; the next incremental build equals a full rebuild.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from floop.cli import main
from floop.config import Layout, parse_now
from floop.dataset_manifest import verify
from floop.dbt import run_dbt
from floop.hash_key import DEMO_KEY, hash_id
from floop.ingest import ingest

pytestmark = pytest.mark.slow

NOW = "2026-11-03T00:00:00Z"
EXCLUDED = {("raw", "erasures"), ("raw", "erasure_tombstones")}


@dataclass
class Built:
    landing: Path
    original: Path  # the landing folder as simulated (never purged)
    layout: Layout
    run_output: str
    forget_output: str
    user: str
    user_hash: str
    ids: list[str]  # every user id of the simulated landing: the attacker's guesses
    before: dict[str, int]  # the user's footprint before the forget


def _q(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _footprint(wh: Path, user: str) -> dict[str, int]:
    (interactions,) = _q(
        wh, "select count(*) from raw.interaction_events where user_id = ?", [user]
    )
    (feedback,) = _q(wh, "select count(*) from raw.feedback_events where user_id = ?", [user])
    (quarantined,) = _q(
        wh, "select count(*) from raw.quarantine where contains(raw_line, ?)", [f'"{user}"']
    )
    return {"interactions": interactions[0], "feedback": feedback[0], "quarantined": quarantined[0]}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("forget")
    mp = pytest.MonkeyPatch()
    mp.delenv("FLOOP_HASH_KEY", raising=False)
    mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    try:
        original = root / "original"
        sim = "--days 3 --tasks-per-day 40 --seed 5 --start 2026-10-31 --bad-rate 0.05"
        assert main(["simulate", "--out", str(original), *sim.split()]) == 0
        landing = root / "landing"
        shutil.copytree(original, landing)
        layout = Layout.for_warehouse(root / "wh" / "floop.duckdb")
        wh = layout.warehouse
        capture = _Capture()
        with capture:
            rc = main(["run", "--landing", str(landing), "--warehouse", str(wh), "--now", NOW])
        assert rc == 0, capture.text[-3000:]
        run_output = capture.text
        ids = [
            u
            for (u,) in _q(
                wh,
                "select distinct user_id from raw.interaction_events "
                "where user_id is not null order by 1",
            )
        ]
        # the user with the most interactions among those that also have a quarantined line
        user = _q(
            wh,
            """select i.user_id from raw.interaction_events i
            where exists (select 1 from raw.quarantine q
                          where contains(q.raw_line, '"' || i.user_id || '"'))
            group by 1 order by count(*) desc, 1 limit 1""",
        )[0][0]
        before = _footprint(wh, user)
        key = layout.hash_key_file.read_text().strip()
        capture = _Capture()
        with capture:
            rc = main(
                ["forget", "--user", user, "--reason", "test erasure request"]
                + ["--warehouse", str(wh), "--now", NOW]
                + ["--purge-landing", "--landing", str(landing)]
            )
        assert rc == 0, capture.text[-3000:]
        yield Built(
            landing=landing,
            original=original,
            layout=layout,
            run_output=run_output,
            forget_output=capture.text,
            user=user,
            user_hash=hash_id(key, user),
            ids=ids,
            before=before,
        )
    finally:
        mp.undo()


class _Capture:
    """stdout and stderr of an in-process CLI call (capsys is function-scoped)."""

    def __enter__(self) -> None:
        self._buf = io.StringIO()
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stdout(self._buf))
        self._stack.enter_context(contextlib.redirect_stderr(self._buf))

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self.text = self._buf.getvalue()


def _varchar_hits(path: Path, needles: list[str], skip: set[tuple[str, str]]) -> list[str]:
    """schema.table.column of PATH whose text (any varchar or JSON column, as text) contains
    one of NEEDLES as a whole token or equals one."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and data_type in ('VARCHAR', 'JSON') "
            "and (schema_name, table_name) in (select schema_name, table_name from duckdb_tables())"
        ).fetchall()
        hits = []
        for schema, table, column in cols:
            if (schema, table) in skip:
                continue
            (n,) = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" in '
                f'(select unnest(?)) or regexp_matches("{column}", ?)',
                [needles, "(^|[^A-Za-z0-9_-])(" + "|".join(needles) + ")($|[^A-Za-z0-9_-])"],
            ).fetchone()
            if n:
                hits.append(f"{schema}.{table}.{column}")
        return hits
    finally:
        con.close()


# --- case 3: the key ----------------------------------------------------------------------


def test_first_run_generates_an_owner_only_key_file_and_says_so(built: Built) -> None:
    key_file = built.layout.hash_key_file
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "generated a new random key" in built.run_output and str(key_file) in built.run_output
    assert "demo key" not in built.run_output.lower()
    # the key never reached this process's environment, the console, nor the run log (with
    # dbt's output); dbt's own debug log renders the compiled SQL (README)
    key = key_file.read_text().strip()
    assert os.environ.get("FLOOP_HASH_KEY") is None
    assert key not in built.run_output and key not in built.forget_output
    run_log = built.layout.run_log.read_text(errors="ignore")
    assert key not in run_log


def test_a_later_command_reuses_the_key(built: Built) -> None:
    assert "hash key: " + str(built.layout.hash_key_file) in built.forget_output
    assert "generated" not in built.forget_output


def test_guessed_ids_hashed_with_the_public_key_match_nothing_in_the_analyst_copy(
    built: Built,
) -> None:
    copy = built.layout.analyst_copy
    key = built.layout.hash_key_file.read_text().strip()
    demo = [hash_id(DEMO_KEY, u) for u in built.ids]
    real = [hash_id(key, u) for u in built.ids]
    assert _varchar_hits(copy, demo, set()) == []
    # person keys are not published at all, whatever the key
    assert _varchar_hits(copy, real, set()) == []
    cols = _q(copy, "select column_name from duckdb_columns() where column_name like '%_key'")
    assert not {c for (c,) in cols} & {"user_key", "actor_key"}


# --- case 4: erasure ----------------------------------------------------------------------


def test_the_user_had_data_everywhere_before(built: Built) -> None:
    assert built.before["interactions"] > 0 and built.before["quarantined"] > 0


def test_forgotten_user_is_nowhere_outside_the_audit_row(built: Built) -> None:
    wh = built.layout.warehouse
    needles = [built.user, built.user_hash]
    assert _varchar_hits(wh, needles, EXCLUDED) == []
    assert _varchar_hits(built.layout.analyst_copy, needles, set()) == []
    audit = _q(wh, "select user_hash, reason, events_erased, quarantined_erased from raw.erasures")
    assert len(audit) == 1
    user_hash, reason, events, quarantined = audit[0]
    assert user_hash == built.user_hash and built.user not in reason
    assert events >= built.before["interactions"] + built.before["feedback"]
    assert quarantined >= built.before["quarantined"]
    # nor in the purged landing files
    for path in built.landing.rglob("*.jsonl*"):
        if path.suffix == ".gz":
            continue
        assert f'"{built.user}"' not in path.read_text(), path


def test_ledger_adds_up_with_erased(built: Built) -> None:
    wh = built.layout.warehouse
    ((lines, parts, erased),) = _q(
        wh,
        "select sum(lines), sum(accepted + duplicate + rejected + erased), sum(erased) "
        "from raw.ingest_ledger",
    )
    ((audited,),) = _q(
        wh, "select events_erased + quarantined_erased + duplicates_erased from raw.erasures"
    )
    assert lines == parts and erased == audited > 0
    ((health,),) = _q(wh, "select sum(lines_erased) from marts.fct_data_health_daily")
    assert health == erased


def test_datasets_that_held_the_user_are_superseded(built: Built) -> None:
    wh = built.layout.warehouse
    rows = _q(wh, "select manifest_path, superseded_at from registry.dataset_manifests")
    superseded = [Path(p) for p, at in rows if at is not None]
    assert superseded, rows
    for manifest in superseded:
        assert any("superseded" in p for p in verify(manifest))
    lineage = _q(
        wh,
        "select count(*) from marts.fct_dataset_lineage where is_manifest_superseded",
    )
    assert lineage[0][0] == len(superseded)


def test_reingesting_an_original_file_keeps_the_user_out(built: Built, tmp_path: Path) -> None:
    """An original landing file (before the purge) copied under a new name: the user's lines
    count as erased, the others as duplicates; then the next incremental dbt build equals a
    full rebuild."""
    wh = built.layout.warehouse
    source = max(
        (p for p in built.original.rglob("*.jsonl")),
        key=lambda p: p.read_text().count(f'"{built.user}"'),
    )
    assert f'"{built.user}"' in source.read_text()
    shutil.copy(source, built.landing / "copy-of-an-old-file.jsonl")
    result = ingest(built.landing, wh, parse_now(NOW), quality=False)
    (fr,) = [f for f in result.files if f.relative_path == "copy-of-an-old-file.jsonl"]
    assert fr.erased > 0 and fr.accepted == 0
    assert fr.lines == fr.duplicate + fr.rejected + fr.erased
    assert _varchar_hits(wh, [built.user], EXCLUDED) == []
    # incremental after a forget == full rebuild
    full = tmp_path / "full.duckdb"
    shutil.copy(wh, full)
    shutil.copy(built.layout.hash_key_file, Layout.for_warehouse(full).hash_key_file)
    run_dbt(["build", "--select", "+fct_interactions"], built.layout, now=parse_now(NOW))
    run_dbt(
        ["build", "--full-refresh", "--select", "+fct_interactions"],
        Layout.for_warehouse(full),
        now=parse_now(NOW),
    )
    con = duckdb.connect(str(wh), read_only=True)
    try:
        con.execute(f"attach '{full}' as full_copy (read_only)")
        for table in ("staging.stg_interactions", "staging.stg_feedback", "marts.fct_interactions"):
            diff = con.execute(
                f"select count(*) from ((select * from {table} except all "
                f"select * from full_copy.{table}) union all (select * from "
                f"full_copy.{table} except all select * from {table}))"
            ).fetchone()
            assert diff == (0,), table
    finally:
        con.close()


def test_forget_output_never_prints_the_id(built: Built) -> None:
    assert built.user not in built.forget_output
    assert json.dumps(built.user) not in built.forget_output
