"""Read a landing file's bytes once: its checksums, whether the part loaded before is
unchanged, which bytes are new, and a staged copy of them for DuckDB when it needs one.

DuckDB reads exactly the bytes that were hashed, even while a writer appends to the file, and
never takes a landing name for a glob pattern. A new plain NDJSON file read whole, whose path
has no character DuckDB's globbing treats specially, is read in place (`Scan.in_place`): the
hash pass writes nothing, and the read checks that the file still has the size that was
hashed (`readers.text_lines_sql`; a file that grew in between is scanned again, with a copy).
Everything else (an appended part, an unfinished last line, a compressed or Parquet file, a
name with glob characters) is read from a staged copy with a generated name in the run's temp
folder, written in the same pass as the hash.

Plain NDJSON files may grow: a file loaded before is read from its first unread byte, and
only complete lines are read. A final line without a newline is read when it is a complete
JSON value (a writer that never ends its file with a newline); otherwise it is left for a
later run (`pending`). Compressed and Parquet files cannot be appended to: a change is
reported as tampering.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 20
# Characters DuckDB's file globbing (and its path escapes) treat specially.
_GLOB_CHARS = frozenset("*?[]{}\\")


@dataclass(frozen=True)
class Prior:
    """What the ledger holds of a file: bytes [0, end) were read, with this SHA-256."""

    end: int
    sha256: str


@dataclass
class Scan:
    """One file as read now. `staged` holds bytes [start, end) (decompressed for .gz) when
    there is something to load; `tampered` says why the file cannot be loaded."""

    size: int
    sha256: str  # of the whole file
    start: int = 0  # first byte this load reads (the end of the part read before)
    end: int = 0  # first byte not read
    sha256_to_end: str = ""  # of bytes [0, end): the ledger's checksum of what was read
    first_line: int = 1  # line number of the first line read
    pending: int = 0  # bytes of an unfinished last line left for a later run
    staged: Path | None = None  # a copy in the run's temp folder (deleted after the load)
    in_place: Path | None = None  # or the landing file itself, read whole (never deleted)
    tampered: str | None = None
    # the file's stat when it was listed, before this read (`listing.LandingEntry`), for the
    # ledger: a later run skips the file unread while it still matches
    mtime_ns: int | None = None
    inode: int | None = None

    @property
    def to_read(self) -> Path | None:
        """The file DuckDB reads: the staged copy or the landing file itself."""
        return self.staged or self.in_place

    @property
    def has_new_lines(self) -> bool:
        return self.to_read is not None and self.tampered is None


def scan_file(
    path: Path, fmt: str, prior: Prior | None, tmpdir: Path, in_place: bool = True
) -> Scan:
    """Scan PATH (a landing file of format FMT) against what was read of it before; IN_PLACE
    False always stages a copy. Raises what reading raises (`OSError`, `EOFError`,
    `gzip.BadGzipFile`, ...): a failed file."""
    if fmt in ("jsonl", "ndjson"):
        if in_place and prior is None and not _GLOB_CHARS.intersection(path.as_posix()):
            scan = _scan_text_in_place(path)
            if scan is not None:
                return scan
        return _scan_text(path, prior, tmpdir)
    suffix = "parquet" if fmt == "parquet" else "jsonl"
    staged = None if prior else tmpdir / f"{uuid.uuid4().hex}.{suffix}"
    with open(path, "rb") as fh:
        reader = _HashingReader(fh)
        if staged is None:
            reader.drain()
        elif fmt == "parquet":
            with open(staged, "wb") as dst:
                shutil.copyfileobj(reader, dst, _CHUNK)
        else:
            with gzip.GzipFile(fileobj=reader, mode="rb") as src, open(staged, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
            reader.drain()  # bytes after the last gzip member (gzip ignores zero padding)
    sha = reader.hash.hexdigest()
    scan = Scan(size=reader.pos, sha256=sha, sha256_to_end=sha)
    if prior is None:
        scan.end, scan.staged = scan.size, staged
    elif sha != prior.sha256:
        scan.tampered = f"changed since it was loaded ({fmt} files cannot be appended to)"
    return scan


class _HashingReader:
    """A binary reader that hashes every byte read through it (gzip reads the file once)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh, self.hash, self.pos = fh, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.hash.update(data)
        self.pos += len(data)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


