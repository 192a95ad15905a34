"""The dashboards in a real browser: `floop dashboard`'s exact command serves the analyst copy
of the demo warehouse on a free loopback port; headless Debian Chromium (driven by Playwright,
never a downloaded browser) opens each page; the tests assert that the charts were drawn and
that the numbers on screen are the marts' values. Screenshots land in test-artifacts/."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import PROJECT_DIR, TEST_NOW

from floop.config import parse_now
from floop.dashboard.charts import (
    PROVISIONAL_COLOR,
    VERDICT_COLORS,
    fmt_count,
    fmt_pp,
    fmt_rate,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHART = '[data-testid="stVegaLiteChart"]'
# A chart is drawn once vega-embed has put its marks (svg or canvas) inside the chart element;
# before that Streamlit shows only a skeleton.
DRAWN = f"{CHART}:has(svg.marks, canvas.marks)"

T_WEEKLY = "marts.fct_version_outcomes_weekly"
# the workflow seed's names of the primary outcomes: what the pages call the outcome rates
OUTCOME_METRICS = ("resolved", "tests_passed", "answer_accepted")

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)"
)


# ------------------------------------------------------------------------------------------
# Harness: serve the app, drive the browser
# ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    warehouse: Path, log_path: Path, timeout: float = 120.0, landing: Path | None = None
) -> Iterator[str]:
    """Start the app with `floop dashboard`'s command; yield its URL; kill its process group."""
    from floop.dashboard import streamlit_command, streamlit_env

    port = free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            streamlit_command(warehouse, port, landing=landing),
            env=streamlit_env(warehouse, landing),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended as one below
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"streamlit exited {proc.returncode}: {log_path.read_text()}"
                    )
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not answer its health check in time")
                time.sleep(0.5)
            yield base
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def open_page(page: Any, url: str, min_charts: int) -> None:
    """Go to URL; wait until Streamlit finished the script and MIN_CHARTS charts are drawn."""
    page.goto(url)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached"
    )
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n", arg=[DRAWN, min_charts]
    )
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached"
    )


