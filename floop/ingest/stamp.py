"""The `ingested_at` stamp of a load or replay: strictly after every earlier one.

Incremental dbt models pick up new raw rows by `ingested_at >= watermark`, so a stamp may
never go back, even when --now repeats or goes backwards (a backfill of an older day). `now`
still judges future timestamps; only the stamp moves forward.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from floop.contract import RAW_SCHEMA, load_contract


def last_stamp(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest `ingested_at` written: by a load (its ledger row) or by a replay (the event
    rows it accepted; the ledger rows it changes keep their first stamp)."""
    contract = load_contract()
    stamps = [f"(select max(ingested_at) from {RAW_SCHEMA}.ingest_ledger)"] + [
        f"(select max(_ingested_at) from {contract.raw_table(t)})" for t in contract.event_types
    ]
    row = con.execute(f"select greatest({', '.join(stamps)})").fetchone()
    return row[0] if row is not None else None


def next_stamp(con: duckdb.DuckDBPyConnection, now: datetime) -> datetime:
    """`now`, or 1 microsecond after the last stamp when that is not earlier."""
    last = last_stamp(con)
    return now if last is None else max(now, last + timedelta(microseconds=1))
