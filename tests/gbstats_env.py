"""A cached virtualenv holding GrowthBook's gbstats 0.8.0, the reference for `floop.stats`.

gbstats 0.8.0 pins numpy < 2 and pandas < 2, which cannot share floop's environment, so the
parity tests run gbstats in a virtualenv of its own and talk to it through JSON files
(`tests/gbstats_runner.py` is the script run inside it).

The virtualenv is built once (about a minute, from PyPI) and reused: its path is
`$FLOOP_GBSTATS_VENV`, else `~/.cache/floop/gbstats-0.8.0-venv`. A build goes to a temporary
sibling directory and is renamed into place only when complete, under a file lock, so two test
sessions never see half a virtualenv. `build.json` inside it records how long the build took.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

GBSTATS_VERSION = "0.8.0"
# The set pip resolved for gbstats 0.8.0 on Python 3.11 when this harness was written, pinned
# so that every build computes with the same numpy/scipy.
REQUIREMENTS = [
    f"gbstats=={GBSTATS_VERSION}",
    "numpy==1.26.4",
    "pandas==1.5.3",
    "scipy==1.17.1",
    "pydantic==2.14.4",
]
RUNNER = Path(__file__).with_name("gbstats_runner.py")


class GbstatsUnavailable(RuntimeError):
    """The reference virtualenv cannot be built here (no network to PyPI, no wheels)."""


def venv_dir() -> Path:
    override = os.environ.get("FLOOP_GBSTATS_VENV")
    if override:
        return Path(override)
    return Path.home() / ".cache" / "floop" / f"gbstats-{GBSTATS_VERSION}-venv"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv() -> Path:
    """The python of the gbstats virtualenv, building it first when missing."""
    venv = venv_dir()
    marker = venv / "build.json"
    if marker.exists():
        return _python(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():  # another session built it while we waited
            return _python(venv)
        _build(venv)
    return _python(venv)


def _build(venv: Path) -> None:
    staging = venv.with_name(venv.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    started = time.monotonic()
    steps = [
        [sys.executable, "-m", "venv", str(staging)],
        [str(_python(staging)), "-m", "pip", "install", "--disable-pip-version-check",
         "--quiet", *REQUIREMENTS],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise GbstatsUnavailable(
                f"cannot build the gbstats {GBSTATS_VERSION} virtualenv "
                f"({' '.join(step[:4])} ...): {tail[0]}"
            )
    freeze = subprocess.run(
        [str(_python(staging)), "-m", "pip", "freeze"], capture_output=True, text=True
    ).stdout.split()
    seconds = round(time.monotonic() - started, 1)
    (staging / "build.json").write_text(
        json.dumps({"seconds": seconds, "packages": freeze}, indent=1)
    )
    if venv.exists():
        shutil.rmtree(venv)
    staging.rename(venv)
    # The first build is the slow part of the parity tests: say what it cost.
    print(f"built the gbstats {GBSTATS_VERSION} virtualenv at {venv} in {seconds} s",
          file=sys.stderr)


def run_gbstats(cases: dict, work: Path) -> dict:
    """Evaluate `cases` (see gbstats_runner.py) with gbstats itself; its answers as a dict."""
    python = ensure_venv()
    request = work / "gbstats_request.json"
    answer = work / "gbstats_answer.json"
    request.write_text(json.dumps(cases))
    done = subprocess.run(
        [str(python), str(RUNNER), str(request), str(answer)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise AssertionError(f"gbstats runner failed:\n{done.stderr}")
    return json.loads(answer.read_text())


if __name__ == "__main__":
    print(ensure_venv())
