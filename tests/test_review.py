"""The human loop in a real browser: the Labels page shows the label marts, and the Review page
round-trip — an assignee logs in, labels two items of their queue in headless Chromium, the
answers land as label event files in the landing folder, `floop ingest` and dbt take them in,
and the labels are in the marts while the items left the open queue (the rest of the queue
unchanged)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_dashboard import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    open_page,
    screenshot,
    serve,
    table_rows,
)

from floop.cli import main
from floop.config import wall_clock
from floop.dbt import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.browser]
LABELER = "sme-1"
NOT_RUNNING = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def rows(wh: Path, sql: str, params: tuple = ()) -> list[tuple]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def setup(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A writable copy of the demo warehouse, its analyst copy and an empty landing folder."""
    from floop.publish import publish_analyst_copy

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium absent (apt-get install chromium)")
    root = tmp_path_factory.mktemp("review")
    wh = root / "floop.duckdb"
    shutil.copy(built_warehouse, wh)
    target = built_warehouse.parent / f"{built_warehouse.stem}_dbt_target"
    if target.exists():
        shutil.copytree(target, root / f"{wh.stem}_dbt_target")
    analyst = root / "analyst.duckdb"
    publish_analyst_copy(wh, analyst)
    landing = root / "landing"
    landing.mkdir()
    return {"wh": wh, "analyst": analyst, "landing": landing, "root": root}


@pytest.fixture(scope="module")
def page(setup: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    log = setup["root"] / "streamlit.log"
    with (
        serve(setup["analyst"], log, landing=setup["landing"]) as base,
        sync_playwright() as pw,
    ):
        ctx = pw.chromium.launch_persistent_context(
            str(setup["root"] / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 3000},
        )
        try:
            p = ctx.pages[0] if ctx.pages else ctx.new_page()
            p.set_default_timeout(90_000)
            setup["url"] = base
            yield p
        finally:
            ctx.close()


def test_labels_page_shows_the_label_marts(page: Any, setup: dict[str, Any]) -> None:
    open_page(page, f"{setup['url']}/labels", min_charts=3)
    screenshot(page, "labels")
    pairs = table_rows(page, 1)
    mart = rows(
        setup["analyst"],
        "select labeler_a, labeler_b, round(cohen_kappa, 3) from marts.fct_label_agreement "
        "order by label_name, taxonomy_version, labeler_a, labeler_b",
    )
    shown = [(r["labeler_a"], r["labeler_b"], r["cohen_kappa"]) for r in pairs]
    assert shown == [(a, b, "" if k is None else str(k)) for a, b, k in mart]
    assert page.locator(DRAWN).count() >= 3
    changes = table_rows(page, 3)
    assert changes[0]["taxonomy_version"] == "2" and changes[0]["is_distribution_changed"] == "True"


def _label_current_item(page: Any, value: str) -> str:
    """Answer the item on screen with VALUE; the output_id answered."""
    heading = page.locator("h3", has_text=re.compile(r"^Item ")).first.inner_text()
    output_id = heading.removeprefix("Item ").strip()
    page.locator('[data-testid="stRadio"] label').filter(has_text=re.compile(f"^{value}$")).click()
    page.get_by_role("button", name="Submit label").click()
    page.get_by_text(re.compile(r"^Saved label-")).wait_for()
    page.wait_for_selector(NOT_RUNNING, state="attached")
    return output_id


def test_review_round_trip(page: Any, setup: dict[str, Any]) -> None:
    wh, analyst, landing = setup["wh"], setup["analyst"], setup["landing"]
    queue_sql = (
        "select output_id, task_type, triage_week, queue_rank, assignee from "
        "marts.fct_triage_queue order by all"
    )
    queue_before = rows(wh, queue_sql)
    expected = rows(
        analyst,
        "select output_id from marts.fct_triage_queue where assignee = ? and status = 'open' "
        "order by triage_week desc, task_type, queue_rank limit 2",
        (LABELER,),
    )
    page.goto(f"{setup['url']}/review")
    page.wait_for_selector(NOT_RUNNING, state="attached")
    page.get_by_label("Labeler id (login)").fill(LABELER)
    page.get_by_label("Labeler id (login)").press("Enter")
    page.locator("h3", has_text=re.compile(r"^Item ")).first.wait_for()
    page.wait_for_selector(NOT_RUNNING, state="attached")
    # the item's context: the chain of events of its session, with the tenant
    assert page.get_by_text("Chain of events in the session").count() == 1
    first = _label_current_item(page, "incorrect")
    page.wait_for_function("(id) => !document.body.innerText.includes('Item ' + id)", arg=first)
    second = _label_current_item(page, "partially_correct")
    screenshot(page, "review")
    assert [(first,), (second,)] == expected
    files = sorted((landing / "labels").glob("label-*.jsonl"))
    assert len(files) == 2 and not list((landing / "labels").glob(".*"))

    now = wall_clock()
    assert (
        main(
            [
                "ingest",
                "--landing",
                str(landing),
                "--warehouse",
                str(wh),
                "--now",
                now.isoformat() + "Z",
                "--quiet",
            ]
        )
        == 0
    )
    run_dbt(["run", "-s", "stg_labels+"], wh, now=now)

    labeled = rows(
        wh,
        "select output_id, status from marts.fct_triage_queue where output_id in (?, ?) "
        "order by output_id",
        (first, second),
    )
    assert labeled == sorted([(first, "labeled"), (second, "labeled")])
    still_open = rows(
        wh,
        "select output_id from marts.fct_triage_queue where assignee = ? and status = 'open'",
        (LABELER,),
    )
    assert (first,) not in still_open and (second,) not in still_open
    assert rows(wh, queue_sql) == queue_before  # the queue did not reshuffle
    in_marts = rows(
        wh,
        "select output_id, detail from marts.fct_review_context where event_type = 'label' "
        "and detail like ? and output_id in (?, ?) order by output_id",
        (f"{LABELER}: % (taxonomy 2)", first, second),
    )
    assert sorted(in_marts) == sorted(
        [
            (first, f"{LABELER}: incorrect (taxonomy 2)"),
            (second, f"{LABELER}: partially_correct (taxonomy 2)"),
        ]
    )
    counts = rows(
        wh,
        "select output_id, label_count from marts.fct_interactions where output_id in (?, ?)",
        (first, second),
    )
    assert len(counts) == 2 and all(n >= 1 for _, n in counts)
