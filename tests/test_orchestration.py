"""The Dagster job on real DuckDB, dbt and Dagster: the definitions load; `floop run` runs the
whole job in-process; a reader of the analyst copy keeps working while a run publishes; a planted
contract break fails its check and blocks the exports; the landing sensor fires once per file.

One warehouse is shared by the module (runs in order: full run via the CLI, an incremental
run with a reader attached, a run over a planted break), to pay Dagster's and dbt's fixed costs
as few times as honest."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from floop.config import parse_now
from floop.publish import RESTRICTED_COLUMNS

pytestmark = pytest.mark.slow

PROJECT_DIR = Path(__file__).resolve().parent.parent
POLICIES = sorted(p.stem for p in (PROJECT_DIR / "policies").glob("*.yml"))
FIRST_DAY = date(2026, 11, 2)
WORKFLOWS = {
    "support_chat": "resolved",
    "code_assist": "tests_passed",
    "rag_qa": "answer_accepted",
}


def day_events(day: date, n: int, seed: int) -> list[dict[str, Any]]:
    """N tasks of DAY across the three workflows: an interaction each, some feedback and an
    outcome, all valid under contract v1."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        wf = list(WORKFLOWS)[i % 3]
        oid = f"o-{day:%m%d}-{i}"
        task = f"t-{day:%m%d}-{i}"
        ts = f"{day.isoformat()}T{8 + i % 10:02d}:{i % 60:02d}:00Z"
        later = f"{day.isoformat()}T{19 + i % 4:02d}:{i % 60:02d}:00Z"
        tenant = ["acme", "globex"][i % 2]
        out.append(
            {
                "event_id": f"ev-{oid}",
                "event_type": "interaction",
                "schema_version": "1",
                "timestamp": ts,
                "tenant_id": tenant,
                "trace_id": f"tr-{oid}",
                "session_id": f"s-{task}",
                "user_id": f"u{i % 7}",
                "task_type": wf,
                "task_id": task,
                "country": ["DE", "US", "FR"][i % 3],
                "consent_scope": ["analytics", "evaluation", "training"][: 1 + i % 3],
                "output_id": oid,
                "input_hash": f"h{i}",
                "prompt_version": ["p1", "p2"][i % 2],
                "model_id": "m",
                "model_version": "v1",
                "output_tokens": 10 + i,
                "server_latency_ms": 100 + i,
            }
        )
        out.append(
            {
                "event_id": f"fb-{oid}",
                "event_type": "feedback",
                "schema_version": "1",
                "timestamp": later,
                "tenant_id": tenant,
                "trace_id": f"tr-{oid}",
                "output_id": oid,
                "feedback_type": "thumbs",
                "feedback_value": rng.choice([1, -1]),
                "actor_role": "end_user",
            }
        )
        out.append(
            {
                "event_id": f"oc-{oid}",
                "event_type": "outcome",
                "schema_version": "1",
                "timestamp": later,
                "tenant_id": tenant,
                "task_type": wf,
                "task_id": task,
                "outcome_metric_name": WORKFLOWS[wf],
                "outcome_metric_value": rng.choice([0, 1]),
            }
        )
    return out


def write_day(landing: Path, day: date, n: int = 12) -> Path:
    landing.mkdir(parents=True, exist_ok=True)
    path = landing / f"events-{day.isoformat()}.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in day_events(day, n, seed=day.day)))
    return path


def clock(day: date) -> str:
    """The run clock that closes DAY."""
    return f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z"


