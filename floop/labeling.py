"""A labeler's answer as contract `label` events in the landing folder (the Review page): one
NDJSON file per submit, written under a temporary name and linked into place atomically
(floop.importers.writer), so ingest reads it like every other event and never half a file."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from floop.errors import UsageError
from floop.importers.writer import write_landing
from floop.taxonomy import Taxonomy

# Sub-folder of the landing folder that holds the Review page's files.
LABELS_SUBDIR = "labels"


@dataclass(frozen=True)
class Item:
    """The labeled response, as the triage queue knows it."""

    output_id: str
    tenant_id: str
    trace_id: str


def label_events(
    item: Item,
    labeler_id: str,
    answers: dict[str, str],
    taxonomies: list[Taxonomy],
    now: datetime,
) -> list[dict[str, object]]:
    """One contract label event per answered label_name, in the taxonomy's current version.
    UsageError for an empty labeler id, an unknown label name or a value the current version
    does not declare."""
    labeler = labeler_id.strip()
    if not labeler:
        raise UsageError("a labeler id is needed (the login field)")
    by_name = {t.label_name: t for t in taxonomies}
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    events: list[dict[str, object]] = []
    for name, value in sorted(answers.items()):
        tax = by_name.get(name)
        if tax is None:
            raise UsageError(f"unknown label name {name!r}")
        if value not in tax.current_values:
            raise UsageError(
                f"{value!r} is not a value of {name} version {tax.current_version}: "
                f"{', '.join(tax.current_values)}"
            )
        events.append(
            {
                "event_id": f"label-{uuid.uuid4().hex}",
                "event_type": "label",
                "schema_version": "1",
                "timestamp": stamp,
                "tenant_id": item.tenant_id,
                "trace_id": item.trace_id,
                "output_id": item.output_id,
                "labeler_id": labeler,
                "taxonomy_version": tax.current_version,
                "label_name": name,
                "label_value": value,
            }
        )
    return events


def write_label_file(landing: Path, events: list[dict[str, object]], now: datetime) -> Path:
    """Write EVENTS as one NDJSON file under LANDING/labels/; its path."""
    if not events:
        raise UsageError("nothing to write: no label was answered")
    name = f"label-{now:%Y%m%dT%H%M%S}-{str(events[0]['event_id'])[-12:]}.jsonl"
    content = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)
    folder = landing / LABELS_SUBDIR
    write_landing(folder, name, content.encode())
    return folder / name
