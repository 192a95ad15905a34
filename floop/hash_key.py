"""The key of the keyed hashes `user_key` / `actor_key` (macro `hash_pii`, macros/pii.sql) and of
the erasure tombstones (`floop.erasure`).

Where the key comes from, in this order:

1. `FLOOP_HASH_KEY` in the environment (an operator's secret store, or the public demo key
   that `scripts/demo.sh` sets explicitly);
2. the warehouse's key file (`Layout.hash_key_file`, beside the warehouse, mode 0600);
3. neither: a random key is generated into that file (owner-readable only) and the first
   run says so on screen.

The key reaches dbt only through the environment of the dbt child process (`floop.dbt`), never
through `os.environ` of this process, a command line or a log line. The public demo key makes
every hash reversible by hashing guessed ids, so every use of it is announced.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from floop.config import Layout
from floop.errors import OperationalError

ENV_VAR = "FLOOP_HASH_KEY"
# Public: anyone can hash guessed ids with it. Only scripts/demo.sh uses it (explicitly).
DEMO_KEY = "floop-demo-hash-key-not-secret"
DEMO_WARNING = (
    "WARNING: FLOOP_HASH_KEY is the public demo key: user_key/actor_key can be reversed by "
    "hashing guessed ids. Demo data only; unset it to use a generated secret key."
)


@dataclass(frozen=True)
class HashKey:
    value: str
    source: str  # "env" | "file" | "generated"
    path: Path | None = None  # the key file (source file / generated)

    @property
    def is_demo(self) -> bool:
        return self.value == DEMO_KEY

    @property
    def fingerprint(self) -> str:
        """Names the key in records (tombstones) without revealing it: a keyed hash of a fixed
        text, so it tells keys apart and cannot be turned back into the key."""
        return hash_id(self.value, "floop-key-fingerprint")[:16]

    def describe(self) -> str:
        """One line for the console: where the key came from (never the key)."""
        if self.is_demo:
            return DEMO_WARNING
        if self.source == "env":
            return "hash key: from FLOOP_HASH_KEY"
        if self.source == "generated":
            return (
                f"hash key: generated a new random key into {self.path} (mode 0600, owner only); "
                "back it up with the warehouse: without it new user_key values no longer match "
                "the old ones"
            )
        return f"hash key: {self.path}"


def hash_id(key: str, value: str) -> str:
    """sha256(key || '|' || value) as hex: the same as the SQL of macro `hash_pii`."""
    return hashlib.sha256(f"{key}|{value}".encode()).hexdigest()


def resolve(layout: Layout, *, create: bool = True, announce: bool = True) -> HashKey:
    """The key for LAYOUT's warehouse (see the module docstring). A key file is generated when
    none exists and CREATE is set (announced on stderr when ANNOUNCE is set); without CREATE a
    missing key is an OperationalError."""
    value = os.environ.get(ENV_VAR, "")
    if value:
        return HashKey(value=value, source="env")
    path = layout.hash_key_file
    if path.exists():
        return HashKey(value=_read_key_file(path), source="file", path=path)
    if not create:
        raise OperationalError(f"no hash key: {ENV_VAR} is not set and {path} does not exist")
    key = HashKey(value=_create_key_file(path), source="generated", path=path)
    if announce:
        print(f"floop: {key.describe()}", file=sys.stderr, flush=True)
    return key


def _read_key_file(path: Path) -> str:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise OperationalError(
            f"hash key file {path} is readable by others (mode {mode:o}): chmod 600 {path}"
        )
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise OperationalError(f"hash key file {path} is empty")
    return value


def _create_key_file(path: Path) -> str:
    """A new random key in PATH, created with mode 0600 (never readable by others, not even
    for a moment); a key file created meanwhile by another process wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value