def fct_count(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_interactions").fetchone()[0]
    finally:
        con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Env:
    root: Path
    landing: Path
    warehouse: Path
    exports: Path
    analyst: Path
    home: Path
    runs: dict[str, Any] = field(default_factory=dict)

    def defs(self, prepare: bool = False) -> dg.Definitions:
        from orchestration.definitions import build_defs

        return build_defs(
            warehouse=self.warehouse,
            landing=self.landing,
            exports=self.exports,
            analyst_copy=self.analyst,
            prepare=prepare,
        )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("orch")
    e = Env(
        root=root,
        landing=root / "landing",
        warehouse=root / "floop.duckdb",
        exports=root / "exports",
        analyst=root / "analyst.duckdb",
        home=root / "dagster_home",
    )
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(e.home)  # floop run's instance: this tmp folder
    try:
        yield e
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old


@dataclass
class FirstRun:
    rc: int
    out: str
    report: Any
    # (line, whether `floop run` was still running when the line arrived)
    lines: list[tuple[str, bool]] = field(default_factory=list)


@pytest.fixture(scope="module")
def first_run(env: Env) -> FirstRun:
    """`floop run` as a subprocess on two days of traffic, its stdout read line by line as it
    comes."""
    from dagster import DagsterInstance

    from orchestration.runner import collect_report

    for i in range(2):
        write_day(env.landing, FIRST_DAY + timedelta(days=i))
    argv = ["run", "--landing", str(env.landing), "--warehouse", str(env.warehouse)]
    argv += ["--now", clock(FIRST_DAY + timedelta(days=1))]
    proc = subprocess.Popen(
        [sys.executable, "-m", "floop.cli", *argv],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines = [(line.rstrip("\n"), proc.poll() is None) for line in proc.stdout]
    rc = proc.wait()
    instance = DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    report = collect_report(instance, run.run_id)
    return FirstRun(rc, "\n".join(line for line, _ in lines), report, lines)


def test_definitions_load(env: Env, first_run: Any) -> None:
    defs = env.defs()
    job = defs.resolve_job_def("floop_job")
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/interaction_events", "marts/fct_interactions", "analyst_copy"} <= keys
    assert {f"exports/{p}" for p in POLICIES} <= keys
    # Everything the job runs is on the daily partitions.
    assert job.partitions_def is not None
    checks = {(c.asset_key.to_user_string(), c.name): c for c in graph.asset_check_keys}
    gx = [k for k in checks if k[1] == "gx_contract"]
    assert ("raw/interaction_events", "gx_contract") in gx
    specs = {
        (s.asset_key.to_user_string(), s.name): s
        for a in defs.assets or []
        if isinstance(a, dg.AssetsDefinition)
        for s in a.check_specs
    }
    assert specs[("raw/interaction_events", "gx_contract")].blocking
    assert specs[("raw/ingest_ledger", "gx_load")].blocking
    # a load that misses a tenant warns; it must not stop the loop
    assert not specs[("raw/ingest_ledger", "gx_volume")].blocking
    assert specs[("marts/fct_interactions", "unique_fct_interactions_output_id")].blocking
    # the reconciliation tests (several parents) are checks on the mart they guard
    assert specs[("marts/fct_interactions", "assert_every_interaction_once_in_wide_fact")].blocking
    assert specs[("marts/fct_data_health_daily", "assert_data_health_matches_ledger")].blocking
    fct = graph.get(dg.AssetKey(["marts", "fct_interactions"]))
    assert fct.freshness_policy is not None
    schedule = defs.resolve_schedule_def("daily")
    assert schedule.cron_schedule == "30 0 * * *"
    assert defs.resolve_sensor_def("landing_sensor").job_name == "floop_job"


def test_floop_run_materializes_everything(env: Env, first_run: Any) -> None:
    from floop.dataset_manifest import verify

    rc, out, report = first_run.rc, first_run.out, first_run.report
    assert rc == 0, out + "\n".join(report.errors)
    assert report.success
    assert report.partition == (FIRST_DAY + timedelta(days=1)).isoformat()
    done = set(report.materialized)
    assert {"raw/interaction_events", "marts/fct_interactions", "analyst_copy"} <= done
    assert {f"exports/{p}" for p in POLICIES} <= done
    assert not report.failed_checks
    assert any(c.endswith(": gx_contract") for c in report.passed_checks)
    assert any("unique_fct_interactions_output_id" in c for c in report.passed_checks)
    manifests = sorted(env.exports.rglob("manifest*.json"))
    assert len(manifests) >= len(POLICIES)
    for m in manifests:
        assert verify(m) == []
    assert fct_count(env.warehouse) == 24
    assert "floop run: finished" in out


def test_floop_run_prints_each_step_while_it_runs(first_run: FirstRun) -> None:
    """Issue 15: step lines (start, end, ingest files, dbt batches with counts) reach stdout
    while `floop run` is still running, not all at once at the end."""
    live = [line for line, running in first_run.lines if running]
    assert any("floop_ingest: started" in line for line in live), first_run.out
    assert any("floop_ingest: [2/2 files]" in line for line in live), first_run.out
    assert any("floop_ingest: quality: suite floop_batch_interaction" in line for line in live)
    assert any(re.search(r"floop_dbt: \d+/\d+ assets built, \d+/\d+ checks", line) for line in live)
    ends = [line for line in live if re.search(r"floop_dbt(_lineage)?: ok in [\d,.]+s$", line)]
    assert len(ends) == 2, first_run.out
    # the summary of the steps, printed live already, is not printed again at the end
    assert not any(re.match(r"\s+floop_dbt\s+ok\s", line) for line, _ in first_run.lines)


def test_first_runs_lineage_mart_lists_its_exports(env: Env, first_run: FirstRun) -> None:
    """Issue 15: the lineage mart and the analyst copy are built after the exports, so the
    first run's Datasets page shows the manifests that run exported."""
    assert first_run.report.success
    steps = [step for step, _, _ in first_run.report.steps]
    assert steps.index("floop_dbt_lineage") > max(
        steps.index(f"exports__{p}") for p in POLICIES
    )
    assert steps.index("analyst_copy") > steps.index("floop_dbt_lineage")
    q = "select count(distinct manifest_id) from marts.fct_dataset_lineage"
    con = duckdb.connect(str(env.analyst), read_only=True)
    try:
        assert con.execute(q).fetchone()[0] == len(POLICIES)
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.browser
def test_first_runs_datasets_page_shows_its_manifests(
    env: Env, first_run: FirstRun, tmp_path: Path
) -> None:
    """Issue 15, in the browser: the Datasets page of the analyst copy the first `floop run`
    published lists that run's manifests (it read "Exported manifests (0)" before)."""
    pytest.importorskip("playwright", reason="playwright not installed (pip install -e .[dev])")
    from playwright.sync_api import sync_playwright
    from test_dashboard import CHROMIUM, CHROMIUM_ARGS, open_page, serve, table_rows

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium absent (apt-get install chromium)")
    assert first_run.report.success
    with serve(env.analyst, tmp_path / "streamlit.log") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2400})
            page.set_default_timeout(90_000)
            open_page(page, f"{base}/datasets", min_charts=1)
            assert page.get_by_text(f"Exported manifests ({len(POLICIES)})").count() == 1
            assert {r["policy_name"] for r in table_rows(page, 0)} == set(POLICIES)
        finally:
            browser.close()


