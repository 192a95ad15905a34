"""`floop run`'s live output: a line when each step starts and ends, the ingest's file and
quality-suite lines, and a line per batch of dbt models with counts, printed while the job
runs (Dagster calls the printer synchronously for every event the run stores, through
`DagsterInstance.add_event_listener`).

Assets send progress lines as Dagster log messages starting with `PROGRESS`. Counter lines
("[12/3,400 files] ...") are shown at most once per `THROTTLE_SECONDS` per step (a landing
folder of thousands of files would flood the terminal), and always the last one before the
step ends; other progress lines always.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import dagster as dg

PROGRESS = "floop progress: "
THROTTLE_SECONDS = 2.0
# A dbt batch line at most this often while dbt builds.
DBT_BATCH_SECONDS = 5.0


def progress_logger(context: dg.AssetExecutionContext) -> Callable[[str], None]:
    """A callable that sends one progress line to `floop run` (and the Dagster UI's log)."""
    return lambda line: context.log.info(PROGRESS + line)


@dataclass
class _StepCounts:
    started: float
    assets: int = 0
    passed: int = 0
    warned: int = 0
    failed: int = 0
    latest: str = ""
    last_line: float = float("-inf")  # nothing printed yet
    held: str | None = None  # a throttled progress line not printed yet


@dataclass
class RunPrinter:
    """Prints a run's events as they happen. TOTALS: step key -> (assets, checks) the step
    can produce, for "12/40 models"; DESCRIBE: (asset, check) -> one-line explanation."""

    out: TextIO
    totals: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    describe: Callable[[str, str], str] = lambda _asset, _check: ""
    clock: Callable[[], float] = time.monotonic
    _start: float = field(default=0.0, init=False)
    _steps: dict[str, _StepCounts] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._start = self.clock()

    def __call__(self, entry: dg.EventLogEntry) -> None:
        ev = entry.dagster_event
        if ev is None:
            self._message(entry.step_key or "", entry.user_message or "")
            return
        key = ev.step_key or ""
        kind = ev.event_type
        if kind == dg.DagsterEventType.STEP_START:
            self._steps[key] = _StepCounts(started=self.clock())
            self._print(f"{key}: started")
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            self._step_end(key, ok=kind == dg.DagsterEventType.STEP_SUCCESS)
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            # Dagster skips a step whose inputs were not materialized: after a failed blocking
            # check, or when the step upstream built nothing (a run with no new data)
            why = (
                "a blocking check upstream failed"
                if any(c.failed for c in self._steps.values())
                else "nothing new upstream"
            )
            self._print(f"{key}: skipped ({why})")
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            counts = self._counts(key)
            counts.assets += 1
            counts.latest = ev.asset_key.to_user_string()
            self._batch(key)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            self._check(key, ev.event_specific_data)

    def _counts(self, key: str) -> _StepCounts:
        return self._steps.setdefault(key, _StepCounts(started=self.clock()))

    def _message(self, key: str, message: str) -> None:
        if not message.startswith(PROGRESS):
            return
        line = message.removeprefix(PROGRESS)
        counts = self._counts(key)
        is_counter = line.startswith("[")
        if is_counter and self.clock() - counts.last_line < THROTTLE_SECONDS:
            counts.held = line
            return
        if counts.held and not is_counter:  # the last counter line first, in order
            self._print(f"{key}: {counts.held}")
        counts.last_line, counts.held = self.clock(), None
        self._print(f"{key}: {line}")

    def _check(self, key: str, evaluation: Any) -> None:
        counts = self._counts(key)
        asset, name = evaluation.asset_key.to_user_string(), evaluation.check_name
        if evaluation.passed:
            counts.passed += 1
        elif evaluation.severity.value == "WARN":
            counts.warned += 1
            self._print(f"{key}: warn   check {asset}: {name}{self._why(asset, name)}")
        else:
            counts.failed += 1
            self._print(f"{key}: FAILED check {asset}: {name}{self._why(asset, name)}")
        self._batch(key)

    def _why(self, asset: str, check: str) -> str:
        text = self.describe(asset, check)
        return f" ({text})" if text else ""

    def _batch(self, key: str, final: bool = False) -> None:
        """A line with the step's counts so far, at most every DBT_BATCH_SECONDS."""
        counts = self._counts(key)
        assets, checks = self.totals.get(key, (0, 0))
        if checks == 0 and assets <= 1:
            return  # a single-asset step: its start and end lines say it all
        if not final and self.clock() - counts.last_line < DBT_BATCH_SECONDS:
            return
        counts.last_line = self.clock()
        done = counts.passed + counts.warned + counts.failed
        line = f"{key}: {counts.assets:,}/{assets:,} assets built"
        if checks:
            line += (
                f", {done:,}/{checks:,} checks ({counts.passed:,} passed, "
                f"{counts.warned:,} warned, {counts.failed:,} failed)"
            )
        if counts.latest and not final:
            line += f"; latest {counts.latest}"
        self._print(line)

    def _step_end(self, key: str, ok: bool) -> None:
        counts = self._counts(key)
        if counts.held:
            self._print(f"{key}: {counts.held}")
            counts.held = None
        if counts.assets or counts.passed or counts.warned or counts.failed:
            self._batch(key, final=True)
        took = self.clock() - counts.started
        self._print(f"{key}: {'ok' if ok else 'FAILED'} in {took:,.1f}s")

    def _print(self, text: str) -> None:
        print(f"  [{self.clock() - self._start:7,.1f}s] {text}", file=self.out, flush=True)


def step_totals(defs: dg.Definitions) -> dict[str, tuple[int, int]]:
    """Step key (the op's name) -> (assets, checks) for every assets definition of DEFS."""
    out = {}
    for assets_def in defs.assets or []:
        if isinstance(assets_def, dg.AssetsDefinition) and assets_def.is_executable:
            out[assets_def.op.name] = (len(assets_def.keys), len(list(assets_def.check_specs)))
    return out


def check_descriptions(defs: dg.Definitions) -> dict[tuple[str, str], str]:
    """(asset, check name) -> the check's description, first line only."""
    out = {}
    for assets_def in defs.assets or []:
        if isinstance(assets_def, dg.AssetsDefinition):
            for spec in assets_def.check_specs:
                text = (spec.description or "").strip().splitlines()
                out[(spec.asset_key.to_user_string(), spec.name)] = text[0] if text else ""
    return out
