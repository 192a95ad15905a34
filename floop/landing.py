"""The landing folder's file formats: what counts as a landing file, written once."""

from __future__ import annotations

from pathlib import Path

# File name endings that are landing files, longest first so `.jsonl.gz` wins over `.gz`.
FORMATS: tuple[str, ...] = ("jsonl.gz", "ndjson.gz", "jsonl", "ndjson", "parquet")


def file_format(path: Path | str) -> str | None:
    """The landing format of PATH from its name (`jsonl.gz`, ..., `parquet`), or None."""
    name = Path(path).name.lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    return None
