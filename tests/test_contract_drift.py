"""The contract is the one source of truth: generated files, raw DDL, staging types and the
human spec must all agree with it. Fast: no dbt run (dbt enforces the staging model contracts
themselves at build time, see test_staging.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import pytest
import yaml

from floop.contract import DUCKDB_TYPES, RAW_META_COLUMNS, RAW_SCHEMA, load_contract
from floop.quality_gate import NON_BLOCKING_SUITES
from floop.warehouse import AUX_TABLES, ensure_raw_schema

PROJECT_DIR = Path(__file__).resolve().parent.parent
SPEC_PATH = PROJECT_DIR.parent / "shared" / "spec" / "events-v1.md"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_staging", PROJECT_DIR / "scripts" / "gen_staging.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_staging"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
contract = load_contract()


@pytest.mark.parametrize("path", list(gen.rendered().keys()), ids=lambda p: p.name)
def test_generated_file_matches_contract(path: Path) -> None:
    expected = gen.rendered()[path]
    assert path.exists(), f"{path} missing: run .venv/bin/python scripts/gen_staging.py"
    actual = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{path.relative_to(PROJECT_DIR)} drifted from the contract (or was edited by hand): "
        "run .venv/bin/python scripts/gen_staging.py"
    )


def test_raw_ddl_matches_contract() -> None:
    con = duckdb.connect()
    ensure_raw_schema(con)

    def columns(table: str) -> list[tuple[str, str]]:
        return con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [RAW_SCHEMA, table],
        ).fetchall()

    for event_type in contract.event_types:
        expected = [(f.name, DUCKDB_TYPES[f.type]) for f in contract.fields(event_type)]
        expected += RAW_META_COLUMNS
        assert columns(f"{event_type}_events") == expected, event_type
    for table, cols in AUX_TABLES.items():
        assert columns(table) == cols, table


def _committed_models() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(gen.MODELS_PATH.read_text(encoding="utf-8"))
    return {m["name"]: {c["name"]: c["data_type"] for c in m["columns"]} for m in data["models"]}


def test_staging_types_match_contract() -> None:
    """Every staging column that carries a contract field as is (kept or renamed) has the
    contract's type; the committed YAML declares exactly the mapping's columns."""
    committed = _committed_models()
    for event_type, model in gen.EVENT_MODELS.items():
        fields = {f.name: f for f in contract.fields(event_type)}
        declared = committed[model]
        assert list(declared) == [c.name for c in gen.STAGING_COLUMNS[event_type]], model
        for col in gen.STAGING_COLUMNS[event_type]:
            if col.how in ("kept", "renamed"):
                field = fields[col.field]
                assert declared[col.name].upper() == field.duckdb_type, (model, col.name)
            if col.how in ("hashed", "redacted"):
                assert declared[col.name].upper() == "VARCHAR", (model, col.name)


def test_staging_sql_selects_declared_columns() -> None:
    """The SQL's final select lists the declared columns in order (dbt checks types at build)."""
    committed = _committed_models()
    for model, columns in committed.items():
        sql = (gen.STAGING_DIR / f"{model}.sql").read_text(encoding="utf-8")
        final = sql[sql.index("final as (") :]
        names = re.findall(r"(?:\bas\s+|^\s+)([a-z_0-9]+),?\s*$", final, flags=re.M)
        names = [n for n in names if n not in ("select", "from", "final")]
        assert names == list(columns), model


def test_every_contract_field_is_staged_or_excluded() -> None:
    for event_type in contract.event_types:
        names = set(contract.field_names(event_type))
        staged = {c.field for c in gen.STAGING_COLUMNS[event_type] if c.field in names}
        excluded = set(gen.EXCLUDED_ALL) | set(gen.EXCLUDED[event_type])
        assert excluded <= names, f"{event_type}: excluded but not in the contract"
        assert not staged & excluded, f"{event_type}: both staged and excluded"
        missing = names - staged - excluded
        assert not missing, f"{event_type}: contract fields neither staged nor excluded: {missing}"


def test_personal_fields_never_staged_as_is() -> None:
    pii = {f.name: f.pii for t in contract.event_types for f in contract.fields(t) if f.pii}
    assert pii, "the contract marks personal fields"
    for event_type in contract.event_types:
        for col in gen.STAGING_COLUMNS[event_type]:
            if col.field in pii:
                expected = "hashed" if pii[col.field] == "hash" else "redacted"
                assert col.how == expected, (event_type, col.name)
                assert col.name != col.field, (event_type, col.name)


# --- the human spec (../shared/spec/events-v1.md) -------------------------------------------

SPEC_TYPES = [  # first words of the spec's type cell -> contract type
    ("list of strings", "string_list"),
    ("string, rfc 3339", "timestamp"),
    ("string", "string"),
    ("integer", "integer"),
    ("number", "number"),
    ("boolean", "boolean"),
]


