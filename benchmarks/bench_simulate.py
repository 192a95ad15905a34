"""Benchmark `floop simulate`: how long N interactions take, and what 10M would take.

    .venv/bin/python benchmarks/bench_simulate.py --interactions 1000000
    .venv/bin/python benchmarks/bench_simulate.py --interactions 200000 --keep /tmp/sim

The scale knob is the number of interactions; tasks per day follow from it (about 1.27
interactions per task: retries and shadows). Prints wall and CPU seconds, lines, bytes and
events per second, the peak memory, and a linear extrapolation to --target interactions
(generation is per simulated day, so time and memory grow with the data per day, not with the
whole window). The load average is printed too: on a shared machine wall time is noisy, CPU
time less so.

Measured 2026-11-27 on the 2-core dev machine, shared (load average 4-9 from other work), run
under `nice -n 19`, 21 days, default rates:

    interactions  events  lines   files  on disk  wall    CPU     peak RSS
    1.03M         3.86M   3.94M   160    0.87 GB  48 s    25 s    0.8 GB
    3.10M         11.6M   11.8M   243    2.6 GB   180 s   74 s    1.3 GB
    10.3M         38.6M   39.4M   261    8.7 GB   344 s   240 s   3.7 GB

CPU time is linear in the number of events (about 6 us per line); on an idle machine the wall
time approaches the CPU time or less (DuckDB uses both cores for the JSON lines).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from floop.simulate import simulate  # noqa: E402

INTERACTIONS_PER_TASK = 1.27  # 1 + 20% retries (6% twice) + 5% shadows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--interactions", type=int, default=1_000_000, help="scale knob")
    p.add_argument("--days", type=int, default=21)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--target", type=int, default=10_000_000, help="extrapolate to this many")
    p.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    args = p.parse_args()

    tasks_per_day = max(1, round(args.interactions / INTERACTIONS_PER_TASK / args.days))
    root = args.keep or Path(tempfile.mkdtemp(prefix="floop-bench-sim-"))
    out = root / "landing"
    if out.exists():
        shutil.rmtree(out)
    load_before = os.getloadavg()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    truth_path = simulate(
        out, args.days, tasks_per_day, args.seed, "2026-10-01", 0.01, 0.01, progress=True
    )
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    truth = json.loads(truth_path.read_text())
    files = [f for f in out.rglob("*") if f.is_file()]
    size = sum(f.stat().st_size for f in files)
    interactions = truth["events"]["interaction"]
    events = sum(truth["events"].values())
    factor = args.target / interactions
    result = {
        "days": args.days,
        "tasks_per_day": tasks_per_day,
        "interactions": interactions,
        "events": events,
        "lines": truth["lines"],
        "files": len(files),
        "bytes_on_disk": size,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "interactions_per_second_wall": round(interactions / wall),
        "lines_per_second_wall": round(truth["lines"] / wall),
        "peak_rss_mb": round(cpu1.ru_maxrss / 1024),
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        f"extrapolated_{args.target}_wall_seconds": round(wall * factor),
        f"extrapolated_{args.target}_cpu_seconds": round(cpu * factor),
        f"extrapolated_{args.target}_bytes": round(size * factor),
        "per_day_peak_memory_note": "memory follows one day's data: "
        f"{args.target / args.days:,.0f} interactions/day at the target",
    }
    print(json.dumps(result, indent=2))
    if args.keep is None:
        shutil.rmtree(root)
        truth_path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
