"""Dagster's SQLite event log (one database per run plus an index, as by default), with its
database connections kept open between events.

Why: the stock `SqliteEventLogStorage` creates a SQLAlchemy engine, opens the SQLite file and
disposes of both for every event it stores, and with a new engine every statement is compiled
again (SQLAlchemy caches compiled SQL per engine). A floop run stores ~650 events even when
every step is skipped (a "planned" event per asset and per dbt test), so this was most of
Dagster's own time in a run with no new data (cProfile, issue 14). Same files, same schema,
same locking: the UI and the daemon read what `floop run` writes, and a DAGSTER_HOME written by
the stock class is read by this one and back.

A batch of events (Dagster hands over a run's ~500 "planned" events as one when
DAGSTER_EVENT_BATCH_SIZE is set, `orchestration.home`) is stored in one transaction per
database instead of one per event.

The engines of the few databases used last are kept (a long-running webserver touches many
run databases); each keeps one connection open (SQLAlchemy's pool for SQLite files). The
databases are in WAL mode (Dagster sets it); commits use `synchronous=NORMAL`, SQLite's
setting for WAL: still consistent after a crash, but not an fsync per event (a power cut may
lose the last events of a run, never corrupt the log).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import dagster._check as check
from dagster._config import Field, StringSource
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# Engines kept open: the index, the current run's database, and a few the UI may be reading.
_KEEP = 4


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` whose engines (and connections) outlive one statement."""

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        if base_dir is None:  # the stock location: $DAGSTER_HOME/history/runs/
            home = check.not_none(os.environ.get("DAGSTER_HOME"), "DAGSTER_HOME is not set")
            base_dir = os.path.join(home, "history", "runs", "")
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        # shard -> the open connection of the batch being stored (None: no batch)
        self._batch: dict[str, Connection] | None = None
        super().__init__(base_dir, inst_data)
        # re-entrant: a batch holds it while each of its events takes it again
        self._db_lock = threading.RLock()  # type: ignore[assignment]

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            if self._batch is not None:  # inside store_event_batch: its transaction
                conn = self._batch.get(shard)
                if conn is None:
                    conn = self._engine(shard).connect()
                    conn.begin()
                    self._batch[shard] = conn
                yield conn
                return
            with self._engine(shard).connect() as conn, conn.begin():
                yield conn

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """EVENTS stored as `store_event` stores each, in one transaction per database; on an
        error nothing of the batch stays (Dagster then stores the events one by one)."""
        with self._db_lock:
            if self._batch is not None:  # not expected: a batch within a batch
                super().store_event_batch(events)
                return
            self._batch = {}
            try:
                for ev in events:
                    self.store_event(ev)
                for conn in self._batch.values():
                    conn.commit()
            except BaseException:
                for conn in self._batch.values():
                    conn.rollback()
                raise
            finally:
                for conn in self._batch.values():
                    conn.close()
                self._batch = None

    def _engine(self, shard: str) -> Engine:
        """SHARD's engine, created (and its database initialized) on first use. Called with
        `_db_lock` held: one thread at a time uses the pooled connection."""
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=4,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _normal_sync)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > _KEEP:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    def _dispose_engines(self) -> None:
        while self._engines:
            self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        with self._db_lock:
            self._dispose_engines()  # the run databases are deleted: no connection may stay
        super().wipe()

    def dispose(self) -> None:
        with self._db_lock:
            self._dispose_engines()
        super().dispose()


def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
