"""Goldens on the Versions page, in a real browser (the harness and fixtures of
test_dashboard.py): the golden table shows fct_golden_results of the workflow, as formatted by
the page, and its chart is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_dashboard import (  # noqa: F401  (fixtures: analyst_copy, app_url, page)
    DRAWN,
    analyst_copy,
    app_url,
    mart,
    needs_chromium,
    open_page,
    page,
    screenshot,
    table_rows,
)

from floop.dashboard.charts import fmt_count, fmt_rate


@needs_chromium
@pytest.mark.slow
@pytest.mark.browser
def test_versions_page_shows_golden_results(
    page: Any,  # noqa: F811
    app_url: str,  # noqa: F811
    analyst_copy: Path,  # noqa: F811
) -> None:
    workflow = "support_chat"
    rows = mart(
        analyst_copy,
        "select prompt_version, model_id, model_version, golden_pass_rate, "
        "golden_pass_rate_ci_low, golden_pass_rate_ci_high, golden_pass_rate_numerator, "
        "golden_pass_rate_denominator, golden_tasks_covered, golden_tasks_registered "
        "from marts.fct_golden_results where workflow = ?",
        [workflow],
    )
    assert len(rows) >= 2, "the live prompt and the candidate before its rollout"
    # outcome, thumbs, implicit, latency, tokens, evals and the goldens chart
    open_page(page, f"{app_url}/versions?workflow={workflow}", min_charts=7)
    page.get_by_text("Golden tasks per version").wait_for()
    screenshot(page, f"versions-goldens-{workflow}")
    expected = {
        (
            f"{pv} | {mid} | {mv}",
            fmt_rate(rate),
            f"{fmt_rate(lo)} – {fmt_rate(hi)}",
            f"{fmt_count(num)} / {fmt_count(den)}",
            f"{fmt_count(cov)} / {fmt_count(reg)}",
        )
        for pv, mid, mv, rate, lo, hi, num, den, cov, reg in rows
    }
    shown = {
        (r["version"], r["golden pass rate"], r["95% interval"], r["passed"], r["tasks covered"])
        for r in table_rows(page, 1)
    }
    assert shown == expected
    assert page.locator(DRAWN).count() >= 7