def _spec_tables(text: str) -> dict[str, list[list[str]]]:
    """Section ('envelope' or an event type) -> rows of its field tables (header `field`)."""
    out: dict[str, list[list[str]]] = {}
    section: str | None = None
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            m = re.match(r"## `(\w+)`", line)
            section = m.group(1) if m else ("envelope" if "Envelope" in line else None)
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif section and header[:3] == ["field", "type", "required"] and cells[0][:1] == "`":
            out.setdefault(section, []).append(cells)
    return out


def _spec_required(cell: str, event_types: list[str]) -> set[str] | None:
    """Event types for which the spec requires the field; None when conditional/unparseable."""
    cell = cell.lower()
    if cell.startswith("yes when") or cell.startswith("yes if"):
        return set()  # conditional: the contract has required_when, not required
    if cell == "yes":
        return set(event_types)
    if cell.startswith("no"):
        return set()
    m = re.match(r"yes, except (.*)", cell)
    if m:
        return set(event_types) - set(re.findall(r"`(\w+)`", m.group(1)))
    m = re.match(r"yes for (.*)", cell)
    if m:
        return set(re.findall(r"`(\w+)`", m.group(1)))
    return None


@pytest.fixture(scope="module")
def spec_text() -> str:
    if not SPEC_PATH.exists():
        pytest.skip(f"spec not found at {SPEC_PATH}: spec/contract comparison skipped")
    return SPEC_PATH.read_text(encoding="utf-8")


def test_spec_fields_are_in_contract_with_same_type_and_requiredness(spec_text: str) -> None:
    tables = _spec_tables(spec_text)
    assert "envelope" in tables and set(contract.event_types) <= set(tables), tables.keys()
    problems: list[str] = []
    checked = 0
    for section, rows in tables.items():
        scope = contract.event_types if section == "envelope" else [section]
        for cells in rows:
            names = re.findall(r"`(\w+)`", cells[0])
            spec_type = next((t for p, t in SPEC_TYPES if cells[1].lower().startswith(p)), None)
            required_in = _spec_required(cells[2], scope)
            for name in names:
                for event_type in scope:
                    fields = {f.name: f for f in contract.fields(event_type)}
                    if name not in fields:
                        problems.append(f"{event_type}.{name}: in the spec, not in the contract")
                        continue
                    field = fields[name]
                    if spec_type and field.type != spec_type:
                        problems.append(
                            f"{event_type}.{name}: spec {spec_type}, contract {field.type}"
                        )
                    if required_in is not None and field.required != (event_type in required_in):
                        problems.append(
                            f"{event_type}.{name}: spec required={event_type in required_in}, "
                            f"contract required={field.required}"
                        )
                    checked += 1
    assert checked >= 60, f"only {checked} spec fields parsed: has the spec's layout changed?"
    assert not problems, "\n".join(problems)


def test_spec_feedback_kinds_match_contract(spec_text: str) -> None:
    rows = re.findall(r"^\| `(\w+)` \| (explicit|implicit|retrieval) \|", spec_text, flags=re.M)
    assert len(rows) == len(contract.enums["feedback_type"])
    assert dict(rows) == contract.feedback_kinds


def test_contract_fields_are_in_spec(spec_text: str) -> None:
    """The other direction: the contract names no field the spec does not."""
    spec_names = {
        n
        for rows in _spec_tables(spec_text).values()
        for r in rows
        for n in re.findall(r"`(\w+)`", r[0])
    }
    assert contract.all_field_names() - spec_names == set()


def test_spec_enum_values_match_contract(spec_text: str) -> None:
    """Where the spec lists a field's values in its row (`a`, `b`, ...), they are the enum."""
    checked = 0
    for rows in _spec_tables(spec_text).values():
        for cells in rows:
            names = re.findall(r"`(\w+)`", cells[0])
            values = set(re.findall(r"`(\w+)`", " ".join([cells[1], cells[3]])))
            for name in names:
                field = next(
                    (f for t in contract.event_types for f in contract.fields(t) if f.name == name),
                    None,
                )
                if field is None or not field.enum or len(values) < 2:
                    continue
                assert values == set(contract.enums[field.enum]), name
                checked += 1
    assert checked >= 4  # event_type, consent_scope, actor_role, version_kind


def test_feedback_kinds_cover_the_feedback_types() -> None:
    kinds = contract.feedback_kinds
    assert set(kinds) == set(contract.enums["feedback_type"])
    assert set(kinds.values()) <= {"explicit", "implicit", "retrieval"}


def test_generator_check_mode_agrees() -> None:
    assert gen.main(["--check"]) == 0


def test_dbt_non_blocking_suites_match_the_quality_gate() -> None:
    """fct_data_health_daily.loads_blocked counts what floop.quality_gate blocks."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"]["gx_non_blocking_suites"] == list(NON_BLOCKING_SUITES)