def test_assets_are_grouped_by_layer_and_every_check_is_described(
    env: Env, first_run: FirstRun
) -> None:
    defs = env.defs()
    graph = defs.resolve_asset_graph()
    group = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert group["raw/interaction_events"] == "raw"
    assert group["staging/stg_interactions"] == "staging"
    assert group["intermediate/int_interactions"] == "intermediate"
    assert group["marts/fct_interactions"] == "marts"
    assert group["marts/fct_dataset_lineage"] == "marts"
    assert group["exports/support_finetune"] == "exports"
    assert group["analyst_copy"] == "publish"
    assert "default" not in set(group.values()), group
    assert graph.get(dg.AssetKey(["marts", "fct_interactions"])).owners == ["team:analytics"]
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    specs = [s for a in assets for s in a.check_specs]
    assert specs and all((s.description or "").strip() for s in specs)
    described = {(s.asset_key.to_user_string(), s.name): s.description for s in specs}
    assert described[("marts/fct_interactions", "unique_fct_interactions_output_id")] == (
        "dbt test unique_fct_interactions_output_id: column output_id of fct_interactions has "
        "no duplicate values."
    )
    assert "no `floop export`" in described[
        ("marts/fct_dataset_lineage", "dataset_lineage_version_manifest_not_found")
    ]