def _scan_text_in_place(path: Path) -> Scan | None:
    """A new NDJSON file hashed without a copy, to be read in place; None when it ends with an
    unfinished line (rare: then a cut copy is staged, `_scan_text`)."""
    h = hashlib.sha256()
    to_last_newline = None  # (end, hash state) just after the last newline
    pos = 0
    with open(path, "rb") as src:
        while chunk := src.read(_CHUNK):
            i = chunk.rfind(b"\n")
            if i >= 0:
                h.update(chunk[: i + 1])
                to_last_newline = (pos + i + 1, h.copy())
                h.update(chunk[i + 1 :])
            else:
                h.update(chunk)
            pos += len(chunk)
    scan = Scan(size=pos, sha256=h.hexdigest(), sha256_to_end=hashlib.sha256().hexdigest())
    _settle_end(scan, path, to_last_newline)
    if scan.end != scan.size:
        return None
    scan.in_place = path
    return scan


def _scan_text(path: Path, prior: Prior | None, tmpdir: Path) -> Scan:
    """A plain NDJSON file: hash it, copy the bytes after the part read before to a staged
    file, and find where its last complete line ends. Chunks of 1 MiB, no loop over lines."""
    start = prior.end if prior else 0
    staged = tmpdir / f"{uuid.uuid4().hex}.jsonl"
    h = hashlib.sha256()
    prefix_sha: str | None = hashlib.sha256().hexdigest() if start == 0 else None
    newlines_before = 0  # newlines in [0, start): lines read before
    last_byte = b"\n"  # the byte before `start`
    to_last_newline = None  # (end, hash state) just after the last newline at or after start
    pos = 0
    with open(path, "rb") as src, open(staged, "wb") as dst:
        while chunk := src.read(_CHUNK):
            k = max(0, min(len(chunk), start - pos))  # bytes of this chunk before `start`
            if k:
                h.update(chunk[:k])
                newlines_before += chunk.count(b"\n", 0, k)
                last_byte = chunk[k - 1 : k]
                if pos + k == start:
                    prefix_sha = h.hexdigest()
            rest = chunk[k:]
            if rest:
                i = rest.rfind(b"\n")
                if i >= 0:
                    h.update(rest[: i + 1])
                    to_last_newline = (pos + k + i + 1, h.copy())
                    h.update(rest[i + 1 :])
                else:
                    h.update(rest)
                dst.write(rest)
            pos += len(chunk)
    scan = Scan(size=pos, sha256=h.hexdigest(), start=start, end=start)
    scan.sha256_to_end = prior.sha256 if prior else prefix_sha or ""
    if prior is not None and (pos < start or prefix_sha != prior.sha256):
        scan.tampered = "the part loaded before has changed"
    elif start > 0 and last_byte != b"\n" and pos > start and _read_at(staged, 0, 1) != b"\n":
        # The last read ended with a final line that had no newline (complete JSON): what
        # follows must be its newline, or that line was changed after it was read.
        scan.tampered = "the last line read before has grown"
    if scan.tampered:
        staged.unlink()
        return scan
    _settle_end(scan, staged, to_last_newline)
    skip = 1 if start > 0 and last_byte != b"\n" and scan.end > start else 0
    scan.first_line = newlines_before + skip + 1
    if scan.end == start and prior is not None:
        staged.unlink()
        return scan
    # a new file always loads, even with 0 lines: it gets its ledger row
    _cut_staged(staged, skip, scan.end - start)
    scan.staged = staged
    return scan


def _settle_end(
    scan: Scan, staged: Path, to_last_newline: tuple[int, hashlib._Hash] | None
) -> None:
    """Where this read ends: after the last complete line; a final line without a newline
    is read only when it is a complete JSON value (else it waits: `pending`). STAGED holds
    the file's bytes from `scan.start` (a copy, or the file itself when start is 0)."""
    if to_last_newline is not None:
        scan.end, state = to_last_newline
        scan.sha256_to_end = state.hexdigest()
    tail = scan.size - scan.end
    if tail == 0:
        return
    if _is_json(_read_at(staged, scan.end - scan.start, tail)):
        scan.end, scan.sha256_to_end = scan.size, scan.sha256
    else:
        scan.pending = tail


def _is_json(data: bytes) -> bool:
    """A final line without a newline is complete when it parses (a half-written object
    does not). One line, once per file: not a loop over events."""
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _read_at(path: Path, offset: int, size: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(offset)
        return fh.read(size)


def _cut_staged(staged: Path, skip: int, length: int) -> None:
    """Keep bytes [skip, length) of the staged copy: drop a leading newline that ends a line
    read before, and an unfinished last line."""
    if skip:
        tmp = staged.with_suffix(".cut")
        with open(staged, "rb") as src, open(tmp, "wb") as dst:
            src.seek(skip)
            remaining = length - skip
            while remaining > 0 and (chunk := src.read(min(_CHUNK, remaining))):
                dst.write(chunk)
                remaining -= len(chunk)
        tmp.replace(staged)
    else:
        with open(staged, "r+b") as fh:
            fh.truncate(length)
