"""Arguments shared by the subcommands, and the argument types that turn bad input into a
one-line error (exit 2) before any work starts."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

from floop.config import lake_path, parse_now, wall_clock
from floop.errors import UsageError

# A clock this far after the machine's is refused: load stamps never go backwards, so one run
# with a clock in the year 9999 would stamp every later load 9999.
MAX_CLOCK_AHEAD = timedelta(hours=24)


class Parser(argparse.ArgumentParser):
    """argparse with floop's error format: one line, `floop CMD: error: ...`, exit 2 (argparse
    itself prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def clock(value: str) -> datetime:
    """`--now`: ISO 8601, at most MAX_CLOCK_AHEAD after this machine's clock."""
    try:
        now = parse_now(value)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--now ")) from None
    wall = wall_clock()
    if now > wall + MAX_CLOCK_AHEAD:
        raise argparse.ArgumentTypeError(
            f"{value!r} is more than {MAX_CLOCK_AHEAD.total_seconds() / 3600:.0f} h after this "
            f"machine's clock ({wall:%Y-%m-%d %H:%M} UTC): load stamps would be pinned there"
        )
    return now


def day(value: str) -> date:
    """A calendar date, YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def port(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port (1-65535)")
    return n


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number >= 1")
    return n


def share(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = -1.0
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a share between 0 and 1")
    return x


def add_warehouse(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        metavar="FILE",
        help="the DuckDB file (default: $FLOOP_WAREHOUSE or warehouse/floop.duckdb)",
    )


def add_landing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--landing",
        type=Path,
        default=None,
        metavar="DIR",
        help="landing folder of event files (default: $FLOOP_LANDING or ./landing)",
    )


def lake_dir(value: str) -> Path:
    """`--lake`: a folder path that is safe to splice into SQL and globs."""
    try:
        path = lake_path(value)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if path is None:
        raise argparse.ArgumentTypeError("an empty lake folder")
    return path


def add_lake(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lake",
        type=lake_dir,
        default=None,
        metavar="DIR",
        help="keep raw events in this Parquet event log instead of the warehouse's raw schema "
        "(default: $FLOOP_LAKE; unset: no lake); the warehouse's raw tables become views of it",
    )


def add_now(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--now",
        type=clock,
        default=None,
        metavar="TIME",
        help="the clock, ISO 8601, e.g. 2026-11-20T00:00:00Z (default: the wall clock); "
        "makes runs reproducible",
    )


def now_of(args: argparse.Namespace) -> datetime:
    """The parsed `--now`, or the wall clock."""
    return args.now if args.now is not None else wall_clock()