def drawn_charts(page: Any) -> int:
    return int(page.evaluate("(sel) => document.querySelectorAll(sel).length", DRAWN))


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def metric_values(page: Any) -> dict[str, str]:
    """Every st.metric on the page: label -> displayed value."""
    out: dict[str, str] = {}
    for m in page.query_selector_all('[data-testid="stMetric"]'):
        label = m.query_selector('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = m.query_selector('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def table_rows(page: Any, index: int) -> list[dict[str, str]]:
    """The rows of the INDEX-th st.table on the page, as header -> cell text (index dropped)."""
    table = page.query_selector_all('[data-testid="stTable"] table')[index]
    headers = [th.inner_text().strip() for th in table.query_selector_all("thead th")]
    rows = []
    for tr in table.query_selector_all("tbody tr"):
        cells = [c.inner_text().strip() for c in tr.query_selector_all("th, td")]
        rows.append({h: v for h, v in zip(headers, cells, strict=True) if h})
    return rows


# ------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyst_copy(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The analyst copy of the demo warehouse, as `floop run` publishes it, after one dataset
    export (so the Datasets page has a manifest): what the dashboard reads in production."""
    from floop.dbt import run_dbt
    from floop.export import export_dataset
    from floop.publish import publish_analyst_copy

    root = tmp_path_factory.mktemp("dashboard")
    wh = root / "floop.duckdb"  # a writable copy: the session warehouse stays read-only
    shutil.copy(built_warehouse, wh)
    target = built_warehouse.parent / f"{built_warehouse.stem}_dbt_target"
    if target.exists():  # the dbt manifest the export fingerprints, and partial-parse state
        shutil.copytree(target, root / f"{wh.stem}_dbt_target")
    export_dataset("support_finetune", wh, TEST_NOW[:10], root / "exports")
    run_dbt(
        ["run", "-s", "stg_dataset_manifests", "fct_dataset_lineage"], wh, now=parse_now(TEST_NOW)
    )
    dest = root / "analyst.duckdb"
    publish_analyst_copy(wh, dest)
    return dest


@pytest.fixture(scope="module")
def app_url(analyst_copy: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium absent (apt-get install chromium)")
    with serve(analyst_copy, analyst_copy.parent / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="module")
def page(app_url: str, analyst_copy: Path) -> Iterator[Any]:
    pytest.importorskip("playwright", reason="playwright not installed (pip install -e .[dev])")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(analyst_copy.parent / "chromium-profile"),  # fresh profile every session
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 3600},
        )
        try:
            p = ctx.pages[0] if ctx.pages else ctx.new_page()
            p.set_default_timeout(90_000)
            yield p
        finally:
            ctx.close()


def mart(path: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def has_table(path: Path, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        mart(
            path,
            "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        )
    )


def version_label(prompt: str, model: str, model_version: str, knowledge: str | None) -> str:
    return " | ".join(
        x if x is not None else "-" for x in (prompt, model, model_version, knowledge)
    )


# ------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------


def test_dashboard_refuses_missing_warehouse(tmp_path: Path) -> None:
    from floop.dashboard import serve
    from floop.errors import OperationalError

    with pytest.raises(OperationalError, match="does not exist"):
        serve(tmp_path / "nope.duckdb", 8599)


def test_no_pages_folder_beside_the_app() -> None:
    """A `pages/` folder beside app.py switches Streamlit to its legacy multipage mode: a deep
    link opened first on a fresh server (/versions?workflow=..) renders blank."""
    from floop.dashboard import APP_PATH

    assert not (APP_PATH.parent / "pages").exists()


def test_the_app_runs_with_the_viewer_toolbar() -> None:
    """No Deploy button and no developer menu: `floop dashboard` passes client.toolbarMode, and
    .streamlit/config.toml says the same for a hand-run `streamlit run` from the repository.
    (Streamlit's default, "auto", shows them to visitors on localhost.)"""
    from floop.dashboard import streamlit_command

    command = streamlit_command(Path("w.duckdb"), 8501)
    flag = command.index("--client.toolbarMode")
    assert command[flag + 1] in {"viewer", "minimal"} and flag < command.index("--")
    config = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == command[flag + 1]


def test_formatting_is_the_one_the_pages_use() -> None:
    assert fmt_rate(0.6134) == "61.3%"
    assert fmt_rate(None) == "n/a"
    assert fmt_rate(float("nan")) == "n/a"
    assert fmt_count(12345) == "12,345"


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_overview_page(page: Any, app_url: str, analyst_copy: Path) -> None:
    open_page(page, f"{app_url}/", min_charts=2)
    screenshot(page, "overview")
    assert drawn_charts(page) >= 2
    # The week table defaults to the last complete week: the mart's rows, value for value.
    expected = {
        (tt, version_label(pv, mid, mv, kv), fmt_count(n), metric, fmt_rate(rate))
        for tt, pv, mid, mv, kv, n, metric, rate in mart(
            analyst_copy,
            "select w.task_type, prompt_version, model_id, model_version, knowledge_version, "
            "interactions, d.primary_outcome_metric, primary_outcome_rate "
            "from marts.fct_version_outcomes_weekly as w join marts.dim_workflows as d "
            "using (task_type) where interaction_week = (select max(interaction_week) "
            "- interval 7 day from marts.fct_version_outcomes_weekly)",
        )
    }
    shown = {
        (r["workflow"], r["version"], r["interactions"], r["outcome"], r["outcome rate"])
        for r in table_rows(page, 0)
    }
    assert expected and shown == expected
    assert {r["outcome"] for r in table_rows(page, 0)} <= set(OUTCOME_METRICS)


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_overview_data_health(page: Any, app_url: str, analyst_copy: Path) -> None:
    if not has_table(analyst_copy, "marts.fct_data_health_daily"):
        pytest.skip("marts.fct_data_health_daily is not built yet")
    open_page(page, f"{app_url}/", min_charts=4)
    metrics = metric_values(page)
    landed, accepted, duplicate, rejected, unresolved = mart(
        analyst_copy,
        "select lines_landed, lines_accepted, lines_duplicate, lines_rejected, "
        "orphan_feedback_unresolved from marts.fct_data_health_daily "
        "order by ingested_date desc limit 1",
    )[0]
    assert metrics["Lines landed"] == fmt_count(landed)
    assert metrics["Accepted"] == fmt_count(accepted)
    assert metrics["Duplicates"] == fmt_count(duplicate)
    assert metrics["Rejected"] == fmt_count(rejected)
    assert metrics["Orphan feedback (unresolved)"] == fmt_count(unresolved)
    newest = mart(
        analyst_copy,
        "select interacted_at from marts.fct_interactions order by interacted_at desc limit 1",
    )[0][0]
    assert metrics["Newest interaction (UTC)"] == str(newest)[:16]
    # the rejected-by-reason chart is drawn from the mart's per-reason counts
    reasons = mart(
        analyst_copy,
        "select rejected_by_reason from marts.fct_data_health_daily "
        "where rejected_by_reason is not null",
    )
    if reasons:
        assert page.get_by_text("Rejected lines by reason").count() == 1


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("tenant", [None, "first"])
def test_versions_page(page: Any, app_url: str, analyst_copy: Path, tenant: str | None) -> None:
    workflow = mart(analyst_copy, "select min(task_type) from marts.dim_workflows")[0][0]
    table = "marts.fct_version_outcomes_weekly"
    where, params = "task_type = ?", [workflow]
    url = f"{app_url}/versions?workflow={workflow}"
    if tenant:
        tenant = mart(
            analyst_copy,
            "select min(tenant_id) from marts.fct_version_outcomes_tenant_weekly "
            "where task_type = ?",
            [workflow],
        )[0][0]
        table = "marts.fct_version_outcomes_tenant_weekly"
        where, params = "task_type = ? and tenant_id = ?", [workflow, tenant]
        url += f"&tenant={tenant}"
    # outcome (+ band), thumbs, implicit signals, latency, tokens: at least five charts
    open_page(page, url, min_charts=5)
    screenshot(page, f"versions-{workflow}-{tenant or 'all'}")
    rows = mart(
        analyst_copy,
        f"select prompt_version, model_id, model_version, knowledge_version, interactions, "
        f"primary_outcome_rate, primary_outcome_rate_ci_low, primary_outcome_rate_ci_high, "
        f"primary_outcome_rate_numerator, primary_outcome_rate_denominator from {table} "
        f"where {where} and interaction_week = "
        f"(select max(interaction_week) - interval 7 day from {T_WEEKLY})",
        params,
    )
    expected = {
        (
            version_label(pv, mid, mv, kv),
            fmt_count(n),
            fmt_rate(rate),
            f"{fmt_rate(lo)} – {fmt_rate(hi)}",
            f"{fmt_count(num)} / {fmt_count(den)}",
        )
        for pv, mid, mv, kv, n, rate, lo, hi, num, den in rows
    }
    metric = mart(
        analyst_copy,
        "select primary_outcome_metric from marts.dim_workflows where task_type = ?",
        [workflow],
    )[0][0]
    shown = {
        (
            r["version"],
            r["interactions"],
            r[f"{metric} rate"],
            r["95% interval"],
            r["outcomes"],
        )
        for r in table_rows(page, 0)
    }
    assert expected and shown == expected
    # drill-down: the newest interactions of the busiest version (the default), straight from
    # fct_interactions
    totals: dict[tuple, int] = {}
    for pv, mid, mv, kv, n in mart(
        analyst_copy,
        f"select prompt_version, model_id, model_version, knowledge_version, interactions "
        f"from {table} where {where}",
        params,
    ):
        totals[(pv, mid, mv, kv)] = totals.get((pv, mid, mv, kv), 0) + n
    first = min(totals, key=lambda v: (-totals[v], version_label(*v)))
    n = mart(
        analyst_copy,
        "select count(*) from marts.fct_interactions where task_type = ? "
        "and prompt_version = ? and model_id = ? and model_version = ? "
        "and coalesce(knowledge_version, '(none)') = ?" + (" and tenant_id = ?" if tenant else ""),
        [workflow, *first, *([tenant] if tenant else [])],
    )[0][0]
    assert page.get_by_text(f"{min(n, 200)} newest interactions").count() == 1
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_versions_workflow_picker(page: Any, app_url: str, analyst_copy: Path) -> None:
    """Choosing another workflow in the page's select box redraws the page for it."""
    target = mart(analyst_copy, "select max(task_type) from marts.dim_workflows")[0][0]
    open_page(page, f"{app_url}/versions", min_charts=5)
    page.get_by_role("combobox", name="Workflow").click()
    page.get_by_role("option", name=target, exact=True).click()
    page.wait_for_url(f"**workflow={target}**")
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached"
    )
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n", arg=[DRAWN, 5]
    )
    expected = {
        version_label(pv, mid, mv, kv)
        for pv, mid, mv, kv in mart(
            analyst_copy,
            "select prompt_version, model_id, model_version, knowledge_version "
            "from marts.fct_version_outcomes_weekly where task_type = ? and interaction_week = "
            "(select max(interaction_week) - interval 7 day "
            "from marts.fct_version_outcomes_weekly)",
            [target],
        )
    }
    page.wait_for_function(
        "(first) => [...document.querySelectorAll('[data-testid=\"stTable\"] tbody tr')]"
        ".some(tr => tr.innerText.includes(first))",
        arg=sorted(expected)[0],
    )
    assert {r["version"] for r in table_rows(page, 0)} == expected


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_what_changed_page(page: Any, app_url: str, analyst_copy: Path) -> None:
    if not has_table(analyst_copy, "marts.fct_version_changes_weekly"):
        pytest.skip("marts.fct_version_changes_weekly is not built yet")
    rows = mart(
        analyst_copy,
        "select task_type, version_kind, version_id, outcome_delta, verdict "
        "from marts.fct_version_changes_weekly where interaction_week = "
        "(select max(interaction_week) - interval 7 day from marts.fct_version_outcomes_weekly)",
    )
    if not rows:
        pytest.skip("the demo has no version change last week")
    open_page(page, f"{app_url}/what_changed", min_charts=1)
    screenshot(page, "what-changed")
    expected = {(tt, kind, v, fmt_pp(d), verdict) for tt, kind, v, d, verdict in rows}
    shown = {
        (r["workflow"], r["kind"], r["version"], r["delta"], r["verdict"])
        for r in table_rows(page, 0)
    }
    assert shown == expected
    assert all(r["delta"].endswith(" pp") for r in table_rows(page, 0))
    drawn = svg_marks(page, 0)
    # the legend: every verdict in its fixed colour, whatever verdicts the data has, and the
    # running week's colour (no verdict)
    assert drawn["legend"] == {**VERDICT_COLORS, "provisional": PROVISIONAL_COLOR}
    # every change with a delta is one point: complete weeks coloured by their verdict, the
    # running week's in the provisional colour
    (running,) = mart(analyst_copy, "select max(interaction_week) from " + T_WEEKLY)[0]
    verdicts = mart(
        analyst_copy,
        "select case when interaction_week = ? then 'provisional' else verdict end, count(*) "
        "from marts.fct_version_changes_weekly where outcome_delta is not null group by 1",
        [running],
    )
    colour_of = {c.lower(): v for v, c in drawn["legend"].items()}
    points: dict[str, int] = {}
    for fill in drawn["points"]:
        points[colour_of[fill.lower()]] = points.get(colour_of[fill.lower()], 0) + 1
    assert points == dict(verdicts)
    assert "provisional" in points, "the demo has changes in its running week"
    # a zero line in every week's panel, at the x of the axis' 0 tick
    weeks = mart(
        analyst_copy,
        "select count(distinct interaction_week) from marts.fct_version_changes_weekly "
        "where outcome_delta is not null",
    )[0][0]
    assert len(drawn["zero_lines"]) == weeks
    assert all(abs(x - zero) < 1 for x, zero in drawn["zero_lines"])
    assert f"{running} (provisional)" in drawn["texts"]


