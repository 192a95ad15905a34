"""Great Expectations Data Docs render offline: after `floop ingest` validates a load, the Data
Docs index, opened from file:// in Chromium with every request outside file:// and 127.0.0.1
aborted, is styled and lists its validations (bootstrap-table fills the list with JavaScript
that GX loads from CDNs; floop bundles it, floop/data_docs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import NOW, line, write_lines

from floop.config import Layout
from floop.data_docs import rewrite, vendored
from floop.ingest import ingest

pytestmark = pytest.mark.slow  # GX import and checkpoints take seconds

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TABLE = "table.ge-index-page-validation-results-table"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gxdocs")
    landing, wh = root / "landing", root / "wh.duckdb"
    write_lines(
        landing / "day1.jsonl",
        [line("interaction", f"i{i}", tenant_id=t) for i, t in enumerate(["acme", "globex"] * 3)]
        + [line("feedback", "f1", tenant_id="acme")],
    )
    result = ingest(landing, wh, NOW)
    assert result.quality is not None and result.quality.data_docs is not None
    index = Layout.for_warehouse(wh).data_docs
    assert index.exists()
    return index.parent


def test_every_page_loads_its_scripts_and_styles_from_the_site(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > 1
    for page in pages:
        text = page.read_text()
        assert "<script src=\"http" not in text and 'href="https://unpkg' not in text, page
        assert "cdn" not in text.split("<body")[0].lower(), page
    assert {p.name for p in (site / "static" / "vendor").iterdir()} == vendored()


def test_rewrite_drops_integrity_and_unbundled_assets() -> None:
    html = (
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js" integrity="x" '
        'crossorigin="anonymous"></script>\n'
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>\n'
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/'
        'bootstrap.min.css" integrity="y" crossorigin="anonymous">\n'
        '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/x/all.min.css">'
    )
    out = rewrite(html, "../static/vendor", vendored())
    assert out.split("\n") == [
        '<script src="../static/vendor/jquery.min.js"></script>',
        "",
        '<link rel="stylesheet" href="../static/vendor/bootstrap.min.css">',
        "",
    ]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent")
def test_index_lists_validations_with_the_network_blocked(site: Path) -> None:
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    aborted: list[str] = []

    def only_local(route, request) -> None:  # noqa: ANN001 (playwright's types)
        url = request.url
        if url.startswith(("file://", "http://127.0.0.1", "data:")):
            route.continue_()
        else:
            aborted.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_local)
            page.goto((site / "index.html").as_uri())
            rows = page.locator(f"{TABLE} tbody tr")
            rows.first.wait_for(timeout=30_000)
            texts = rows.all_inner_texts()
            # Bootstrap's stylesheet applied: its navbar is a flex container.
            display = page.evaluate(
                "getComputedStyle(document.querySelector('.navbar')).display"
            )
        finally:
            browser.close()
    assert any("floop_batch_interaction" in t for t in texts), texts
    assert any("floop_batch_load" in t for t in texts), texts
    assert display == "flex"
    assert not [u for u in aborted if u.endswith((".js", ".css"))], aborted
