"""Dataset exports on the real built warehouse (simulate -> ingest -> dbt build): consent,
tenant isolation, no planted personal data, reproducibility, --verify, the registry table
created by dbt, and lineage through fct_dataset_lineage."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import TEST_NOW

from floop import dataset_manifest, export
from floop.cli import main as cli_main
from floop.config import parse_now
from floop.dbt import run_dbt
from floop.ingest import ingest
from floop.policy import list_policies, load_policy
from floop.warehouse import connect

pytestmark = pytest.mark.slow

AS_OF = TEST_NOW[:10]


def _copy_warehouse(src: Path, dest_dir: Path) -> Path:
    """A writable copy of the warehouse, with its dbt target (manifest.json, partial parse)."""
    dest = dest_dir / "floop.duckdb"
    shutil.copy(src, dest)
    target = src.parent / f"{src.stem}_dbt_target"
    if target.exists():
        shutil.copytree(target, dest_dir / f"{dest.stem}_dbt_target")
    return dest


def _query(wh: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    con = connect(wh, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _files(manifest: Path) -> list[Path]:
    return [manifest.parent / f["path"] for f in json.loads(manifest.read_text())["files"]]


def _rows(manifest: Path) -> list[dict]:
    rows: list[dict] = []
    for f in _files(manifest):
        rows += pq.read_table(f).to_pylist()
    return rows


@pytest.fixture(scope="module")
def exported(
    built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, Path]]]:
    """Every shipped policy exported once from a copy of the built warehouse."""
    root = tmp_path_factory.mktemp("export")
    wh = _copy_warehouse(built_warehouse, root)
    manifests = {
        p.stem: export.export_dataset(p.stem, wh, AS_OF, root / "out") for p in list_policies()
    }
    yield wh, manifests


def test_registry_table_exists_after_dbt_build_with_the_export_columns(
    built_warehouse: Path,
) -> None:
    # Created (empty) by the pre-hook of stg_dataset_manifests: the same DDL as the export's.
    cols = _query(
        built_warehouse,
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'registry' and table_name = 'dataset_manifests'"
        " order by ordinal_position",
    )
    assert cols == export.REGISTRY_COLUMNS
    lineage = _query(built_warehouse, "select count(*) from marts.fct_dataset_lineage")[0][0]
    versions = _query(
        built_warehouse,
        "select count(distinct (version_kind, version_id)) from staging.stg_versions"
        " where version_kind in ('finetune', 'reranker') or dataset_manifest_id is not null",
    )[0][0]
    assert lineage == versions  # no exports yet: one row per trained version


def test_every_policy_exports_rows(exported: tuple[Path, dict[str, Path]]) -> None:
    _, manifests = exported
    for name, manifest in manifests.items():
        m = json.loads(manifest.read_text())
        assert m["rows"]["total"] > 0, name
        assert m["build"]["dbt_project_sha256"], "the built warehouse has a dbt manifest"
        assert dataset_manifest.verify(manifest) == []


def test_no_row_without_the_purpose_consent(exported: tuple[Path, dict[str, Path]]) -> None:
    wh, manifests = exported
    for name, manifest in manifests.items():
        scope = load_policy(name).purpose
        ids = [r["output_id"] for r in _rows(manifest)]
        # Judged on the interaction as staged from the landed event, not on the mart's flag.
        lacking = _query(
            wh,
            "select count(*) from staging.stg_interactions"
            " where output_id in (select unnest(?)) and not list_contains(consent_scope, ?)",
            [ids, scope],
        )[0][0]
        assert lacking == 0, name
        # The filter had something to remove: the same workflows hold rows without it.
        without = _query(
            wh,
            "select count(*) from marts.fct_interactions"
            " where not list_contains(consent_scope, ?) and task_type in (select unnest(?))",
            [scope, list(load_policy(name).workflows)],
        )[0][0]
        assert without > 0, name


def test_tenant_partitions_hold_only_their_tenant(exported: tuple[Path, dict[str, Path]]) -> None:
    _, manifests = exported
    tenants_seen: set[str] = set()
    for manifest in manifests.values():
        for f in _files(manifest):
            part = dict(p.split("=", 1) for p in f.parent.relative_to(manifest.parent).parts[1:])
            tenants = set(pq.read_table(f, columns=["tenant_id"]).column(0).to_pylist())
            assert tenants == {part["tenant_id"]}, f
            tenants_seen |= tenants
    assert len(tenants_seen) > 1


def _truth_pii(demo_landing: Path) -> set[str]:
    """The personal-data strings the simulator planted (`pii[].value` of its truth file)."""
    truth = demo_landing.parent / f"{demo_landing.name}.truth.json"
    return {p["value"] for p in json.loads(truth.read_text())["pii"]}


def test_no_planted_personal_data_in_any_column(
    exported: tuple[Path, dict[str, Path]], demo_landing: Path
) -> None:
    wh, manifests = exported
    pii = _truth_pii(demo_landing)
    assert pii, "the truth file lists planted personal data"
    exported_ids: set[str] = set()
    for manifest in manifests.values():
        for f in _files(manifest):
            table = pq.read_table(f)
            for name in table.column_names:
                for value in table.column(name).to_pylist():
                    text = json.dumps(value, default=str) if value is not None else ""
                    hits = [s for s in pii if s in text]
                    assert not hits, f"{f.name}:{name} holds planted personal data {hits[:3]}"
            exported_ids |= set(table.column("output_id").to_pylist())
    # The check had something to find: exported responses whose landed feedback text or user
    # id carried planted personal data.
    carriers = _query(
        wh,
        "select output_id, feedback_text from raw.feedback_events"
        " where output_id in (select unnest(?)) and feedback_text is not null",
        [sorted(exported_ids)],
    )
    assert any(any(s in text for s in pii) for _, text in carriers)


def test_reexport_gives_same_id_and_identical_bytes(
    exported: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    wh, manifests = exported
    first = manifests["support_finetune"]
    again = export.export_dataset("support_finetune", wh, AS_OF, tmp_path / "elsewhere")
    a, b = json.loads(first.read_text()), json.loads(again.read_text())
    assert a["manifest_id"] == b["manifest_id"]
    assert [f["path"] for f in a["files"]] == [f["path"] for f in b["files"]]
    for fa, fb in zip(_files(first), _files(again), strict=True):
        assert fa.read_bytes() == fb.read_bytes()
    n = _query(
        wh,
        "select count(*) from registry.dataset_manifests where manifest_id = ?",
        [a["manifest_id"]],
    )[0][0]
    assert n == 1

    # A new dbt invocation rewrites target/manifest.json (new invocation id and times) but not
    # the project's logic: same dataset, same id; only the run provenance differs.
    run_dbt(["parse"], wh)
    third = json.loads(
        export.export_dataset("support_finetune", wh, AS_OF, tmp_path / "third").read_text()
    )
    assert third["manifest_id"] == a["manifest_id"]
    assert third["run"]["dbt_manifest_sha256"] != a["run"]["dbt_manifest_sha256"]


def test_verify_fails_on_a_changed_byte(
    exported: tuple[Path, dict[str, Path]], tmp_path: Path, capsys
) -> None:
    _, manifests = exported
    copy = tmp_path / "copy"
    shutil.copytree(manifests["hard_cases_eval"].parent, copy)
    manifest = copy / "manifest.json"
    assert cli_main(["export", "--verify", str(manifest)]) == 0
    victim = _files(manifest)[-1]
    data = bytearray(victim.read_bytes())
    data[-20] ^= 0xFF
    victim.write_bytes(bytes(data))
    capsys.readouterr()
    assert cli_main(["export", "--verify", str(manifest)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and victim.name in out


def test_lineage_both_ways(built_warehouse: Path, tmp_path: Path) -> None:
    wh = _copy_warehouse(built_warehouse, tmp_path)
    manifest = export.export_dataset("rag_retrieval_per_tenant", wh, AS_OF, tmp_path / "out")
    m = json.loads(manifest.read_text())
    unused = export.export_dataset("support_finetune", wh, AS_OF, tmp_path / "out")
    unused_id = json.loads(unused.read_text())["manifest_id"]

    # A reranker trained on the export, a finetune naming a dataset floop never exported,
    # and a finetune naming none.
    landing = tmp_path / "landing"
    landing.mkdir()
    envelope = {"event_type": "version", "schema_version": "1", "timestamp": TEST_NOW}
    events = [
        {**envelope, "event_id": "lin-1", "version_kind": "reranker", "version_id": "rr-test-1",
         "dataset_manifest_id": m["manifest_id"], "description": "per-tenant reranker"},
        {**envelope, "event_id": "lin-2", "version_kind": "finetune", "version_id": "ft-test-ghost",
         "dataset_manifest_id": "0" * 64},
        {**envelope, "event_id": "lin-3", "version_kind": "finetune", "version_id": "ft-test-none"},
    ]  # fmt: skip
    (landing / "versions.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    # The Python API without the GX batch suite: these three events are not a traffic batch.
    result = ingest(landing, wh, parse_now(TEST_NOW), quality=False)
    assert result.accepted == 3
    proc = run_dbt(
        ["build", "-s", "stg_versions", "stg_dataset_manifests", "fct_dataset_lineage"],
        wh,
        now=parse_now(TEST_NOW),
    )
    assert proc.returncode == 0  # the missing manifest warns, it does not fail the build

    rows = {
        r[0]: r[1:]
        for r in _query(
            wh,
            "select version_id, manifest_id, policy_name, row_count, window_start, window_end,"
            " is_missing_manifest, lineage_status from marts.fct_dataset_lineage"
            " where version_id like '%-test-%'",
        )
    }
    linked = rows["rr-test-1"]
    assert linked[:3] == (m["manifest_id"], "rag_retrieval_per_tenant", m["rows"]["total"])
    assert [d.isoformat() for d in linked[3:5]] == [m["window"]["start"], m["window"]["end"]]
    assert linked[5:] == (False, "linked")
    assert rows["ft-test-ghost"][0] is None and rows["ft-test-ghost"][5:] == (
        True,
        "manifest_not_found",
    )
    assert rows["ft-test-none"][5:] == (False, "version_without_dataset")

    # Reverse: which versions came from each dataset; an unused export is still listed.
    reverse = _query(
        wh,
        "select manifest_id, version_id, lineage_status from marts.fct_dataset_lineage"
        " where manifest_id in (?, ?) order by manifest_id",
        [m["manifest_id"], unused_id],
    )
    assert sorted(reverse, key=str) == sorted(
        [(m["manifest_id"], "rr-test-1", "linked"), (unused_id, None, "manifest_without_version")],
        key=str,
    )

    # The warn-level test reports the broken lineage.
    results = json.loads((tmp_path / "floop_dbt_target" / "run_results.json").read_text())
    statuses = {
        r["unique_id"].split(".")[2]: r["status"]
        for r in results["results"]
        if r["unique_id"].startswith("test.")
    }
    assert statuses["dataset_lineage_version_manifest_not_found"] == "warn"
