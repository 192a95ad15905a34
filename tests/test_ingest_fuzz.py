"""Property-based fuzzing of `floop ingest` (hypothesis): random byte lines, random JSON values
and random mutations of valid events. For each, the ingest never raises, every line ends in
exactly one place, and a valid event (generated from the contract) is never rejected.

Each hypothesis example is one landing file of many lines, loaded into one warehouse shared by
the module (a new file path each time), so a bounded number of examples runs in seconds. The
default profile is derandomized (the same examples every run, as CI needs); set
FLOOP_FUZZ_PROFILE=deep for a longer, random search."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_strategies import JSON_VALUES, TEXT, mutated_lines, valid_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import NOW, query

from floop.contract import load_contract
from floop.ingest import ingest

settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("deep", max_examples=500, deadline=None)
PROFILE = os.environ.get("FLOOP_FUZZ_PROFILE", "ci")

pytestmark = pytest.mark.slow

_files = itertools.count()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb"


def load(warehouse: Path, content: bytes) -> dict[str, list[int]]:
    """Load `content` as a new landing file: where each line number went ('accepted',
    'duplicate', 'rejected'), after checking that the file's counts add up."""
    n = next(_files)
    landing = warehouse.parent / f"landing-{n}"
    landing.mkdir()
    path = landing / f"batch-{n}.jsonl"  # a file is known by its path under the landing
    path.write_bytes(content)
    result = ingest(landing, warehouse, NOW, quality=False)  # must not raise
    if not content:  # an empty file is seen, not loaded: it has no lines
        assert not [f for f in result.files if f.lines]
        return {"accepted": [], "duplicate": [], "rejected": []}
    [fr] = result.files
    assert fr.lines == fr.accepted + fr.duplicate + fr.rejected
    source = path.as_posix()
    events = " union all ".join(
        f"select _line_number from {load_contract().raw_table(t)} where _source_file = ?"
        for t in load_contract().event_types
    )
    places = {
        "accepted": query(warehouse, events, [source] * len(load_contract().event_types)),
        "duplicate": query(
            warehouse,
            "select line_number from raw.duplicate_events where source_file = ?",
            [source],
        ),
        "rejected": query(
            warehouse, "select line_number from raw.quarantine where source_file = ?", [source]
        ),
    }
    found = {k: sorted(r[0] for r in rows) for k, rows in places.items()}
    assert (len(found["accepted"]), len(found["duplicate"]), len(found["rejected"])) == (
        fr.accepted,
        fr.duplicate,
        fr.rejected,
    )
    every = sorted(n for numbers in found.values() for n in numbers)
    assert every == list(range(1, fr.lines + 1)), "a line is lost or in two places"
    return found


def as_file(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


@settings(settings.get_profile(PROFILE))
@given(st.lists(st.binary(max_size=120).map(lambda b: b.replace(b"\n", b"")), max_size=40))
def test_random_bytes_never_break_the_ingest(warehouse: Path, lines: list[bytes]) -> None:
    content = b"\n".join(lines) + (b"\n" if lines else b"")
    found = load(warehouse, content)
    assert sum(len(v) for v in found.values()) == len(lines)


@settings(settings.get_profile(PROFILE))
@given(st.lists(JSON_VALUES.map(json.dumps), min_size=1, max_size=40))
def test_random_json_never_breaks_the_ingest(warehouse: Path, lines: list[str]) -> None:
    found = load(warehouse, as_file(lines))
    assert sum(len(v) for v in found.values()) == len(lines)


@settings(settings.get_profile(PROFILE))
@given(st.lists(valid_lines(NOW), min_size=1, max_size=40))
def test_valid_events_are_never_rejected(warehouse: Path, lines: list[str]) -> None:
    found = load(warehouse, as_file(lines))
    if found["rejected"]:
        bad = query(
            warehouse,
            "select raw_line, reason_code, reason_message from raw.quarantine "
            "order by ingested_at desc, line_number limit 1",
        )
        pytest.fail(f"a valid event was rejected: {bad}")


_TAGGED_LINES = st.one_of(
    valid_lines(NOW).map(lambda line: (True, line)),
    mutated_lines(NOW).map(lambda line: (False, line)),
    TEXT.map(lambda text: (False, text.replace("\n", " "))),
    JSON_VALUES.map(lambda value: (False, json.dumps(value))),
)


@settings(settings.get_profile(PROFILE))
@given(st.lists(_TAGGED_LINES, min_size=1, max_size=40), st.booleans())
def test_mutated_events_never_break_the_ingest(
    warehouse: Path, tagged: list[tuple[bool, str]], bom: bool
) -> None:
    """Mutations of valid events mixed with valid ones and random text: the valid ones are
    never rejected (a file's first line may start with a byte order mark)."""
    content = ("\ufeff" if bom else "") + "\n".join(line for _, line in tagged) + "\n"
    found = load(warehouse, content.encode("utf-8"))
    valid = {i for i, (is_valid, _) in enumerate(tagged, start=1) if is_valid}
    assert not valid & set(found["rejected"]), "a valid event was rejected"
