"""`floop forget`: the right to erasure.

One call removes a user's data (what counts as theirs: `raw`'s docstring) from the warehouse
and keeps it out:

1. in one transaction: the user's events, quarantined lines and duplicates out of `raw`
   (`raw`), their lines moved to the ledger's `erased`; an audit row in `raw.erasures` (the
   keyed hash, counts and time, never the id) and tombstones in `raw.erasure_tombstones`, so
   that re-ingesting the landing files drops the user's lines (floop.ingest.erased); every
   dataset manifest whose rows held them marked superseded (`manifests`); with
   `purge_landing`, the landing files rewritten without their lines (`landing`, swapped in
   after the commit);
2. dbt builds everything again with `--full-refresh`, so every incremental model (staging,
   intermediate, the wide table) equals a full rebuild without the user;
3. the analyst copy is published again (or removed, if the build failed: it would still hold
   the user).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from floop import hash_key
from floop.config import Layout
from floop.dbt import run_dbt
from floop.erasure import landing as landing_files
from floop.erasure import manifests, raw
from floop.errors import OperationalError, UsageError
from floop.ingest.load import open_warehouse
from floop.publish import publish_analyst_copy
from floop.warehouse import ensure_raw_schema


@dataclass
class ForgetResult:
    erasure_id: str
    user_hash: str
    counts: raw.RawCounts
    manifests: list[tuple[str, Path]] = field(default_factory=list)
    purged: landing_files.Purged | None = None
    build_ok: bool = False
    build_tail: str = ""
    analyst_copy: Path | None = None

    def lines(self) -> list[str]:
        c = self.counts
        out = [
            f"erasure {self.erasure_id} (user_hash {self.user_hash[:16]}…): "
            f"{c.events} events, {c.quarantined} quarantined lines, {c.duplicates} duplicates "
            "removed from raw; their ledger lines counted as erased"
        ]
        out += [f"  superseded dataset {mid[:16]}: {path}" for mid, path in self.manifests]
        if self.purged is not None:
            out.append(
                f"  landing: {self.purged.lines} lines removed from {self.purged.files} file(s)"
            )
        if self.build_ok:
            out.append("  dbt: every model rebuilt (--full-refresh)")
            if self.analyst_copy:
                out.append(f"  analyst copy republished: {self.analyst_copy}")
        else:
            out.append(
                "  dbt build FAILED: the analyst copy was removed (it held the user); "
                "run `floop run` once fixed" + (f"\n{self.build_tail}" if self.build_tail else "")
            )
        return out


def forget(
    layout: Layout,
    user_id: str,
    *,
    reason: str,
    now: datetime,
    tenant: str | None = None,
    landing: Path | None = None,
    manifest_path: Path | None = None,
) -> ForgetResult:
    """Erase USER_ID (in TENANT, or every tenant) from LAYOUT's warehouse; with LANDING, also
    from the landing files under it (--purge-landing). MANIFEST_PATH: dbt's manifest for the
    analyst copy's documentation (default: the layout's)."""
    if not user_id.strip():
        raise UsageError("--user must not be empty")
    if not reason.strip():
        raise UsageError("--reason must not be empty")
    if not layout.warehouse.is_file():
        raise OperationalError(f"warehouse {layout.warehouse} does not exist")
    if landing is not None and not landing.is_dir():
        raise OperationalError(f"landing folder {landing} does not exist")
    key = hash_key.resolve(layout)
    erasure_id = f"{now:%Y%m%dT%H%M%S}-forget-{uuid.uuid4().hex[:8]}"
    result = ForgetResult(
        erasure_id=erasure_id,
        user_hash=hash_key.hash_id(key.value, user_id),
        counts=raw.RawCounts(),
    )
    _erase_raw(layout, user_id, tenant, reason, now, key, landing, result)
    _rebuild(layout, now, result, manifest_path or layout.dbt_manifest)
    return result


def _erase_raw(
    layout: Layout,
    user_id: str,
    tenant: str | None,
    reason: str,
    now: datetime,
    key: hash_key.HashKey,
    landing: Path | None,
    result: ForgetResult,
) -> None:
    """Step 1 of the module docstring, in one transaction."""
    con = open_warehouse(layout.warehouse)
    purged = None
    try:
        ensure_raw_schema(con)
        con.begin()
        try:
            raw.collect(con, user_id, tenant)
            result.counts = raw.remove(con)
            raw.tombstone(con, result.erasure_id, user_id, tenant, key.value, key.fingerprint)
            result.manifests = manifests.supersede(con, result.erasure_id, now)
            if landing is not None:
                purged = landing_files.prepare(
                    con, landing.resolve(), raw.erased_lines_by_file(con), result.erasure_id, now
                )
            _audit(con, result, tenant, reason, now, key, purged)
            con.commit()
        except BaseException:
            con.rollback()
            if purged is not None:
                landing_files.discard(purged)
            raise
    finally:
        con.close()
    manifests.write_markers(result.manifests, result.erasure_id, now)
    if purged is not None:
        landing_files.swap(purged)
        result.purged = purged


def _audit(
    con: duckdb.DuckDBPyConnection,
    result: ForgetResult,
    tenant: str | None,
    reason: str,
    now: datetime,
    key: hash_key.HashKey,
    purged: landing_files.Purged | None,
) -> None:
    c = result.counts
    con.execute(
        "insert into raw.erasures (erasure_id, user_hash, tenant_id, key_fingerprint, reason, "
        "erased_at, events_erased, quarantined_erased, duplicates_erased, manifests_superseded, "
        "landing_files_purged, landing_lines_purged) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.erasure_id,
            result.user_hash,
            tenant,
            key.fingerprint,
            reason,
            now,
            c.events,
            c.quarantined,
            c.duplicates,
            len(result.manifests),
            purged.files if purged else 0,
            purged.lines if purged else 0,
        ],
    )


def _rebuild(layout: Layout, now: datetime, result: ForgetResult, dbt_manifest: Path) -> None:
    """Steps 2 and 3 of the module docstring."""
    proc = run_dbt(["build", "--full-refresh"], layout, now=now, check=False, capture=True)
    result.build_ok = proc.returncode == 0
    if not result.build_ok:
        result.build_tail = (proc.stdout or "")[-2000:]
        layout.analyst_copy.unlink(missing_ok=True)
        return
    result.analyst_copy = publish_analyst_copy(
        layout.warehouse, layout.analyst_copy, dbt_manifest
    ).path