def test_a_run_fills_its_partition(env: Env, first_run: FirstRun) -> None:
    """Every asset's materialization carries the run's partition (the UI's "Partitions
    filled" counts them)."""
    instance = dg.DagsterInstance.get()
    day = (FIRST_DAY + timedelta(days=1)).isoformat()
    for key in (["marts", "fct_interactions"], ["raw", "interaction_events"], ["analyst_copy"]):
        assert day in instance.get_materialized_partitions(dg.AssetKey(key)), key


def test_analyst_copy_holds_no_restricted_data(env: Env, first_run: Any) -> None:
    assert first_run.report.success
    con = duckdb.connect(str(env.analyst), read_only=True)
    try:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
        cols = {
            r[0].lower() for r in con.execute("select column_name from duckdb_columns()").fetchall()
        }
        n = con.execute("select count(*) from marts.fct_interactions").fetchone()[0]
    finally:
        con.close()
    assert "marts" in schemas
    assert not schemas & {"raw", "staging", "registry", "reference"}
    assert not cols & RESTRICTED_COLUMNS
    assert n == 24
    with pytest.raises(duckdb.Error):  # read-only for analysts
        ro = duckdb.connect(str(env.analyst), read_only=True)
        try:
            ro.execute("create table marts.x as select 1")
        finally:
            ro.close()


def test_a_run_without_new_data_builds_and_exports_nothing(env: Env, first_run: Any) -> None:
    """Issue 14: `floop run` again on the same landing: ingest finds nothing, the dbt step
    records why it built nothing (an observation per asset, no materialization), and the
    exports and the analyst copy downstream are skipped: the files stay as they were."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.assets.dbt import SKIPPED_BUILD

    assert first_run.report.success
    analyst_before = sha(env.analyst)
    exports_before = {p: sha(p) for p in env.exports.rglob("*") if p.is_file()}
    report = _run(env, FIRST_DAY + timedelta(days=1))
    assert report.success, report.errors
    assert not [k for k in report.materialized if k.split("/")[0] != "raw"], report.materialized
    steps = {step: status for step, status, _ in report.steps}
    assert steps["floop_dbt"] == "ok"
    assert {steps[f"exports__{p}"] for p in POLICIES} == {"skipped"}
    assert steps["analyst_copy"] == "skipped"
    observed = [
        e.dagster_event.event_specific_data.asset_observation.metadata
        for e in DagsterInstance.get().all_logs(
            report.run_id, of_type=DagsterEventType.ASSET_OBSERVATION
        )
    ]
    reasons = {m[SKIPPED_BUILD].value for m in observed if SKIPPED_BUILD in m}
    assert len(reasons) == 1 and next(iter(reasons)).startswith("nothing new")
    assert sha(env.analyst) == analyst_before
    assert {p: sha(p) for p in env.exports.rglob("*") if p.is_file()} == exports_before


def test_a_run_with_only_feedback_builds_only_what_reads_the_changed_sources(
    env: Env, first_run: Any
) -> None:
    """Issue 14: a file of feedback alone: the dbt step builds the models downstream of the
    sources that changed (floop.build_state), not the interaction models, which are reported
    unchanged with the reason, so that the exports and the analyst copy downstream still run."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.assets.dbt import SKIPPED_BUILD

    assert first_run.report.success
    day = FIRST_DAY + timedelta(days=1)
    feedback = [
        {**e, "event_id": "late-" + e["event_id"]}
        for e in day_events(day, 4, seed=day.day)
        if e["event_type"] == "feedback"
    ]
    path = env.landing / f"feedback-{day.isoformat()}.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in feedback))
    report = _run(env, day)
    assert report.success, report.errors
    steps = {step: status for step, status, _ in report.steps}
    assert steps["floop_dbt"] == "ok"
    assert {steps[f"exports__{p}"] for p in POLICIES} == {"ok"}
    assert steps["analyst_copy"] == "ok"
    events = DagsterInstance.get().all_logs(
        report.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    )
    materialized = {
        e.dagster_event.asset_key.to_user_string(): (
            e.dagster_event.event_specific_data.materialization.metadata
        )
        for e in events
    }
    assert SKIPPED_BUILD not in materialized["staging/stg_feedback"]
    assert materialized["staging/stg_interactions"][SKIPPED_BUILD].value.startswith(
        "not rebuilt: none of its inputs changed (sources changed: "
    )


