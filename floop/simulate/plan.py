"""The plan of a run: the window, the days things happen on, the landing files and the stats
accumulated along the way; and where each event lands (`place`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from floop.landing import FORMATS
from floop.simulate.world import (
    CONSENT_P,
    CONSENT_SETS,
    COUNTRIES,
    DAY_MS,
    HOUR_MS,
    RAMP_DAYS,
    RAMP_STEP,
    ROLE_P,
    ROLES,
    TENANTS,
    lognormal,
)

# Which landing format a file gets rotates by day (floop.landing names the formats; these
# rotations only pick among them, see `check_formats`). Main files of a landing day: two halves
# (am, pm) at scale, one file (day) when small.
PARQUET = "parquet"
FORMATS_MAIN = [("jsonl", "ndjson.gz"), ("jsonl.gz", PARQUET), ("ndjson", "jsonl")]
FORMATS_DAY = ["jsonl", "ndjson.gz", PARQUET, "jsonl.gz", "ndjson", "jsonl"]
FORMATS_LATE = ["jsonl", "ndjson.gz", "ndjson", "jsonl.gz"]
PARTS = ["am", "pm", "late", "day"]
LATE, DAY = 2, 3
CHUNK_EVENTS = 400_000  # days are generated one by one, written in chunks of about this many
EVENTS_PER_TASK = 4.6


@dataclass
class FileSpec:
    """One landing file: the day it landed, the first origin day of its events (late files),
    its part (am, pm, late, day) and format."""

    landing_day: int
    origin_day: int
    part: str
    fmt: str

    def rel(self, start: date, event_type: str | None = None) -> str:
        ld = (start + timedelta(days=self.landing_day)).isoformat()
        od = (start + timedelta(days=self.origin_day)).isoformat()
        stem = f"late-from-{od}" if self.part == "late" else f"{ld}-{self.part}"
        if self.fmt == PARQUET:
            return f"{ld}/{stem}-{event_type}.{PARQUET}"
        return f"{ld}/{stem}.{self.fmt}"


@dataclass
class Plan:
    """The run's parameters and the days things happen on; it also collects the files and the
    stats for the truth file as days are generated."""

    out: Path
    days: int
    tasks_per_day: int
    seed: int
    start: date
    bad_rate: float
    duplicate_rate: float
    files: list[FileSpec] = field(default_factory=list)
    file_index: dict[tuple[int, int, int], int] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    bad_counter: int = 0

    def __post_init__(self) -> None:
        n = self.days
        self.start_ms = int(
            datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC).timestamp()
            * 1000
        )
        self.end_ms = self.start_ms + n * DAY_MS
        self.rollout_day = max(1, n // 2)
        self.model_day = max(1, n // 3)
        self.poison_day = min(max(self.rollout_day, n - 2), self.rollout_day + 3)
        self.drift_day = (2 * n) // 3
        self.taxonomy_day = (3 * n) // 5
        self.ramp_day = max(1, n - RAMP_DAYS)
        self.exp_days = {
            "exp-rag-rerank": (min(2, n - 1), max(min(2, n - 1), n - 3)),
            "exp-code-context": (0, n - 1),
            "exp-support-tone": (0, n - 1),
            "exp-code-fastpath": (min(1, n - 1), n - 1),
        }
        pool_rng = np.random.default_rng([self.seed, 1_000_000])
        shares = np.array([t[2] for t in TENANTS])
        self.pool = np.maximum(10, (shares * self.tasks_per_day * n / 6).astype(np.int64))
        self.pool_offset = np.concatenate([[0], np.cumsum(self.pool)[:-1]])
        total = int(self.pool.sum())
        owner = np.repeat(np.arange(len(TENANTS)), self.pool)
        # Stable per-user traits: consent, country (5% outside the tenant's), feedback role.
        self.user_consent = pool_rng.choice(len(CONSENT_SETS), total, p=CONSENT_P)
        abroad = pool_rng.random(total) < 0.05
        other = pool_rng.integers(len(TENANTS), len(COUNTRIES), total)
        self.user_country = np.where(abroad, other, owner)
        self.user_role = pool_rng.choice(len(ROLES), total, p=ROLE_P)

    def ramp_share(self, d: int) -> float:
        """Share of the ramping workflow's tasks the ramped prompt serves on day d."""
        return 0.0 if d < self.ramp_day else min(1.0, RAMP_STEP * (d - self.ramp_day + 1))

    def day_ms(self, d: int) -> int:
        return self.start_ms + d * DAY_MS

    def day_iso(self, d: int) -> str:
        return (self.start + timedelta(days=d)).isoformat()

    @property
    def split_days(self) -> bool:
        """Two main files a day (am, pm) only when days are big enough to be worth it."""
        return self.tasks_per_day * EVENTS_PER_TASK > 10_000

    @property
    def days_per_chunk(self) -> int:
        per_day = max(1.0, self.tasks_per_day * EVENTS_PER_TASK)
        return max(1, min(self.days, int(CHUNK_EVENTS // per_day)))

    def file_id(self, landing_day: int, origin_day: int, part: int) -> int:
        """Main files are keyed by landing day; late files by landing day and the first
        origin day of the chunk that wrote them."""
        key = (landing_day, origin_day if part == LATE else -1, part)
        if key not in self.file_index:
            if part == LATE:
                fmt = FORMATS_LATE[(landing_day + origin_day) % 4]
            elif part == DAY:
                fmt = FORMATS_DAY[landing_day % 6]
            else:
                fmt = FORMATS_MAIN[landing_day % 3][part]
            self.file_index[key] = len(self.files)
            self.files.append(FileSpec(landing_day, key[1], PARTS[part], fmt))
        return self.file_index[key]

    def is_json(self) -> np.ndarray:
        return np.array([f.fmt != PARQUET for f in self.files], dtype=bool)


def check_formats() -> None:
    """The rotations use every landing format and nothing else."""
    used = {f for pair in FORMATS_MAIN for f in pair} | set(FORMATS_DAY) | set(FORMATS_LATE)
    if used != set(FORMATS):
        raise RuntimeError(f"simulator formats {sorted(used)} != floop.landing {FORMATS}")


def place(
    plan: Plan, rng: np.random.Generator, ts: np.ndarray, origin: np.ndarray, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """File id and sort key (order within the file) of each event; `origin` is the day the
    event was generated for, `chunk` the first day of the chunk being written."""
    n = len(ts)
    late = rng.random(n) < 0.03  # a collector that was offline: hours to days
    delay = np.where(late, lognormal(rng, 6 * HOUR_MS, 1.0, n), rng.uniform(0, 300_000, n))
    land = ts + delay.astype(np.int64)
    ld = np.clip((land - plan.start_ms) // DAY_MS, origin, plan.days - 1)
    hour = ((land - plan.start_ms) % DAY_MS) // HOUR_MS
    main = np.where(hour < 12, 0, 1) if plan.split_days else np.full(n, DAY)
    part = np.where(ld == origin, main, LATE)
    key = ld * 4 + part
    ukeys, inv = np.unique(key, return_inverse=True)
    ids = np.array([plan.file_id(int(x // 4), chunk, int(x % 4)) for x in ukeys], np.int64)
    fid = ids[inv] if n else np.zeros(0, np.int64)
    # late files are fully shuffled; others roughly in arrival order
    order = np.where(part == LATE, rng.random(n) * 1e15, land + rng.normal(0, 90_000, n))
    return fid, order.astype(np.float64)
