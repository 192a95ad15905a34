"""What the landing folder holds: every entry the ingest sees, and whether it is read.

File names are data, never patterns: nothing here or later hands a landing name to a glob
(DuckDB reads staged copies with generated names, see `scan`). Each entry is a file to read
or one to skip with a reason; every one of them gets a ledger row. Links are followed only
to files inside the landing folder; a symlinked folder is never followed (no loops, no file
read twice under two names).

Each file's size, mtime and inode are taken here, before any read: a file whose stat still
matches what its last load recorded is not read again (`ledger.LedgerState.unchanged`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from floop.errors import OperationalError
from floop.landing import file_format

# Names that writers use while a file is not finished, or that are not data: hidden files
# and folders (`.DS_Store`, `.staging/`), editor and download leftovers.
_TEMP_PREFIXES = (".", "~")
_TEMP_SUFFIXES = ("~", ".tmp", ".temp", ".part", ".partial", ".crdownload", ".swp")
# A file modified less than this before it was listed may still be written within the same
# mtime tick after the stat (a same-size rewrite would keep size and mtime): its mtime is not
# trusted, so it is read and hashed as before (git's "racily clean" entries).
_SETTLE_NS = 1_000_000_000


@dataclass(frozen=True)
class LandingEntry:
    """One entry under the landing folder. `relative` (POSIX, from the landing folder) names
    it in the ledger; a file to read has `fmt`; `skip_reason` or `error` say why not."""

    path: Path
    relative: str
    fmt: str | None = None
    size: int | None = None
    # st_mtime_ns when it is older than the listing by _SETTLE_NS (else None), and st_ino
    mtime_ns: int | None = None
    inode: int | None = None
    skip_reason: str | None = None  # ledger status `skipped`
    error: str | None = None  # ledger status `failed` (a folder that cannot be listed)

    @property
    def readable(self) -> bool:
        return self.fmt is not None and self.skip_reason is None and self.error is None


def list_landing(landing: Path) -> list[LandingEntry]:
    """Every entry under LANDING (resolved), recursively, sorted by relative path. An
    unreadable landing folder is an `OperationalError`; an unreadable subfolder is an
    entry with an error."""
    root = landing.resolve()
    try:
        top = _scandir(root)
    except OSError as exc:
        raise OperationalError(f"landing folder {landing} cannot be read: {exc}") from exc
    entries: list[LandingEntry] = []
    # the wall clock, not floop's --now: it is compared with the file system's mtimes
    listed_ns = time.time_ns()
    pending = [top]
    while pending:
        for item in pending.pop():
            rel = Path(item.path).relative_to(root).as_posix()
            if item.is_dir(follow_symlinks=False) and not _is_temp(item.name):
                try:
                    pending.append(_scandir(Path(item.path)))
                except OSError as exc:
                    entries.append(
                        LandingEntry(Path(item.path), rel + "/", error=f"folder unreadable: {exc}")
                    )
            else:
                entries.append(_classify(root, item, rel, listed_ns))
    return sorted(entries, key=lambda e: e.relative)


def _scandir(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as it:
        return list(it)


def _is_temp(name: str) -> bool:
    return name.startswith(_TEMP_PREFIXES) or name.lower().endswith(_TEMP_SUFFIXES)


def _classify(root: Path, item: os.DirEntry[str], rel: str, listed_ns: int) -> LandingEntry:
    """A non-folder entry (or a hidden folder, or a link): read it, or skip it and why."""
    path = Path(item.path)
    if _is_temp(item.name):
        kind = "folder" if item.is_dir(follow_symlinks=False) else "file"
        return LandingEntry(path, rel, skip_reason=f"hidden or temporary {kind}")
    if item.is_symlink():
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            return LandingEntry(path, rel, skip_reason="broken symlink")
        if not target.exists():
            return LandingEntry(path, rel, skip_reason="broken symlink")
        if not target.is_relative_to(root):
            return LandingEntry(path, rel, skip_reason="symlink to outside the landing folder")
        if target.is_dir():
            return LandingEntry(path, rel, skip_reason="symlinked folder (not followed)")
    try:
        st = path.stat()
    except OSError as exc:
        return LandingEntry(path, rel, error=f"{type(exc).__name__}: {exc}")
    if not item.is_file():
        return LandingEntry(path, rel, skip_reason="not a regular file")
    fmt = file_format(item.name)
    if fmt is None:
        suffix = "".join(Path(item.name).suffixes) or "none"
        return LandingEntry(path, rel, size=st.st_size, skip_reason=f"unknown extension ({suffix})")
    settled = listed_ns - st.st_mtime_ns >= _SETTLE_NS
    return LandingEntry(
        path,
        rel,
        fmt=fmt,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns if settled else None,
        inode=st.st_ino,
    )