@pytest.fixture(scope="module")
def second_run(env: Env, first_run: Any) -> Any:
    """A third day lands; the run (ingest, fct_interactions, analyst copy) publishes while a
    reader holds the previous analyst copy open and keeps querying it."""
    from orchestration.runner import run_job

    assert first_run.report.success
    day = FIRST_DAY + timedelta(days=2)
    write_day(env.landing, day)
    reader = duckdb.connect(str(env.analyst), read_only=True)
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_loop() -> None:
        try:
            while not stop.is_set():
                q = "select count(*) from marts.fct_interactions"
                seen.append(reader.execute(q).fetchone()[0])
                stop.wait(0.05)
        except BaseException as exc:  # surfaced by the test
            errors.append(exc)

    t = threading.Thread(target=read_loop)
    t.start()
    try:
        # Ingest and everything fct_interactions is built from, then the analyst copy.
        defs = env.defs()
        upstream = dg.AssetSelection.assets(dg.AssetKey(["marts", "fct_interactions"])).upstream()
        keys = upstream.resolve(defs.resolve_asset_graph())
        keys |= set(defs.resolve_assets_def(dg.AssetKey(["raw", "interaction_events"])).keys)
        report = run_job(
            env.landing,
            env.warehouse,
            parse_now(clock(day)),
            exports=env.exports,
            analyst_copy=env.analyst,
            prepare=False,
            asset_selection=[*keys, dg.AssetKey(["analyst_copy"])],
        )
    finally:
        stop.set()
        t.join()
        reader.close()
    return report, seen, errors


def test_reader_keeps_working_while_a_run_publishes(env: Env, second_run: Any) -> None:
    report, seen, errors = second_run
    assert report.success, report.errors
    assert "analyst_copy" in report.materialized
    assert not errors
    assert len(seen) > 10 and set(seen) == {24}  # the old copy, whole, the entire time
    assert fct_count(env.analyst) == 36  # new readers get the new copy


