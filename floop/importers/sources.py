"""Input files as JSON documents: gzip or not, one JSON document per file or one per line.
A file that cannot be read or parsed raises `ImportFileError` with a one-line reason."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floop.errors import OperationalError

# File endings the importers take when given a folder (a named file is always taken).
INPUT_SUFFIXES: tuple[str, ...] = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz")


class ImportFileError(OperationalError):
    """One input file cannot be imported (unreadable, not JSON, not the expected shape)."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    sha256: str
    documents: list[Any]  # one per file, or one per non-blank line


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files named, and the input files under folders named (recursively, sorted)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = [
                p for p in path.rglob("*")
                if p.is_file() and p.name.lower().endswith(INPUT_SUFFIXES)
            ]
            out.extend(sorted(found, key=lambda p: p.as_posix()))
        else:
            out.append(path)
    return out


def read_source(path: Path) -> SourceFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    sha = hashlib.sha256(data).hexdigest()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFileError(f"{path}: bad gzip: {exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    return SourceFile(path=path, sha256=sha, documents=_documents(path, text))


def _documents(path: Path, text: str) -> list[Any]:
    if not text.strip():
        raise ImportFileError(f"{path}: empty file")
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as whole:
        lines = [(n, ln) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
        if len(lines) < 2:
            raise ImportFileError(f"{path}: not JSON: {whole.msg} (line {whole.lineno})") from None
        docs = []
        for n, line in lines:
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ImportFileError(
                    f"{path}: not JSON or JSON lines: line {n}: {exc.msg}"
                ) from None
        return docs
