#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite: lint, then pytest (which runs dbt too).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
ruff check floop orchestration tests benchmarks scripts
lint-imports --no-cache  # imports flow one way (pyproject.toml [tool.importlinter])
sqlfluff lint models macros  # house SQL style (.sqlfluff); ~30 s, offline, no warehouse
pytest "$@"