def svg_marks(page: Any, index: int) -> dict[str, Any]:
    """What the INDEX-th chart of the page (drawn as SVG) drew: legend label -> symbol colour,
    the fill of every point, each zero rule's x with the x of the '0' axis tick, its texts."""
    return page.evaluate(
        """([sel, index]) => {
        const root = document.querySelectorAll(sel)[index].querySelector('svg.marks');
        const legend = {};
        const labels = [...root.querySelectorAll('.role-legend-label text')];
        const symbols = [...root.querySelectorAll('.role-legend-symbol path')];
        labels.forEach((t, i) => { legend[t.textContent] = symbols[i].getAttribute('fill'); });
        const points = [...root.querySelectorAll('.change_points_marks path')]
            .map(p => p.getAttribute('fill'));
        // the panels share the x scale; the axis (with its '0' tick) is drawn once
        const tick = [...root.querySelectorAll('.role-axis-label text')]
            .find(t => t.textContent.trim() === '0');
        const tick_x = tick.getBoundingClientRect().left + tick.getBoundingClientRect().width / 2;
        const zero_lines = [...root.querySelectorAll('.zero_line_marks line')]
            .map(line => [line.getBoundingClientRect().left, tick_x]);
        const texts = [...root.querySelectorAll('text')].map(t => t.textContent);
        return {legend, points, zero_lines, texts};
    }""",
        [CHART, index],
    )


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_experiments_page(page: Any, app_url: str, analyst_copy: Path) -> None:
    open_page(page, f"{app_url}/experiments", min_charts=2)
    screenshot(page, "experiments")
    arms = mart(
        analyst_copy,
        "select experiment_id, variant, primary_outcome_rate, delta_vs_control, "
        "delta_vs_control_ci_low, delta_vs_control_ci_high from marts.fct_experiment_arms",
    )
    shown = {
        (r["experiment"], r["arm"], r["outcome rate"], r["lift"], r["lift low"], r["lift high"])
        for r in table_rows(page, 0)
    }
    assert shown == {
        (e, v, fmt_rate(rate), fmt_pp(d), fmt_pp(lo), fmt_pp(hi))
        for e, v, rate, d, lo, hi in arms
    }
    allocations = mart(
        analyst_copy,
        "select experiment_id, variant, allocation_status, weight, prob_best, "
        "randomization_units from marts.fct_bandit_allocations",
    )
    assert allocations, "the simulator's bandit is configured"
    shown = {
        (r["experiment"], r["arm"], r["status"], r["weight"], r["P(best)"], r["units"])
        for r in table_rows(page, 1)
    }
    assert shown == {
        (e, v, s, fmt_rate(w), fmt_rate(p), fmt_count(u))
        for e, v, s, w, p, u in allocations
    }


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_datasets_page(page: Any, app_url: str, analyst_copy: Path) -> None:
    open_page(page, f"{app_url}/datasets", min_charts=0)
    screenshot(page, "datasets")
    assert drawn_charts(page) >= 1  # rows per manifest
    manifests = mart(
        analyst_copy,
        "select distinct manifest_id, policy_name, row_count from marts.fct_dataset_lineage "
        "where has_manifest",
    )
    assert manifests, "the fixture exported a dataset"
    shown = {(r["manifest"], r["policy_name"], r["row_count"]) for r in table_rows(page, 0)}
    assert shown == {(m[:12] + "…", p, fmt_count(n)) for m, p, n in manifests}
    lineage = mart(
        analyst_copy,
        "select version_id, lineage_status from marts.fct_dataset_lineage",
    )
    shown_lineage = [(r["version_id"], r["lineage_status"]) for r in table_rows(page, 1)]
    assert sorted(shown_lineage) == sorted((v or "", st) for v, st in lineage)