def test_planted_contract_break_fails_the_check_and_blocks_exports(
    env: Env, second_run: Any
) -> None:
    """A row that bypassed ingest (consent scope outside the contract's enum) lands in raw: the
    staging test fails as a blocking check, so neither the exports nor the analyst copy run."""
    from orchestration.runner import run_job

    assert second_run[0].success
    con = duckdb.connect(str(env.warehouse))
    con.execute(
        "insert into raw.interaction_events select * replace ("
        "'ev-planted' as event_id, 'o-planted' as output_id, ['marketing'] as consent_scope, "
        # stamped as a new load would be, so the incremental staging picks it up
        "(select max(_ingested_at) from raw.interaction_events) + interval 1 minute "
        "as _ingested_at) "
        "from raw.interaction_events limit 1"
    )
    con.close()
    analyst_before = sha(env.analyst)
    exports_before = sorted(str(p) for p in env.exports.rglob("*"))
    report = run_job(
        env.landing,
        env.warehouse,
        parse_now(clock(FIRST_DAY + timedelta(days=3))),
        exports=env.exports,
        analyst_copy=env.analyst,
        prepare=False,
        asset_selection=[
            dg.AssetKey(["staging", "stg_interactions"]),
            dg.AssetKey(["marts", "fct_interactions"]),
            *[dg.AssetKey(["exports", p]) for p in POLICIES],
            dg.AssetKey(["analyst_copy"]),
        ],
    )
    assert not report.success
    assert any(
        c.startswith("staging/stg_interactions:") and "consent_scope" in c
        for c in report.failed_checks
    ), report.failed_checks
    assert not any(m.startswith("exports/") for m in report.materialized)
    assert "analyst_copy" not in report.materialized
    assert sha(env.analyst) == analyst_before
    assert sorted(str(p) for p in env.exports.rglob("*")) == exports_before
    # Take the planted row out again (raw and the incremental staging model it reached), so
    # the later tests of this module start from a clean contract.
    con = duckdb.connect(str(env.warehouse))
    con.execute("delete from raw.interaction_events where event_id = 'ev-planted'")
    con.execute("delete from staging.stg_interactions where event_id = 'ev-planted'")
    con.close()


def test_sensor_picks_up_each_new_landing_file_once(env: Env) -> None:
    from orchestration.resources import FloopPaths

    landing = env.root / "sensor_landing"
    write_day(landing, FIRST_DAY)
    (landing / ".hidden.tmp").write_text("ignored")
    defs = env.defs()
    sensor = defs.resolve_sensor_def("landing_sensor")
    paths = FloopPaths(
        warehouse=str(env.warehouse),
        landing=str(landing),
        exports=str(env.exports),
        analyst_copy=str(env.analyst),
        policies_dir=str(PROJECT_DIR / "policies"),
    )
    with dg.instance_for_test() as instance:

        def tick(cursor: str | None) -> Any:
            ctx = dg.build_sensor_context(
                instance=instance, cursor=cursor, resources={"floop": paths}, definitions=defs
            )
            return sensor.evaluate_tick(ctx)

        first = tick(None)
        assert len(first.run_requests) == 1
        assert first.run_requests[0].partition_key
        again = tick(first.cursor)
        assert again.run_requests == [] and again.cursor in (None, first.cursor)
        write_day(landing, FIRST_DAY + timedelta(days=1))
        third = tick(first.cursor)
        assert len(third.run_requests) == 1
        assert third.run_requests[0].run_key != first.run_requests[0].run_key
        assert set(json.loads(third.cursor)) == {
            "events-2026-11-02.jsonl",
            "events-2026-11-03.jsonl",
        }
        assert tick(third.cursor).run_requests == []


def test_gx_failure_at_ingest_blocks_the_whole_job(env: Env, second_run: Any) -> None:
    """A landing file with too many bad lines: ingest quarantines them, the Great Expectations
    load suite (rejected share above the contract's maximum) fails as a blocking check, and
    neither dbt nor the exports nor the analyst copy run."""
    from orchestration.runner import run_job

    assert second_run[0].success
    day = FIRST_DAY + timedelta(days=4)
    good = write_day(env.landing, day)
    bad = env.landing / f"events-{day.isoformat()}-broken.jsonl"
    bad.write_text("".join(f'{{"event_type": "interaction", "broken": {i}\n' for i in range(10)))
    analyst_before = sha(env.analyst)
    report = run_job(
        env.landing,
        env.warehouse,
        parse_now(clock(day)),
        exports=env.exports,
        analyst_copy=env.analyst,
        prepare=False,
    )
    assert good.exists()
    assert not report.success
    assert "raw/ingest_ledger: gx_load" in report.failed_checks, report.failed_checks
    assert "raw/interaction_events: gx_contract" in report.passed_checks
    blocked = ("staging/", "intermediate/", "marts/", "exports/", "analyst_copy")
    assert not [m for m in report.materialized if m.startswith(blocked)]
    assert sha(env.analyst) == analyst_before


