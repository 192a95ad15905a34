"""The run clock and the daily partitions every asset shares.

Partition day D means "the run after day D": its clock is the end of D, or the wall clock when
that is earlier; `floop run --now T` pins the clock with the run tag `floop/now` (Dagster tags are
strings: this module parses it, once).
"""

import os
import warnings
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from floop.config import parse_now, wall_clock

# backfill_policy on @asset is flagged beta; floop relies on it only for one-day backfills.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

NOW_TAG = "floop/now"
PARTITIONS_START = os.environ.get("FLOOP_PARTITIONS_START", "2025-01-01")
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)
# Backfills run one day per run: each day's models see that day's clock.
ONE_DAY_PER_RUN = dg.BackfillPolicy.multi_run(1)


def run_now(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> datetime:
    """The clock of this run, as a naive UTC datetime."""
    tagged = context.run.tags.get(NOW_TAG)
    if tagged:
        return parse_now(tagged, option=f"run tag {NOW_TAG}")
    wall = wall_clock()
    if context.has_partition_key:
        end = context.partition_time_window.end.astimezone(UTC).replace(tzinfo=None)
        return min(end, wall)
    return wall


def partition_for(now: datetime) -> str:
    """The partition whose run has clock NOW: the day that NOW ends (midnight ends the day
    before)."""
    return (now - timedelta(microseconds=1)).date().isoformat()


def as_of(context: dg.AssetExecutionContext) -> date:
    """An export's as-of date: the day this run's clock ends."""
    return date.fromisoformat(partition_for(run_now(context)))