# ------------------------------------------------------------------------------------------
# Issue 15: the running week, honest charts, Compare and Session, no Deploy button
# ------------------------------------------------------------------------------------------

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def chart_svg(page: Any, index: int) -> dict[str, Any]:
    """What the INDEX-th chart drew: legend label -> symbol (fill, shape path, opacity), the
    opacity of every point of the layer named `points_layer`... (all named layers' marks), the
    axis labels and every text."""
    return page.evaluate(
        """([sel, index]) => {
        const root = document.querySelectorAll(sel)[index].querySelector('svg.marks');
        const legend = {};
        root.querySelectorAll('.role-legend').forEach(lg => {
            const labels = [...lg.querySelectorAll('.role-legend-label text')];
            const symbols = [...lg.querySelectorAll('.role-legend-symbol path')];
            labels.forEach((t, i) => {
                const s = symbols[i];
                legend[t.textContent] = {
                    fill: s.getAttribute('fill'), d: s.getAttribute('d'),
                    opacity: s.getAttribute('opacity') || s.getAttribute('fill-opacity'),
                    dash: s.getAttribute('stroke-dasharray')};
            });
        });
        const marks = {};
        root.querySelectorAll('g.mark-symbol, g.mark-rule, g.mark-line, g.mark-area')
            .forEach(g => {
                const name = [...g.classList].find(c => c.endsWith('_marks'));
                if (!name) return;
                marks[name] = (marks[name] || []).concat([...g.querySelectorAll('path, line')]
                    .map(p => ({fill: p.getAttribute('fill'),
                                opacity: p.getAttribute('opacity'),
                                x: p.getBoundingClientRect().left})));
            });
        const axis = [...root.querySelectorAll('.role-axis-label text')].map(t => t.textContent);
        const texts = [...root.querySelectorAll('text')].map(t => t.textContent);
        return {legend, marks, axis, texts};
    }""",
        [CHART, index],
    )