def _run(env: Env, day: date) -> Any:
    from orchestration.runner import run_job

    return run_job(
        env.landing,
        env.warehouse,
        parse_now(clock(day)),
        exports=env.exports,
        analyst_copy=env.analyst,
        prepare=False,
    )


def test_blocking_check_does_not_pass_on_the_second_try_and_waive_unblocks(
    env: Env, second_run: Any
) -> None:
    """Issue 11, case 2: the load that failed gx_load above stays blocked when the job runs
    again on the same data (no new batch), and is released only by `floop waive` (recorded)."""
    from floop.cli import main

    assert second_run[0].success
    day = FIRST_DAY + timedelta(days=5)
    analyst_before = sha(env.analyst)
    again = _run(env, day)
    assert not again.success
    assert "raw/ingest_ledger: gx_load" in again.failed_checks, again.failed_checks
    # nothing new landed: the GX checks say so instead of "expectations 0"
    evaluations = [
        e.dagster_event.event_specific_data
        for e in dg.DagsterInstance.get().all_logs(
            again.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        )
    ]
    gx = [ev for ev in evaluations if ev.check_name.startswith("gx_")]
    assert gx and all(
        str(ev.metadata["batch"].value).startswith("no new batch") for ev in gx
    ), [ev.metadata for ev in gx]
    assert not any("expectations" in ev.metadata for ev in gx)
    assert "analyst_copy" not in again.materialized and sha(env.analyst) == analyst_before

    blocked = (
        duckdb.connect(str(env.warehouse), read_only=True)
        .execute(
            "select distinct load_id from raw.gx_validations where not success "
            "and suite_name = 'floop_batch_load'"
        )
        .fetchall()
    )
    assert len(blocked) == 1
    args = ["waive", blocked[0][0], "--warehouse", str(env.warehouse), "--now", clock(day)]
    assert main([*args, "--reason", "  "]) == 2  # a waiver needs a reason
    assert main([*args, "--reason", "known broken client build, fixed upstream"]) == 0
    assert main([*args, "--reason", "twice"]) == 2  # no longer blocked: nothing to waive
    released = _run(env, day)
    assert released.success, (released.failed_checks, released.errors)
    assert "analyst_copy" in released.materialized
    con = duckdb.connect(str(env.warehouse), read_only=True)
    assert con.execute("select reason from raw.load_waivers").fetchall() == [
        ("known broken client build, fixed upstream",)
    ]
    con.close()


def test_a_load_never_validated_is_checked_by_the_next_run(env: Env) -> None:
    """Issue 11, case 2 (crash): a load committed without its quality step (as when the process
    dies between the two) is validated by the next run, and its failure blocks that run."""
    from floop.ingest import ingest

    day = FIRST_DAY + timedelta(days=7)
    bad = env.landing / f"events-{day.isoformat()}-crash.jsonl"
    bad.write_text(
        "".join(json.dumps(e) + "\n" for e in day_events(day, 6, seed=99))
        + "".join(f"not json {i}\n" for i in range(12))
    )
    crashed = ingest(env.landing, env.warehouse, parse_now(clock(day)), quality=False)
    assert crashed.rejected == 12 and crashed.quality is None
    con = duckdb.connect(str(env.warehouse), read_only=True)
    n = con.execute(
        "select count(*) from raw.gx_validations where load_id = ?", [crashed.load_id]
    ).fetchone()[0]
    con.close()
    assert n == 0
    report = _run(env, day + timedelta(days=1))
    assert not report.success
    assert "raw/ingest_ledger: gx_load" in report.failed_checks, report.failed_checks
    con = duckdb.connect(str(env.warehouse), read_only=True)
    n = con.execute(
        "select count(*) from raw.gx_validations where load_id = ?", [crashed.load_id]
    ).fetchone()[0]
    con.close()
    assert n > 0
