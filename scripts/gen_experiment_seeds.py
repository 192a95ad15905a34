"""Write the experiment seeds dbt reads (seeds/experiments.csv, experiment_arms.csv,
experiment_defaults.csv) from the configs in experiments/ (floop.experiments.render_seeds).
tests/test_experiments.py fails when the committed seeds differ from what this writes.

usage: .venv/bin/python scripts/gen_experiment_seeds.py
"""

from __future__ import annotations

import sys

from floop.config import PROJECT_DIR
from floop.experiments import load_experiments, render_seeds


def main() -> int:
    for name, text in render_seeds(load_experiments()).items():
        path = PROJECT_DIR / "seeds" / name
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
