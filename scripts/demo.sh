#!/usr/bin/env bash
# The demo, one command on a fresh machine: set up .venv, simulate three weeks of AI traffic
# into landing/ (only if landing/ holds no event files yet: the landing folder is an immutable
# log, so a re-run reuses it and ingest skips files it has already loaded), then `floop run`.
# Re-running is safe and quick. To start over: rm -rf landing warehouse exports
set -euo pipefail
cd "$(dirname "$0")/.."
export DAGSTER_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# The demo's simulated users are hashed with the PUBLIC demo key, on purpose and out loud:
# floop warns on the console and in the summary. Real data never uses it: without
# FLOOP_HASH_KEY, floop generates a secret key beside the warehouse (README, "The hash key").
export FLOOP_HASH_KEY="floop-demo-hash-key-not-secret"
bash scripts/setup.sh

LANDING="${FLOOP_LANDING:-landing}"
DAYS="${DEMO_DAYS:-21}"
TASKS="${DEMO_TASKS_PER_DAY:-300}"

if [ -z "$(find "$LANDING" -type f 2>/dev/null | head -n 1)" ]; then
  echo "demo: simulating $DAYS days x $TASKS tasks/day into $LANDING/"
  .venv/bin/python -m floop.cli simulate --out "$LANDING" --days "$DAYS" --tasks-per-day "$TASKS" --seed 7 \
    --truth "$(dirname "${FLOOP_WAREHOUSE:-warehouse/floop.duckdb}")/demo.truth.json"
else
  echo "demo: $LANDING/ already holds event files; reusing them (rm -rf $LANDING to regenerate)"
fi

.venv/bin/python -m floop.cli run --landing "$LANDING" "$@"
