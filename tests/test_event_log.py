"""Issue 14: floop's Dagster instance stores its event log with `PooledSqliteEventLogStorage`
(orchestration/event_log.py): the stock SQLite files, connections kept open, a batch of
events in one transaction. A real Dagster instance in a scratch DAGSTER_HOME, a real job."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster_shared.check.functions import CheckError

from orchestration.event_log import PooledSqliteEventLogStorage
from orchestration.home import dagster_home


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="a")])
def a() -> Iterator[object]:
    yield dg.Output(1)
    yield dg.AssetCheckResult(passed=True, check_name="positive")


@dg.asset(deps=[a], check_specs=[dg.AssetCheckSpec("small", asset="b")])
def b() -> Iterator[object]:
    yield dg.Output(2)
    yield dg.AssetCheckResult(passed=True, check_name="small")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    return dagster_home()


def _run(instance: dg.DagsterInstance) -> str:
    job = dg.Definitions(assets=[a, b], jobs=[dg.define_asset_job("j")]).resolve_job_def("j")
    result = job.execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def test_floop_instance_stores_and_reads_back_like_the_stock_one(home: Path) -> None:
    assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == "1000"  # planned events come as a batch
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        run_id = _run(instance)
        logs = instance.all_logs(run_id)
        kinds = Counter(e.dagster_event.event_type_value for e in logs if e.dagster_event)
        assert kinds["ASSET_MATERIALIZATION_PLANNED"] == 2
        assert kinds["ASSET_CHECK_EVALUATION_PLANNED"] == 2
        assert kinds["ASSET_MATERIALIZATION"] == 2 and kinds["ASSET_CHECK_EVALUATION"] == 2
        latest = instance.get_latest_materialization_event(dg.AssetKey("b"))
        assert latest is not None and latest.run_id == run_id
        second = _run(instance)
        assert instance.get_latest_materialization_event(dg.AssetKey("b")).run_id == second
    # the files are the stock storage's: it reads the same events (the UI, the daemon)
    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    assert len(stock.get_logs_for_run(run_id)) == len(logs)
    stock.dispose()


def test_a_failed_batch_leaves_nothing(home: Path) -> None:
    storage = PooledSqliteEventLogStorage()
    with dg.DagsterInstance.get() as instance:
        run_id = _run(instance)
        events = list(instance.all_logs(run_id))
    before = len(storage.get_logs_for_run(run_id))
    with pytest.raises(CheckError):  # the 4th is refused: the 3 stored before are rolled back
        storage.store_event_batch([*events[:3], "not an event"])  # type: ignore[list-item]
    assert len(storage.get_logs_for_run(run_id)) == before
    storage.store_event_batch(events[:3])
    assert len(storage.get_logs_for_run(run_id)) == before + 3
    storage.dispose()
