"""docs/analyst-guide.md cannot rot: every ```sql block runs against the analyst copy of the
demo warehouse and must return at least one row (the demo traffic plants an answer to each
question). A block whose first line is `-- may be empty` only has to run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
import yaml

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


SEMANTIC = Path(__file__).resolve().parent.parent / "models" / "semantic" / "_semantic_models.yml"
GRAIN = "task_type, prompt_version, model_id, model_version, knowledge_version, interaction_week"


def semantic_metric_sql() -> dict[str, str]:
    """Each semantic-layer metric as SQL over fct_interactions, built from its YAML alone
    (what a MetricFlow query would aggregate), keyed by the mart column it must equal."""
    doc = yaml.safe_load(SEMANTIC.read_text(encoding="utf-8"))
    measures = {m["name"]: m for sm in doc["semantic_models"] for m in sm["measures"]}
    metrics = {m["name"]: m for m in doc["metrics"]}

    def agg(measure_name: str) -> str:
        m = measures[measure_name]
        expr = " ".join(m["expr"].split())
        if m["agg"] == "sum":
            return f"sum({expr})"
        assert m["agg"] == "percentile" and not m["agg_params"]["use_discrete_percentile"]
        return f"quantile_cont({expr}, {m['agg_params']['percentile']})"

    def metric(name: str) -> str:
        m = metrics[name]
        tp = m["type_params"]
        if m["type"] == "simple":
            return agg(tp["measure"])
        assert m["type"] == "ratio"
        return (
            f"cast({metric(tp['numerator'])} as double) "
            f"/ nullif(cast({metric(tp['denominator'])} as double), 0)"
        )

    return {
        col: metric(col)
        for col in (
            "primary_outcome_rate",
            "thumbs_up_share",
            "weighted_thumbs_up_share",
            "server_latency_p50_ms",
            "server_latency_p95_ms",
            "interactions",
        )
    }


@pytest.mark.slow
def test_semantic_layer_metrics_equal_the_marts(analyst_copy: Path) -> None:
    """Tools speaking the dbt semantic layer see the same numbers as the dashboards: every
    metric, aggregated per version and week from its YAML definition, equals the mart's."""
    metrics = semantic_metric_sql()
    computed = ", ".join(f"{sql} as {col}" for col, sql in metrics.items())
    sql = f"""
        with semantic as (
            select
                task_type, prompt_version, model_id, model_version,
                coalesce(knowledge_version, '(none)') as knowledge_version, interaction_week,
                {computed}
            from marts.fct_interactions
            group by all
        )
        select {", ".join(f"m.{c}, s.{c}" for c in metrics)}
        from marts.fct_version_outcomes_weekly as m
        left join semantic as s using ({GRAIN})
        -- rows of golden runs alone (no interaction) have nothing in the semantic model
        where m.interactions > 0
    """
    con = duckdb.connect(str(analyst_copy), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert rows
    for row in rows:
        for i, col in enumerate(metrics):
            mart_value, semantic_value = row[2 * i], row[2 * i + 1]
            assert (mart_value is None) == (semantic_value is None), (col, row)
            if mart_value is not None:
                assert semantic_value == pytest.approx(mart_value, rel=1e-9, abs=1e-9), col


def test_guide_starts_with_which_table_answers_which_question() -> None:
    """Issue 15: the guide's first section maps questions to tables, and names what an analyst
    guesses (workflow, <metric>_rate) with the names the warehouse uses."""
    text = GUIDE.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[0] == "Which table answers which question"
    first = text.split("## Which table answers which question", 1)[1].split("\n## ", 1)[0]
    for name in ("workflow", "task_type", "resolved_rate", "interaction_week"):
        assert name in first, name


@pytest.mark.slow
def test_rate_aliases_equal_the_workflows_primary_outcome_rate(analyst_copy: Path) -> None:
    """`<metric>_rate` (semantic layer) exists for every workflow's primary outcome metric
    (workflows seed) and equals the mart's primary_outcome_rate on that workflow's rows;
    `workflow` is a dimension over task_type."""
    doc = yaml.safe_load(SEMANTIC.read_text(encoding="utf-8"))
    dims = {d["name"]: d for sm in doc["semantic_models"] for d in sm["dimensions"]}
    assert dims["workflow"]["expr"] == "task_type"
    metrics = {m["name"]: m for m in doc["metrics"]}
    base = semantic_metric_sql()["primary_outcome_rate"]
    seed = Path(__file__).resolve().parent.parent / "seeds" / "workflows.csv"
    rows = [line.split(",")[:2] for line in seed.read_text().splitlines()[1:]]
    con = duckdb.connect(str(analyst_copy), read_only=True)
    try:
        for workflow, metric in rows:
            alias = metrics[f"{metric}_rate"]
            assert alias["type_params"] == metrics["primary_outcome_rate"]["type_params"]
            where = re.sub(
                r"\{\{\s*Dimension\('interaction__(\w+)'\)\s*\}\}",
                lambda m: dims[m.group(1)].get("expr", m.group(1)),
                alias["filter"],
            )
            assert where.strip() == f"task_type = '{workflow}'"
            pairs = con.execute(
                f"""with semantic as (
                    select {GRAIN.replace("knowledge_version", "coalesce(knowledge_version, "
                    "'(none)') as knowledge_version")}, {base} as rate
                    from marts.fct_interactions where {where} group by all
                )
                select m.primary_outcome_rate, s.rate
                from marts.fct_version_outcomes_weekly as m
                left join semantic as s using ({GRAIN})
                where m.task_type = ?""",
                [workflow],
            ).fetchall()
            assert pairs, workflow
            for mart_value, alias_value in pairs:
                assert (mart_value is None) == (alias_value is None)
                if mart_value is not None:
                    assert alias_value == pytest.approx(mart_value, rel=1e-9, abs=1e-9)
    finally:
        con.close()
