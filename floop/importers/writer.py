"""Writing one imported file into the landing folder: atomically and never over another.

The file appears whole or not at all (written under a temporary name that is no landing
format, then hard-linked to its final name, which fails if that name exists). Landing files
are immutable, so an existing file is never replaced: same bytes -> nothing to do; other bytes
(the same input imported with another mapping) -> an error naming the file.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from floop.errors import OperationalError

WRITTEN = "written"
UNCHANGED = "unchanged"


def landing_name(kind: str, input_sha256: str) -> str:
    """The output file's name: from the input's hash, so a re-import lands on the same name."""
    return f"import-{kind}-{input_sha256[:20]}.jsonl"


def write_landing(landing: Path, name: str, content: bytes) -> str:
    """Write CONTENT to LANDING/NAME; WRITTEN or UNCHANGED. Raises OperationalError when the
    folder cannot be written or NAME holds other bytes."""
    final = landing / name
    if final.exists():
        return _same_or_fail(final, content)
    tmp = landing / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        landing.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, final)  # atomic, and refuses to replace a file that appeared meanwhile
        except FileExistsError:
            return _same_or_fail(final, content)
    except OSError as exc:
        raise OperationalError(f"cannot write {final}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return WRITTEN


def _same_or_fail(final: Path, content: bytes) -> str:
    try:
        same = final.read_bytes() == content
    except OSError as exc:
        raise OperationalError(f"cannot read {final}: {exc.strerror or exc}") from exc
    if not same:
        raise OperationalError(
            f"{final} exists with other content (imported before with other settings); "
            "landing files are never replaced: move it away to import again"
        )
    return UNCHANGED
