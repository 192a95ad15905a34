"""Dataset exports on a hand-made warehouse (fast): policy validation, consent, tenant
isolation, stable split, reproducibility, --verify. The same properties on the real built
warehouse (and lineage through dbt) are in tests/test_export_integration.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from floop import dataset_manifest, export
from floop.cli import main as cli_main
from floop.errors import OperationalError
from floop.policy import (
    EXPORTABLE_COLUMNS,
    PolicyError,
    compile_feedback_filter,
    list_policies,
    load_policy,
)
from floop.warehouse import connect, ensure_raw_schema

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEED = PROJECT_DIR / "seeds" / "compliance" / "country_domains.csv"
AS_OF = "2026-11-20"

# 600 interactions over 300 tasks, 3 tenants, 3 workflows, all consent combinations, in
# 2026-11-01 .. 2026-11-20. Columns as in marts.fct_interactions.
HANDMADE_SQL = """
create table marts.fct_interactions as
with base as (
    select
        i,
        timestamp '2026-11-01 08:00:00' + to_days((i % 20)::int) + to_minutes(i::bigint)
            as ts,
        [['analytics'], ['analytics', 'evaluation'], ['analytics', 'training'],
         ['analytics', 'evaluation', 'training'], []][(i % 5) + 1] as scope
    from range(600) as t(i)
)
select
    'o' || lpad(i::varchar, 5, '0') as output_id,
    'e' || i as event_id,
    ['acme', 'globex', 'initech'][((i // 7) % 3) + 1] as tenant_id,
    ['support_chat', 'code_assist', 'rag_qa'][((i // 2) % 3) + 1] as task_type,
    'task-' || (i // 2) as task_id,
    'tr' || i as trace_id,
    's' || (i // 4) as session_id,
    'ukey' || (i % 50) as user_key,
    ['DE', 'US', 'GB', 'FR', 'ZZ', 'JP'][(i % 6) + 1] as country,
    scope::varchar[] as consent_scope,
    list_contains(scope, 'analytics') as has_analytics_consent,
    list_contains(scope, 'evaluation') as has_evaluation_consent,
    list_contains(scope, 'training') as has_training_consent,
    ts as interacted_at,
    ts::date as interaction_date,
    date_trunc('week', ts)::date as interaction_week,
    'p-v' || (i % 3) as prompt_version,
    'gpt-x' as model_id,
    'm-' || (i % 2) as model_version,
    case when i % 3 = 2 then 'kb-1' end as knowledge_version,
    case when i % 4 = 0 then 'exp-1' end as experiment_id,
    case when i % 4 = 0 then 'treatment' end as variant,
    i % 10 = 3 as is_shadow,
    100 + i as input_tokens,
    50 + i % 17 as output_tokens,
    100.0 + i as server_latency_ms,
    120.0 + i as client_latency_ms,
    i % 4 as retrieved_count,
    i % 2 as cited_count,
    (i % 3 = 0)::int as thumbs_up_count,
    (i % 7 = 0)::int as thumbs_down_count,
    (i % 3 = 0)::double as weighted_thumbs_up,
    (i % 7 = 0)::double as weighted_thumbs_down,
    case when i % 5 = 1 then 1 + i % 5 end::double as rating_mean,
    (i % 11 = 0)::int as comment_count,
    case when i % 11 = 0 then ['too slow, mail [REDACTED_EMAIL]'] end as comments_redacted,
    (i % 4 = 1)::int as edit_count,
    case when i % 4 = 1 then (i % 10) / 10.0 end as edit_distance_mean,
    i % 6 = 0 as is_copied,
    i % 13 = 0 as is_retried,
    i % 17 = 0 as is_abandoned,
    i % 19 = 0 as is_escalated,
    500.0 + i as time_to_first_action_ms,
    900.0 + i as time_to_accept_ms,
    i % 3 as doc_click_count,
    i % 2 as eval_count,
    (i % 4 = 0)::int as eval_passed_count,
    case when i % 23 = 0 then 'golden-' || i end as golden_task_id,
    i % 23 = 0 as is_golden,
    (i % 8 = 0)::int * 2 as label_count,
    (i % 8 = 0)::int * 2 as labeler_count,
    case when i % 8 = 0 then (i % 3) / 2.0 end as label_agreement,
    i % 2 = 0 as carries_outcome,
    i % 29 = 0 as is_superseded,
    'resolved' as primary_outcome_metric,
    (i % 2)::double as primary_outcome_value,
    ts + interval 1 hour as primary_outcome_at,
    '{}'::json as secondary_outcomes,
    false as has_feedback_before_interaction
from base
"""


@pytest.fixture
def handmade(tmp_path: Path) -> Path:
    """A warehouse with just what the export reads: the wide table, the domain seed, the
    ingest ledger."""
    wh = tmp_path / "hand.duckdb"
    con = connect(wh)
    ensure_raw_schema(con)
    con.execute("create schema marts")
    con.execute("create schema reference")
    con.execute(HANDMADE_SQL)
    con.execute(
        f"create table reference.country_domains as select * from read_csv('{SEED}', header=true)"
    )
    con.execute(
        "insert into raw.ingest_ledger (load_id, file_path, file_format, file_size_bytes, sha256,"
        " lines, accepted, duplicate, rejected, ingested_at, duration_ms)"
        " values ('load-1', 'a.jsonl', 'jsonl', 10, 'abc', 5, 5, 0,"
        " 0, timestamp '2026-11-20 01:00:00', 1.5)"
    )
    con.close()
    return wh


def _files(manifest: Path) -> list[Path]:
    return [manifest.parent / f["path"] for f in json.loads(manifest.read_text())["files"]]


def _rows(manifest: Path) -> list[dict]:
    rows: list[dict] = []
    for f in _files(manifest):
        rows += pq.read_table(f).to_pylist()
    return rows


def _source(wh: Path, sql: str) -> list[tuple]:
    con = connect(wh, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- policies -----------------------------------------------------------------------------


def test_shipped_policies_validate_and_cover_the_workflows() -> None:
    policies = [load_policy(p) for p in list_policies()]
    assert len(policies) >= 3
    assert {w for p in policies for w in p.workflows} == {"support_chat", "code_assist", "rag_qa"}
    assert {p.purpose for p in policies} == {"training", "evaluation"}
    for p in policies:
        assert set(p.output_columns) <= set(EXPORTABLE_COLUMNS)
        assert "user_key" not in p.output_columns


def _write_policy(tmp_path: Path, text: str, name: str = "bad") -> Path:
    p = tmp_path / f"{name}.yml"
    p.write_text(text)
    return p


GOOD = """
name: {name}
description: d
owner: o
purpose: training
window: {{days: 7}}
workflows: [support_chat]
columns: [country]
split: {{eval_ratio: 0.1, salt: s}}
"""


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (("purpose: training", "purpose: fun"), "purpose", "training"),
        (("{days: 7}", "{days: 0}"), "window.days", "integer >= 1"),
        (("[support_chat]", "[support_chat, chess]"), "workflows", "support_chat"),
        (("[country]", "[country, user_key]"), "columns", "pseudonymous"),
        (("[country]", "[feedback_text]"), "columns", "comments_redacted"),
        (("[country]", "[nope]"), "columns", "columns of marts.fct_interactions"),
        (("eval_ratio: 0.1", "eval_ratio: 1.5"), "split.eval_ratio", "[0, 1]"),
        (("owner: o\n", "owner: o\nshadwo: include\n"), "shadwo", "known keys"),
        (("owner: o\n", ""), "owner", "required string"),
        (("owner: o\n", "owner: o\nfeedback_filter: thumbs down or drop table\n"),
         "feedback_filter", "known name"),
    ],
)  # fmt: skip
def test_policy_errors_name_file_key_and_expectation(
    tmp_path: Path, change: tuple[str, str], key: str, expected: str
) -> None:
    text = GOOD.format(name="bad").replace(*change)
    path = _write_policy(tmp_path, text)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    msg = str(err.value)
    assert str(path) in msg and f"key '{key}'" in msg and expected in msg, msg
    assert "\n" not in msg


def test_policy_name_must_match_file(tmp_path: Path) -> None:
    path = _write_policy(tmp_path, GOOD.format(name="other"), name="mine")
    with pytest.raises(PolicyError, match="key 'name'.*stem 'mine'"):
        load_policy(path)


def test_feedback_filter_compiles_the_issue_example() -> None:
    sql = compile_feedback_filter("thumbs down or edit distance > 0.5")
    assert sql == (
        "((coalesce(thumbs_down_count, 0) > 0) or coalesce(edit_distance_mean > 0.5, false))"
    )
    with pytest.raises(ValueError):
        compile_feedback_filter("edit distance > 0.5; drop table x")
    with pytest.raises(ValueError):
        compile_feedback_filter("(thumbs down")


# --- exports ------------------------------------------------------------------------------


def test_training_export_takes_only_training_consent(handmade: Path, tmp_path: Path) -> None:
    manifest = export.export_dataset("support_finetune", handmade, AS_OF, tmp_path / "out")
    rows = _rows(manifest)
    assert rows, "the policy should select rows from the hand-made table"
    ids = [r["output_id"] for r in rows]
    # Checked against the source, not against the exported flag: every exported row had
    # training consent, and every support row in the window with it and no rejection is there.
    consented = {
        r[0]
        for r in _source(
            handmade,
            "select output_id from marts.fct_interactions"
            " where list_contains(consent_scope, 'training')",
        )
    }
    assert set(ids) <= consented
    expected = _source(
        handmade,
        """select count(*) from marts.fct_interactions
           where list_contains(consent_scope, 'training') and task_type = 'support_chat'
             and interaction_date between date '2026-10-24' and date '2026-11-20'
             and not is_shadow and not is_superseded and thumbs_down_count = 0
             and not is_escalated and not coalesce(edit_distance_mean > 0.3, false)""",
    )[0][0]
    assert len(ids) == len(set(ids)) == expected
    assert {r["task_type"] for r in rows} == {"support_chat"}


def test_eval_export_takes_only_evaluation_consent(handmade: Path, tmp_path: Path) -> None:
    manifest = export.export_dataset("hard_cases_eval", handmade, AS_OF, tmp_path / "out")
    rows = _rows(manifest)
    assert rows
    consented = {
        r[0]
        for r in _source(
            handmade,
            "select output_id from marts.fct_interactions"
            " where list_contains(consent_scope, 'evaluation')",
        )
    }
    assert {r["output_id"] for r in rows} <= consented
    assert {r["split"] for r in rows} == {"eval"}  # eval_ratio 1.0


def test_partitions_hold_one_tenant_and_domain(handmade: Path, tmp_path: Path) -> None:
    manifest = export.export_dataset("support_finetune", handmade, AS_OF, tmp_path / "out")
    m = json.loads(manifest.read_text())
    assert len(m["files"]) > 3
    domains = dict(_source(handmade, "select country_code, compliance_domain from "
                                     "reference.country_domains"))  # fmt: skip
    for f in _files(manifest):
        parts = dict(p.split("=", 1) for p in f.parent.relative_to(manifest.parent / "data").parts)
        rows = pq.read_table(f).to_pylist()
        assert {r["tenant_id"] for r in rows} == {parts["tenant_id"]}
        assert {r["split"] for r in rows} == {parts["split"]}
        assert {domains.get(r["country"], "unmapped") for r in rows} == {parts["compliance_domain"]}
    # Rows per partition and split in the manifest match the files.
    by_split = {"train": 0, "eval": 0}
    for p in m["rows"]["by_partition"]:
        n = pq.read_metadata(manifest.parent / p["path"]).num_rows
        assert n == p["rows"]
        by_split[p["split"]] += n
    assert by_split == m["rows"]["by_split"]
    assert by_split["train"] > by_split["eval"] > 0


def test_split_is_stable_by_task(handmade: Path, tmp_path: Path) -> None:
    manifest = export.export_dataset("support_finetune", handmade, AS_OF, tmp_path / "out")
    split_of: dict[str, set[str]] = {}
    for r in _rows(manifest):
        split_of.setdefault(r["task_id"], set()).add(r["split"])
    assert all(len(s) == 1 for s in split_of.values())
    assert any(len(s) == 1 and "eval" in s for s in split_of.values())


def test_no_person_identifiers_in_files(handmade: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for p in list_policies():
        manifest = export.export_dataset(p.stem, handmade, AS_OF, out)
        names = {f["name"] for f in json.loads(manifest.read_text())["schema"]}
        assert not names & {"user_key", "user_id", "actor_id", "actor_key", "feedback_text"}
        for f in _files(manifest):
            text = f.read_bytes()
            assert b"ukey" not in text  # the hand-made user keys


def test_reexport_is_byte_identical_and_registered_once(handmade: Path, tmp_path: Path) -> None:
    m1 = export.export_dataset("support_finetune", handmade, AS_OF, tmp_path / "a")
    m2 = export.export_dataset("support_finetune", handmade, AS_OF, tmp_path / "b")
    d1, d2 = json.loads(m1.read_text()), json.loads(m2.read_text())
    assert d1["manifest_id"] == d2["manifest_id"]
    assert m1.relative_to(tmp_path / "a") == m2.relative_to(tmp_path / "b")
    for f1, f2 in zip(_files(m1), _files(m2), strict=True):
        assert f1.read_bytes() == f2.read_bytes()
    rows = _source(
        handmade,
        "select manifest_id, policy_name, row_count, train_row_count + eval_row_count,"
        " manifest_path from registry.dataset_manifests",
    )
    assert len(rows) == 1
    assert rows[0][:4] == (d1["manifest_id"], "support_finetune", d1["rows"]["total"],
                           d1["rows"]["total"])  # fmt: skip
    assert rows[0][4] == str(m2)  # the latest export's path
    # The same policy read from another place is the same dataset.
    elsewhere = tmp_path / "policies" / "support_finetune.yml"
    elsewhere.parent.mkdir()
    shutil.copy(PROJECT_DIR / "policies" / "support_finetune.yml", elsewhere)
    m4 = export.export_dataset(elsewhere, handmade, AS_OF, tmp_path / "c")
    assert json.loads(m4.read_text())["manifest_id"] == d1["manifest_id"]
    # Another as-of date is another dataset.
    m3 = export.export_dataset("support_finetune", handmade, "2026-11-10", tmp_path / "a")
    assert json.loads(m3.read_text())["manifest_id"] != d1["manifest_id"]
    assert _source(handmade, "select count(*) from registry.dataset_manifests")[0][0] == 2


def test_manifest_contents(handmade: Path, tmp_path: Path) -> None:
    m = json.loads(
        export.export_dataset("support_finetune", handmade, AS_OF, tmp_path / "o").read_text()
    )
    assert m["as_of"] == AS_OF
    assert m["window"] == {"start": "2026-10-24", "end": AS_OF}
    assert m["policy"]["name"] == "support_finetune"
    assert m["policy"]["hash"] == load_policy("support_finetune").policy_hash
    assert m["source"]["ingest_ledger_files"] == 1
    assert len(m["source"]["ingest_ledger_checksum"]) == 64
    assert m["source"]["last_event_at"].startswith("2026-11-")
    assert [c["name"] for c in m["schema"]][-2:] == ["compliance_domain", "split"]
    assert all(len(f["sha256"]) == 64 and not f["path"].startswith("/") for f in m["files"])
    # No dbt run on the hand-made warehouse: no dbt fingerprint, no manifest.json hash.
    assert m["build"]["dbt_project_sha256"] is None and m["run"]["dbt_manifest_sha256"] is None
    assert m["run"]["git_commit"]
    assert m["created_at"]


def test_verify_detects_a_changed_byte(handmade: Path, tmp_path: Path, capsys) -> None:
    manifest = export.export_dataset("support_finetune", handmade, AS_OF, tmp_path / "out")
    # A copied export folder verifies: paths are relative to the manifest.
    moved = tmp_path / "moved"
    shutil.copytree(manifest.parent, moved)
    assert dataset_manifest.verify(moved / "manifest.json") == []
    assert cli_main(["export", "--verify", str(manifest)]) == 0

    target = _files(manifest)[0]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    problems = dataset_manifest.verify(manifest)
    assert len(problems) == 1 and "sha256" in problems[0] and target.name in problems[0]
    capsys.readouterr()
    assert cli_main(["export", "--verify", str(manifest)]) == 1
    assert "FAILED" in capsys.readouterr().out

    # A removed file and an added one are found too.
    (moved / _files(manifest)[1].relative_to(manifest.parent)).unlink()
    (moved / "data" / "extra.parquet").write_bytes(b"x")
    problems = dataset_manifest.verify(moved / "manifest.json")
    assert any("missing" in p for p in problems) and any(
        "not in the manifest" in p for p in problems
    )


def test_cli_export_and_operational_errors(handmade: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli"
    args = ["export", "--policy", "rag_retrieval_per_tenant", "--warehouse", str(handmade)]
    assert cli_main([*args, "--as-of", AS_OF, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "exported rag_retrieval_per_tenant" in text and "manifest " in text
    assert len(list(out.glob("rag_retrieval_per_tenant/*/manifest.json"))) == 1
    assert not list(out.glob("rag_retrieval_per_tenant/.tmp-*"))

    assert cli_main([*args, "--as-of", "20-11-2026", "--out", str(out)]) == 2
    assert "is not a date YYYY-MM-DD" in capsys.readouterr().err
    assert cli_main(["export", "--policy", "nope", "--warehouse", str(handmade)]) == 2
    assert "no policy 'nope'" in capsys.readouterr().err
    assert cli_main(["export", "--warehouse", str(handmade)]) == 2
    with pytest.raises(OperationalError, match="not found"):
        export.export_dataset("support_finetune", tmp_path / "none.duckdb", AS_OF, out)


def test_export_refuses_a_busy_warehouse(handmade: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    # Another process holds the single DuckDB writer lock.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(handmade)!r}); print('ok', flush=True);"
         " time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(OperationalError, match="cannot open"):
            export.export_dataset(
                "support_finetune", handmade, AS_OF, tmp_path / "o", lock_timeout=1.0
            )
    finally:
        holder.kill()
        holder.wait()

    # A holder that lets go in time is waited for.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(handmade)!r}); print('ok', flush=True);"
         " time.sleep(1.5)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        manifest = export.export_dataset(
            "support_finetune", handmade, AS_OF, tmp_path / "o", lock_timeout=30.0
        )
        assert dataset_manifest.verify(manifest) == []
    finally:
        holder.wait()


FILTER_POLICY = """
name: {name}
description: filter check
owner: tests
purpose: {purpose}
window: {{days: 10, end_offset_days: 2}}
workflows: [support_chat, rag_qa]
{extra}
columns: [country]
split: {{eval_ratio: 0.5, salt: t}}
partition_by: [tenant]
"""

# Each policy fragment with the same selection written independently as SQL.
FILTER_CASES = [
    ("tenants: {exclude: [acme]}\nshadow: only", "training",
     "tenant_id <> 'acme' and is_shadow"),
    ("tenants: {include: [globex]}\nlabeled_only: true", "evaluation",
     "tenant_id = 'globex' and label_count > 0 and not is_shadow"),
    ("min_label_agreement: 0.5\nshadow: include", "training",
     "label_agreement >= 0.5"),
    ("golden_only: true\nexclude_superseded: true\nshadow: include", "evaluation",
     "is_golden and not is_superseded"),
    ("feedback_filter: '(copied or rating >= 4) and not abandoned'", "training",
     "(is_copied or coalesce(rating_mean >= 4, false)) and not is_abandoned and not is_shadow"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "purpose", "where"), FILTER_CASES)
def test_policy_filters_select_what_they_say(
    handmade: Path, tmp_path: Path, extra: str, purpose: str, where: str
) -> None:
    path = _write_policy(
        tmp_path, FILTER_POLICY.format(name="f", purpose=purpose, extra=extra), "f"
    )
    manifest = export.export_dataset(load_policy(path), handmade, AS_OF, tmp_path / "out")
    got = sorted(r["output_id"] for r in _rows(manifest))
    expected = sorted(
        r[0]
        for r in _source(
            handmade,
            f"""select output_id from marts.fct_interactions
                where task_type in ('support_chat', 'rag_qa')
                  and interaction_date between date '2026-11-09' and date '2026-11-18'
                  and list_contains(consent_scope, '{purpose}') and ({where})""",
        )
    )
    assert expected, "the case should select something from the hand-made table"
    assert got == expected
    # partition_by [tenant]: no compliance-domain level in the paths.
    assert all("compliance_domain=" not in str(f) for f in _files(manifest))


def test_verify_detects_an_edited_manifest(handmade: Path, tmp_path: Path) -> None:
    manifest = export.export_dataset("support_finetune", handmade, AS_OF, tmp_path / "out")
    m = json.loads(manifest.read_text())
    m["rows"]["total"] += 1
    manifest.write_text(json.dumps(m))
    problems = dataset_manifest.verify(manifest)
    assert problems and "manifest_id" in problems[0]