def chart_index(page: Any, key: str) -> int:
    """The index (among the page's charts) of the chart with Streamlit key KEY."""
    return int(
        page.evaluate(
            """(key) => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .findIndex(c => c.closest(`.st-key-chart_${key}`) !== null)""",
            key,
        )
    )


def is_monday_tick(label: str) -> bool:
    return label.split(" ")[0] in WEEKDAYS and label.startswith("Mon")


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_overview_marks_the_running_week_provisional(
    page: Any, app_url: str, analyst_copy: Path
) -> None:
    (running,) = mart(analyst_copy, f"select max(interaction_week) from {T_WEEKLY}")[0]
    open_page(page, f"{app_url}/", min_charts=2)
    # the week table defaults to the last complete week, and says so
    last = running - timedelta(days=7)
    assert page.get_by_text(f"Last complete week, per version: {last}").count() == 1
    assert all(r["week"] == str(last) for r in table_rows(page, 0))
    volumes = chart_svg(page, chart_index(page, "overview_volumes"))
    # the running week's label, on two lines: "2026-11-16" "(provisional)"
    assert f"{running}(provisional)" in volumes["axis"]
    assert "provisional (running week, partial data)" in volumes["legend"]
    lines = chart_svg(page, chart_index(page, "overview_outcome_rate"))
    assert "provisional (running week, partial data)" in lines["legend"]
    points = lines["marks"]["outcome_points_marks"]
    n_running, n_complete = mart(
        analyst_copy,
        f"select count(*) filter (where interaction_week = ?), "
        f"count(*) filter (where interaction_week != ?) from {T_WEEKLY} "
        "where primary_outcome_rate is not null",
        [running, running],
    )[0]
    opacities = sorted(float(p["opacity"] or 1) for p in points)
    assert opacities.count(0.35) == n_running > 0
    assert opacities.count(1.0) == n_complete
    # ticks on the weeks' Mondays; panels titled with the seed's metric names
    ticks = [t for t in lines["axis"] if t[:3] in WEEKDAYS]
    assert ticks and all(t.startswith("Mon") for t in ticks)
    assert {
        f"{w}: {m} rate"
        for w, m in zip(
            ("code_assist", "rag_qa", "support_chat"),
            ("tests_passed", "answer_accepted", "resolved"),
            strict=True,
        )
    } <= set(lines["texts"])
    assert not any("primary outcome rate" in t for t in lines["texts"])


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_overview_freshness_chart_says_what_it_measures(page: Any, app_url: str) -> None:
    open_page(page, f"{app_url}/", min_charts=4)
    title = "Freshness: hours from an outcome's event time to its ingestion, per ingest day"
    assert page.get_by_text(title).count() == 1
    drawn = chart_svg(page, chart_index(page, "health_lateness"))
    assert set(drawn["legend"]) == {"median (p50)", "p90", "max"}
    assert not any(t.endswith("…") for t in drawn["texts"])  # no cut labels


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_versions_legends_match_the_marks(page: Any, app_url: str, analyst_copy: Path) -> None:
    workflow = "support_chat"
    open_page(page, f"{app_url}/versions?workflow={workflow}", min_charts=7)
    screenshot(page, "versions-legends")
    thumbs = chart_svg(page, chart_index(page, "versions_thumbs"))
    raw, weighted = thumbs["legend"]["raw"], thumbs["legend"]["trust-weighted"]
    assert raw["d"] != weighted["d"], "raw and trust-weighted drawn with the same symbol"
    implicit = chart_svg(page, chart_index(page, "versions_implicit"))
    shapes = {implicit["legend"][m]["d"] for m in ("retried", "abandoned", "escalated")}
    assert len(shapes) == 3
    assert "mean edit distance" not in implicit["legend"]
    # edit distance has its own chart, on a plain (not %) axis
    edits = chart_svg(page, chart_index(page, "versions_edits"))
    numbers = [t for t in edits["axis"] if t and t[0].isdigit()]
    assert numbers and not any(t.endswith("%") for t in numbers)
    outcome = chart_svg(page, chart_index(page, "versions_outcome"))
    ticks = [t for t in outcome["axis"] if t[:3] in WEEKDAYS]
    assert ticks and all(t.startswith("Mon") for t in ticks)
    metric = mart(
        analyst_copy,
        "select primary_outcome_metric from marts.dim_workflows where task_type = ?",
        [workflow],
    )[0][0]
    assert page.get_by_text(f"{metric} rate per version, with its 95% Wilson interval").count()


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_no_deploy_button_and_every_page_has_its_url(page: Any, app_url: str) -> None:
    open_page(page, f"{app_url}/overview", min_charts=2)
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("heading", name="Overview").count() == 1
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    assert page.get_by_role("button", name="Deploy").count() == 0
    page.get_by_test_id("stMainMenuButton").click()
    menu = page.get_by_test_id("stMainMenuPopover")
    menu.wait_for()
    assert "Print" in menu.inner_text()
    assert not {"Rerun", "Clear cache", "Deploy"} & set(menu.inner_text().splitlines())
    page.keyboard.press("Escape")
    for path, title in (("compare", "Compare"), ("session", "Session"), ("labels", "Labels")):
        open_page(page, f"{app_url}/{path}", min_charts=0)
        assert page.get_by_role("heading", name=title).count() == 1, path


