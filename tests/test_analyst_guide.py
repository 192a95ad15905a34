"""docs/analyst-guide.md cannot rot: every ```sql block runs against the analyst copy of the
demo warehouse and must return at least one row (the demo traffic plants an answer to each
question). A block whose first line is `-- may be empty` only has to run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "analyst-guide.md"
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.S | re.M)
QUESTION = re.compile(r"^## (\d+)\. (.+)$", re.M)


def sql_blocks() -> list[tuple[str, str]]:
    """(question heading, sql) for each sql block, in page order."""
    text = GUIDE.read_text(encoding="utf-8")
    out = []
    for m in SQL_BLOCK.finditer(text):
        headings = QUESTION.findall(text, 0, m.start())
        title = f"{headings[-1][0]}. {headings[-1][1]}" if headings else "intro"
        out.append((title, m.group(1)))
    return out


def test_guide_has_ten_questions_each_with_sql() -> None:
    questions = QUESTION.findall(GUIDE.read_text(encoding="utf-8"))
    assert [int(n) for n, _ in questions] == list(range(1, 11))
    answered = {title for title, _ in sql_blocks()}
    assert answered == {f"{n}. {q}" for n, q in questions}


@pytest.fixture(scope="module")
def analyst_copy(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide is written for the analyst copy: run it there (marts only, read-only)."""
    from floop.publish import publish_analyst_copy

    dest = tmp_path_factory.mktemp("guide") / "analyst.duckdb"
    publish_analyst_copy(built_warehouse, dest)
    return dest


@pytest.mark.slow
@pytest.mark.parametrize(("title", "sql"), sql_blocks(), ids=[t for t, _ in sql_blocks()])
def test_guide_query_answers(analyst_copy: Path, title: str, sql: str) -> None:
    con = duckdb.connect(str(analyst_copy), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    if not sql.lstrip().startswith("-- may be empty"):
        assert rows, f"question {title!r} found no answer in the demo warehouse"


def run_block(path: Path, number: int) -> tuple[list[str], list[tuple]]:
    """Columns and rows of the sql block answering question NUMBER."""
    sql = next(s for t, s in sql_blocks() if t.startswith(f"{number}. "))
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_guide_finds_the_planted_rollout_and_poisoning(
    analyst_copy: Path, demo_landing: Path
) -> None:
    """The simulator's truth file says which prompt rollout helped and which tenant's
    thumbs-down burst was anonymous; questions 1 and 2 must point at them."""
    truth_path = demo_landing.parent / f"{demo_landing.name}.truth.json"
    truth = json.loads(truth_path.read_text())
    cols, rows = run_block(analyst_copy, 1)
    by_prompt = {r[cols.index("prompt_version")]: r for r in rows}
    rollout = truth["rollout"]["to"]
    assert rollout in by_prompt, f"{rollout} not serving last week: {rows}"
    assert by_prompt[rollout][cols.index("delta")] > 0
    cols, rows = run_block(analyst_copy, 2)
    assert rows[0][cols.index("tenant_id")] == truth["poisoning"]["tenant_id"]
