"""`floop import`: traces from the ecosystem (OpenTelemetry GenAI, OpenInference, Langfuse)
as contract v1 events in the landing folder.

Never straight into tables: the events go through ingest's checks, quarantine and ledger like
every other landing file. One NDJSON file per input file, named from the input's hash and
written atomically; event ids derive from the source ids, so importing the same input again
gives the same file (nothing new to ingest) and the same ids (duplicates, never new events).
A required field the source cannot give is left out, so ingest quarantines the event with the
usual reason; the import counts them per field. docs/import.md maps every attribute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floop.errors import OperationalError
from floop.importers import alpaca_eval, langfuse, openinference, otlp
from floop.importers.events import missing_required, to_line
from floop.importers.mapping import FieldMapping, load_mapping
from floop.importers.sources import SourceFile, expand_inputs, read_source
from floop.importers.writer import landing_name, write_landing

__all__ = ["KINDS", "FileImport", "ImportResult", "import_files", "load_mapping"]

Converter = Callable[[SourceFile, FieldMapping], tuple[list[dict[str, Any]], int]]

KINDS: dict[str, Converter] = {
    "otlp": otlp.convert,
    "openinference": openinference.convert,
    "langfuse": langfuse.convert,
    "alpaca-eval": alpaca_eval.convert,
}


@dataclass
class FileImport:
    """What one input file gave."""

    source: Path
    output: Path | None = None
    status: str = ""  # written | unchanged | empty | error
    events: Counter[str] = field(default_factory=Counter)  # event type -> count
    missing: Counter[str] = field(default_factory=Counter)  # required field -> events without
    ignored: int = 0  # source records that are no event (tool spans, agent steps, ...)
    error: str | None = None

    def line(self) -> str:
        if self.error:
            return f"{self.source}: error: {self.error}"
        counts = ", ".join(f"{n} {t}" for t, n in sorted(self.events.items())) or "no events"
        text = f"{self.source}: {counts}; {self.ignored} records not imported"
        if self.missing:
            text += " (missing: " + ", ".join(f"{f} {n}" for f, n in sorted(self.missing.items()))
            text += ")"
        where = f" -> {self.output}" if self.output else ""
        return f"{text}{where} [{self.status}]"


@dataclass
class ImportResult:
    kind: str
    landing: Path
    files: list[FileImport] = field(default_factory=list)

    @property
    def errors(self) -> list[FileImport]:
        return [f for f in self.files if f.error]

    @property
    def events(self) -> Counter[str]:
        return sum((f.events for f in self.files), Counter())

    @property
    def missing(self) -> Counter[str]:
        return sum((f.missing for f in self.files), Counter())


def import_files(
    kind: str, inputs: list[Path], landing: Path, mapping: FieldMapping | None = None
) -> ImportResult:
    """Convert every input file (folders: their .json/.jsonl/.ndjson files, gzipped or not) of
    KIND into one landing file each. A file that cannot be read or parsed is recorded with
    its one-line error and the others still import."""
    if kind not in KINDS:
        raise OperationalError(f"unknown import format {kind!r} (one of {', '.join(KINDS)})")
    mapping = mapping or load_mapping()
    result = ImportResult(kind=kind, landing=Path(landing))
    files = expand_inputs([Path(p) for p in inputs])
    if not files:
        raise OperationalError(f"no input files in {', '.join(str(p) for p in inputs)}")
    for path in files:
        result.files.append(_import_one(kind, path, Path(landing), mapping))
    return result


def _import_one(kind: str, path: Path, landing: Path, mapping: FieldMapping) -> FileImport:
    fi = FileImport(source=path)
    try:
        source = read_source(path)
        events, fi.ignored = KINDS[kind](source, mapping)
    except OperationalError as exc:
        fi.status, fi.error = "error", str(exc).removeprefix(f"{path}: ")
        return fi
    for event in events:
        fi.events[event["event_type"]] += 1
        fi.missing.update(missing_required(event))
    if not events:
        fi.status = "empty"
        return fi
    content = "".join(to_line(e) + "\n" for e in events).encode("utf-8")
    name = landing_name(kind, source.sha256)
    fi.status = write_landing(landing, name, content)
    fi.output = landing / name
    return fi
