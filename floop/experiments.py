"""Experiment and rollout config: YAML files in `experiments/`, one per experiment.

A config says which workflow an experiment runs on, its arms with planned weights, the
randomization unit, when it started, the minimum units per arm, alpha, the non-inferiority
margin and the guardrails. It is validated like a dataset policy (floop.policy): every error
names the file, the key and what was expected.

dbt sees the configs as three seeds generated from them (`render_seeds`, written by
`scripts/gen_experiment_seeds.py`; tests/test_experiments.py fails when they drift):
`experiments.csv` (one row per configured experiment), `experiment_arms.csv` (one row per
arm) and `experiment_defaults.csv` (the one row of defaults that experiments seen in events
without a config get, with equal planned weights). The YAML files are the one source of truth.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from floop import config
from floop.errors import OperationalError


def _seed_workflows() -> tuple[str, ...]:
    with open(config.WORKFLOWS_SEED, newline="", encoding="utf-8") as fh:
        return tuple(row["task_type"] for row in csv.DictReader(fh))


WORKFLOWS: tuple[str, ...] = _seed_workflows()
MODES: tuple[str, ...] = ("ab", "bandit")
UNITS: tuple[str, ...] = ("user_key", "session_id", "task_id")


@dataclass(frozen=True)
class Guardrails:
    """One-sided limits on how much worse the treatment may be than the control."""

    latency_p95_max_relative_increase: float = 0.10
    safety_eval_metric: str = "safety_violation"
    safety_violation_max_absolute_increase: float = 0.005
    output_tokens_max_relative_increase: float = 0.20


@dataclass(frozen=True)
class Arm:
    name: str
    weight: float
    is_control: bool
    version: str  # what the arm serves, e.g. a prompt version (default: the arm's name)


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    workflow: str
    mode: str
    randomization_unit: str
    start: datetime | None  # naive UTC; None = the first exposure
    arms: tuple[Arm, ...]
    minimum_units_per_arm: int
    alpha: float
    non_inferiority_margin: float
    guardrails: Guardrails
    description: str
    path: Path | None

    @property
    def control(self) -> Arm:
        return next(a for a in self.arms if a.is_control)


# What an experiment seen in events without a config gets (besides equal planned weights).
DEFAULTS: dict[str, Any] = {
    "mode": "ab",
    "randomization_unit": "user_key",
    "minimum_units_per_arm": 100,
    "alpha": 0.05,
    "non_inferiority_margin": 0.02,
}

TOP_KEYS: dict[str, str] = {
    "experiment_id": "required string, the file's stem",
    "description": "optional string",
    "workflow": f"required, one of {list(WORKFLOWS)}",
    "mode": f"optional, one of {list(MODES)} (default ab)",
    "randomization_unit": f"optional, one of {list(UNITS)} (default user_key)",
    "start": "optional UTC time, e.g. 2026-11-03T00:00:00Z (default: the first exposure)",
    "arms": "required list of {name, weight, control?, version?} (weights sum to 1)",
    "minimum_units_per_arm": "optional integer >= 2 (default 100)",
    "alpha": "optional number in (0, 0.5) (default 0.05)",
    "non_inferiority_margin": "optional number in [0, 1) (default 0.02)",
    "guardrails": "optional mapping of latency_p95, safety_violation_rate, "
    "output_tokens_per_task",
}
GUARDRAIL_KEYS: dict[str, dict[str, str]] = {
    "latency_p95": {"max_relative_increase": "latency_p95_max_relative_increase"},
    "safety_violation_rate": {
        "max_absolute_increase": "safety_violation_max_absolute_increase",
        "eval_metric": "safety_eval_metric",
    },
    "output_tokens_per_task": {"max_relative_increase": "output_tokens_max_relative_increase"},
}


class ExperimentConfigError(OperationalError):
    """An experiment file that does not validate (one line: file, key, what was expected)."""


class _Checker:
    """Reads one key of an experiment file at a time; failures name file, key, expectation."""

    def __init__(self, raw: dict[str, Any], path: Path) -> None:
        self.raw, self.path = raw, path

    def fail(self, key: str, expected: str, got: Any = None, *, show_got: bool = True
             ) -> ExperimentConfigError:
        tail = f", got {got!r}" if show_got else ""
        return ExperimentConfigError(f"{self.path}: key '{key}': expected {expected}{tail}")

    def keys(self) -> None:
        unknown = sorted(set(self.raw) - set(TOP_KEYS))
        if unknown:
            raise self.fail(unknown[0], f"one of the known keys {sorted(TOP_KEYS)}", unknown[0])
        for key, expected in TOP_KEYS.items():
            if expected.startswith("required") and key not in self.raw:
                raise self.fail(key, expected, show_got=False)

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "a non-empty string", value)
        return value.strip()

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.raw.get(key, DEFAULTS.get(key))
        if value not in allowed:
            raise self.fail(key, f"one of {list(allowed)}", value)
        return str(value)

    def number(self, key: str, value: Any, low: float, high: float, *, closed_low: bool = True
               ) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            ok = (low <= value if closed_low else low < value) and value < high
        if not ok:
            bracket = "[" if closed_low else "("
            raise self.fail(key, f"a number in {bracket}{low}, {high})", value)
        return float(value)

    def experiment_id(self) -> str:
        value = self.string("experiment_id", self.raw.get("experiment_id"))
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
            raise self.fail("experiment_id", "letters, digits, '-', '_' and '.'", value)
        if value != self.path.stem:
            raise self.fail("experiment_id", f"the file's stem {self.path.stem!r}", value)
        return value

    def start(self) -> datetime | None:
        value = self.raw.get("start")
        if value is None:
            return None
        if isinstance(value, datetime):  # YAML parses unquoted timestamps itself
            dt = value
        else:
            try:
                dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                raise self.fail("start", "a UTC time like 2026-11-03T00:00:00Z", value) from None
        if dt.tzinfo is None:
            raise self.fail("start", "a time with its offset (Z for UTC)", str(value))
        return dt.astimezone(UTC).replace(tzinfo=None)

    def arms(self) -> tuple[Arm, ...]:
        raw = self.raw["arms"]
        if not isinstance(raw, list) or len(raw) < 2:
            raise self.fail("arms", "a list of at least two arms", raw)
        arms, names = [], set()
        for i, item in enumerate(raw):
            key = f"arms[{i}]"
            if not isinstance(item, dict) or set(item) - {"name", "weight", "control", "version"}:
                raise self.fail(key, "a mapping with keys name, weight, control, version", item)
            name = self.string(f"{key}.name", item.get("name"))
            if name in names:
                raise self.fail(f"{key}.name", "arm names that differ", name)
            names.add(name)
            weight = self.number(f"{key}.weight", item.get("weight"), 0, 1.000001,
                                 closed_low=False)
            control = item.get("control", False)
            if not isinstance(control, bool):
                raise self.fail(f"{key}.control", "true or false", control)
            version = self.string(f"{key}.version", item.get("version", name))
            arms.append(Arm(name, weight, control, version))
        total = sum(a.weight for a in arms)
        if abs(total - 1) > 1e-6:
            raise self.fail("arms", "planned weights that sum to 1", round(total, 6))
        controls = [a for a in arms if a.is_control]
        if len(controls) > 1:
            raise self.fail("arms", "at most one arm with control: true",
                            [a.name for a in controls])
        if not controls:  # the arm named 'control', else the first one
            pick = next((a for a in arms if a.name == "control"), arms[0]).name
            arms = [Arm(a.name, a.weight, a.name == pick, a.version) for a in arms]
        return tuple(arms)

    def guardrails(self) -> Guardrails:
        raw = self.raw.get("guardrails") or {}
        if not isinstance(raw, dict):
            raise self.fail("guardrails", f"a mapping with keys {list(GUARDRAIL_KEYS)}", raw)
        values: dict[str, Any] = {}
        for name, spec in raw.items():
            if name not in GUARDRAIL_KEYS:
                raise self.fail(f"guardrails.{name}", f"one of {list(GUARDRAIL_KEYS)}", name)
            fields = GUARDRAIL_KEYS[name]
            if not isinstance(spec, dict) or set(spec) - set(fields):
                raise self.fail(f"guardrails.{name}", f"a mapping with keys {list(fields)}", spec)
            for key, field_name in fields.items():
                if key not in spec:
                    continue
                full = f"guardrails.{name}.{key}"
                if key == "eval_metric":
                    values[field_name] = self.string(full, spec[key])
                else:
                    values[field_name] = self.number(full, spec[key], 0, 10)
        return Guardrails(**values)


def parse_experiment(raw: Any, path: Path) -> Experiment:
    if not isinstance(raw, dict):
        raise ExperimentConfigError(
            f"{path}: expected a mapping of experiment keys, got {type(raw).__name__}"
        )
    check = _Checker(raw, path)
    check.keys()
    min_units = raw.get("minimum_units_per_arm", DEFAULTS["minimum_units_per_arm"])
    if not isinstance(min_units, int) or isinstance(min_units, bool) or min_units < 2:
        raise check.fail("minimum_units_per_arm", "an integer >= 2", min_units)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise check.fail("description", "a string", description)
    return Experiment(
        experiment_id=check.experiment_id(),
        workflow=check.choice("workflow", WORKFLOWS),
        mode=check.choice("mode", MODES),
        randomization_unit=check.choice("randomization_unit", UNITS),
        start=check.start(),
        arms=check.arms(),
        minimum_units_per_arm=min_units,
        alpha=check.number("alpha", raw.get("alpha", DEFAULTS["alpha"]), 0, 0.5,
                           closed_low=False),
        non_inferiority_margin=check.number(
            "non_inferiority_margin",
            raw.get("non_inferiority_margin", DEFAULTS["non_inferiority_margin"]), 0, 1,
        ),
        guardrails=check.guardrails(),
        description=description.strip(),
        path=path,
    )


def load_experiment(path: Path) -> Experiment:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ExperimentConfigError(f"{path}: not readable YAML: {exc}".replace("\n", " ")
                                    ) from exc
    return parse_experiment(raw, path)


def load_experiments(directory: Path | None = None) -> list[Experiment]:
    """Every config of the folder, sorted by id (ids are unique: they are file stems)."""
    base = directory or config.EXPERIMENTS_DIR
    if not base.exists():
        return []
    paths = sorted([*base.glob("*.yml"), *base.glob("*.yaml")])
    stems = [p.stem for p in paths]
    for stem in stems:
        if stems.count(stem) > 1:
            raise ExperimentConfigError(f"{base}: experiment {stem!r} has both .yml and .yaml")
    return [load_experiment(p) for p in paths]


# --- the seeds dbt reads -------------------------------------------------------------------

CONFIG_COLUMNS = (
    "mode", "randomization_unit", "minimum_units_per_arm", "alpha", "non_inferiority_margin",
    "latency_p95_max_relative_increase", "safety_eval_metric",
    "safety_violation_max_absolute_increase", "output_tokens_max_relative_increase",
)  # fmt: skip
EXPERIMENT_COLUMNS = ("experiment_id", "workflow", "start_at", *CONFIG_COLUMNS, "control_arm",
                      "config_file")
ARM_COLUMNS = ("experiment_id", "arm", "planned_weight", "is_control", "arm_version")


def _config_values(mode: str, unit: str, min_units: int, alpha: float, margin: float,
                   guardrails: Guardrails) -> list[Any]:
    g = guardrails
    return [mode, unit, min_units, alpha, margin, g.latency_p95_max_relative_increase,
            g.safety_eval_metric, g.safety_violation_max_absolute_increase,
            g.output_tokens_max_relative_increase]


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v
                         for v in row])
    return out.getvalue()


def render_seeds(experiments: list[Experiment]) -> dict[str, str]:
    """Seed file name -> CSV text, for dbt (module docstring)."""
    exp_rows, arm_rows = [], []
    for e in experiments:
        start = e.start.strftime("%Y-%m-%d %H:%M:%S") if e.start else None
        config_file = e.path.name if e.path else None
        exp_rows.append([
            e.experiment_id, e.workflow, start,
            *_config_values(e.mode, e.randomization_unit, e.minimum_units_per_arm, e.alpha,
                            e.non_inferiority_margin, e.guardrails),
            e.control.name, config_file,
        ])
        arm_rows += [[e.experiment_id, a.name, a.weight, a.is_control, a.version]
                     for a in e.arms]
    defaults = _config_values(DEFAULTS["mode"], DEFAULTS["randomization_unit"],
                              DEFAULTS["minimum_units_per_arm"], DEFAULTS["alpha"],
                              DEFAULTS["non_inferiority_margin"], Guardrails())
    return {
        "experiments.csv": _csv(EXPERIMENT_COLUMNS, exp_rows),
        "experiment_arms.csv": _csv(ARM_COLUMNS, arm_rows),
        "experiment_defaults.csv": _csv(CONFIG_COLUMNS, [defaults]),
    }