def comparison_pair(path: Path) -> tuple[str, date, str, str]:
    """A workflow, week and ordered pair of the comparisons mart with share differences: one
    with a regression when the demo has any, the newest complete week first."""
    return mart(
        path,
        "select task_type, interaction_week, baseline_version, candidate_version "
        "from marts.fct_version_comparisons_weekly "
        f"where interaction_week < (select max(interaction_week) from {T_WEEKLY}) "
        "group by all having count(delta) filter (where metric_unit = 'share') > 0 "
        "order by bool_or(is_regression) desc, interaction_week desc, 1, 3, 4 limit 1",
    )[0]


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_compare_page(page: Any, app_url: str, analyst_copy: Path) -> None:
    workflow, week, baseline, candidate = comparison_pair(analyst_copy)
    query = urllib.parse.urlencode(
        {"workflow": workflow, "week": str(week), "baseline": baseline, "candidate": candidate}
    )
    open_page(page, f"{app_url}/compare?{query}", min_charts=1)
    screenshot(page, "compare")
    rows = mart(
        analyst_copy,
        "select metric, metric_unit, baseline_value, candidate_value, delta, is_regression "
        "from marts.fct_version_comparisons_weekly where task_type = ? and interaction_week = ? "
        "and baseline_version = ? and candidate_version = ?",
        [workflow, week, baseline, candidate],
    )
    shown = {r["metric"]: r for r in table_rows(page, 0)}
    assert set(shown) == {m for m, *_ in rows}
    for metric, unit, a, b, delta, regression in rows:
        if unit == "share":
            assert shown[metric]["baseline"] == fmt_rate(a), metric
            assert shown[metric]["candidate"] == fmt_rate(b), metric
            assert shown[metric]["difference"] == fmt_pp(delta), metric
        assert (shown[metric]["regression"] == "REGRESSION") == regression, metric
    # regressions are red, and there is a zero line under the differences
    red = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stTable"] tbody tr')]
        .filter(tr => getComputedStyle(tr.querySelector('td')).color === 'rgb(198, 40, 40)')
        .map(tr => tr.innerText.split('\\t')[0].trim())"""
    )
    assert sorted(red) == sorted(m for m, *_, regression in rows if regression)
    drawn = chart_svg(page, chart_index(page, "compare_deltas"))
    assert len(drawn["marks"]["zero_line_marks"]) == 1


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_compare_page_experiment_arms(page: Any, app_url: str, analyst_copy: Path) -> None:
    experiment, arm = mart(
        analyst_copy, "select experiment_id, arm from marts.fct_experiment_results order by 1, 2"
    )[0]
    open_page(page, f"{app_url}/compare?experiment={experiment}&arm={arm}", min_charts=0)
    page.get_by_text("An experiment's arms").click()
    page.get_by_text(f"{experiment}: arm").wait_for()
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached"
    )
    screenshot(page, "compare-arms")
    metrics = mart(
        analyst_copy,
        "select metric from marts.fct_experiment_results where experiment_id = ? and arm = ?",
        [experiment, arm],
    )
    assert {r["metric"] for r in table_rows(page, 0)} == {m for (m,) in metrics}


def session_task(path: Path) -> str:
    """A task whose chain has an interaction, feedback and an outcome."""
    return mart(
        path,
        "select task_id from marts.fct_review_context group by task_id "
        "having count(distinct event_type) >= 3 and bool_or(event_type = 'outcome') "
        "and bool_or(event_type = 'feedback') order by count(*) desc, task_id limit 1",
    )[0][0]


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_session_page(page: Any, app_url: str, analyst_copy: Path) -> None:
    task = session_task(analyst_copy)
    open_page(page, f"{app_url}/session?task_id={task}", min_charts=1)
    screenshot(page, "session")
    events = mart(
        analyst_copy,
        "select event_type, coalesce(detail, ''), hours_after_task_start "
        "from marts.fct_review_context where task_id = ? order by event_at, event_order",
        [task],
    )
    shown = table_rows(page, 0)
    assert [(r["event"], r["detail"]) for r in shown] == [(t, d) for t, d, _ in events]
    assert {"interaction", "feedback", "outcome"} <= {t for t, _, _ in events}
    drawn = chart_svg(page, chart_index(page, "session_timeline"))
    timed = [h for *_, h in events if h is not None]
    assert len(drawn["marks"]["session_events_marks"]) == len(timed)
    assert {"interaction", "feedback", "outcome"} <= set(drawn["legend"])
    assert page.get_by_text("after the task's first interaction, ingested").count() >= 1


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_versions_drill_down_links_to_sessions(page: Any, app_url: str) -> None:
    """The drill-down's first column links each response to its task's Session page."""
    open_page(page, f"{app_url}/versions?workflow=support_chat", min_charts=5)
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    grid.locator('[role="gridcell"]').first.wait_for(state="attached")
    assert grid.locator('th[role="columnheader"]').first.inner_text() == "session"
    box = grid.bounding_box()
    x, y = box["x"] + 45, box["y"] + 35 + 18  # the link of the first row (header 35 px)
    page.mouse.click(x, y)  # the first click selects the cell, the second follows its link
    with page.context.expect_page() as opened:
        page.mouse.click(x, y)
    session = opened.value
    try:
        assert "/session?task_id=" in session.url
        task = urllib.parse.parse_qs(urllib.parse.urlparse(session.url).query)["task_id"][0]
        session.wait_for_selector(f"text=Task {task}")
    finally:
        session.close()
