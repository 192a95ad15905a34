"""Project defaults, overridable by environment variables, so plain commands just work; and the
one `Layout` that derives every path floop writes from the warehouse file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from floop.errors import UsageError

# The repo root: dbt_project.yml, models/ and the default data folders live here.
PROJECT_DIR = Path(__file__).resolve().parent.parent
# Dataset policies, one YAML file each (floop.policy).
POLICIES_DIR = PROJECT_DIR / "policies"
# The seed that names the workflows and their primary outcome metric.
WORKFLOWS_SEED = PROJECT_DIR / "seeds" / "workflows.csv"
# Experiment and rollout configs, one YAML file each (floop.experiments).
EXPERIMENTS_DIR = PROJECT_DIR / "experiments"
# Label taxonomies, one YAML file per label_name (floop.taxonomy), and the seed made from them.
TAXONOMIES_DIR = PROJECT_DIR / "taxonomies"
TAXONOMY_SEED = PROJECT_DIR / "seeds" / "labeling" / "label_taxonomy.csv"


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


def warehouse_path() -> Path:
    """The writer's DuckDB file (FLOOP_WAREHOUSE)."""
    return _path("FLOOP_WAREHOUSE", PROJECT_DIR / "warehouse" / "floop.duckdb")


def landing_dir() -> Path:
    """The landing folder, the immutable event log (FLOOP_LANDING)."""
    return _path("FLOOP_LANDING", PROJECT_DIR / "landing")


# Characters a lake path may not hold: it is spliced into SQL string literals, read as a glob
# by DuckDB and formatted by dbt-duckdb's source templating.
_LAKE_UNSAFE = re.compile(r"['\"{}*?\[\]$\\]")


def lake_path(value: str | Path | None = None) -> Path | None:
    """The Parquet event log folder (`--lake`, else FLOOP_LAKE; None: no lake), absolute.
    `UsageError` when the path holds a character that would change the SQL or glob it is
    spliced into."""
    if value is None or value == "":
        value = os.environ.get("FLOOP_LAKE") or None
        if value is None:
            return None
    path = Path(value).expanduser().resolve()
    if _LAKE_UNSAFE.search(path.as_posix()):
        raise UsageError(
            f"lake folder {str(value)!r}: the path must not contain quotes, braces, brackets, "
            "'*', '?', '$' or backslashes"
        )
    return path


# The engines `floop run --engine` builds the dbt project on (docs/scale-out.md).
ENGINES = ("duckdb", "spark")


def engine_name(value: str | None = None) -> str:
    """The engine (`--engine`, else FLOOP_ENGINE, else duckdb); `UsageError` when unknown."""
    name = (value or os.environ.get("FLOOP_ENGINE") or ENGINES[0]).strip().lower()
    if name not in ENGINES:
        raise UsageError(f"engine {name!r} is not one of {', '.join(ENGINES)} (FLOOP_ENGINE)")
    return name


@dataclass(frozen=True)
class Layout:
    """Every path floop reads or writes for one warehouse file. Build it with `for_warehouse`;
    nothing else derives a path from the warehouse.

    The default warehouse keeps dbt's files in the project's `target/` and exports in
    `exports/` (FLOOP_EXPORTS overrides); any other warehouse gets its own folders beside it,
    so a scratch warehouse (a test, a benchmark) never writes into the project's.
    """

    warehouse: Path
    dbt_target: Path
    exports: Path
    analyst_copy: Path
    # The Parquet event log the raw sources read (`--lake`, FLOOP_LAKE); None: schema `raw`.
    lake: Path | None = None
    # Where dbt builds the models (`--engine`, FLOOP_ENGINE): duckdb (this file) or spark.
    engine: str = ENGINES[0]

    @classmethod
    def for_warehouse(
        cls,
        warehouse: Path | str | None = None,
        lake: Path | str | None = None,
        engine: str | None = None,
    ) -> Layout:
        """The layout of WAREHOUSE (default FLOOP_WAREHOUSE) for ENGINE (default duckdb: only
        `floop run` and the Dagster definitions read FLOOP_ENGINE, through `engine_name`).
        `UsageError` when the engine is spark without a lake: Spark reads raw events only
        from the Parquet event log."""
        default = warehouse_path()
        wh = Path(warehouse).expanduser().resolve() if warehouse else default
        is_default = wh == default
        target = PROJECT_DIR / "target" if is_default else wh.with_name(f"{wh.stem}_dbt_target")
        exports = _path("FLOOP_EXPORTS", PROJECT_DIR / "exports")
        if not is_default and not os.environ.get("FLOOP_EXPORTS"):
            exports = wh.with_name("exports")
        analyst = _path("FLOOP_ANALYST_COPY", wh.with_name("analyst.duckdb"))
        layout = cls(
            warehouse=wh,
            dbt_target=target,
            exports=exports,
            analyst_copy=analyst,
            lake=lake_path(lake),
            engine=engine_name(engine or ENGINES[0]),
        )
        if layout.engine == "spark" and layout.lake is None:
            raise UsageError(
                "--engine spark needs --lake DIR (or FLOOP_LAKE): Spark reads raw events only "
                "from the Parquet event log"
            )
        return layout

    @property
    def dbt_logs(self) -> Path:
        return self.dbt_target / "logs"

    @property
    def dbt_manifest(self) -> Path:
        return self.dbt_target / "manifest.json"

    @property
    def dbt_docs(self) -> Path:
        return self.dbt_target / "index.html"

    @property
    def duckdb_temp(self) -> Path:
        """Where DuckDB spills what does not fit its memory_limit during dbt builds."""
        return self.warehouse.with_name(f"{self.warehouse.name}.tmp")

    @property
    def dbt_build_state(self) -> Path:
        """The inputs of the last successful dbt build (floop.build_state)."""
        return self.dbt_target / "floop_build_state.json"

    @property
    def dbt_parse_state(self) -> Path:
        """The project fingerprint the manifest was parsed from (orchestration.resources)."""
        return self.dbt_target / "floop_parse_state"

    @property
    def spark_warehouse(self) -> Path:
        """spark.sql.warehouse.dir: the Spark build's tables, `<schema>.db/<table>/*.parquet`
        (FLOOP_SPARK_WAREHOUSE_DIR overrides; floop.spark_output reads them)."""
        return _path("FLOOP_SPARK_WAREHOUSE_DIR", self.dbt_target / "spark-warehouse")

    @property
    def spark_python_outputs(self) -> Path:
        """The tables of the dbt Python models on Spark, `<model>/*.parquet` under the Spark
        warehouse folder: written by the floop step between the Spark build's phases
        (floop.spark_stats), read by the SQL models standing in for them
        (macros/spark_python.sql finds the same folder from Spark's own setting)."""
        return self.spark_warehouse / "floop_python"

    @property
    def spark_metastore(self) -> Path:
        """The Derby home of Spark's embedded metastore (FLOOP_SPARK_METASTORE_DIR overrides):
        it names the tables of `spark_warehouse`, so the two move together."""
        return _path("FLOOP_SPARK_METASTORE_DIR", self.dbt_target / "spark-metastore")

    @property
    def run_log(self) -> Path:
        """dbt's and Dagster's output of `floop run`."""
        return self.warehouse.with_name(f"{self.warehouse.stem}_run.log")

    @property
    def gx_root(self) -> Path:
        """Great Expectations' project root: GX keeps its files in `<root>/gx/`."""
        return self.warehouse.parent

    @property
    def gx_dir(self) -> Path:
        return self.gx_root / "gx"

    @property
    def data_docs(self) -> Path:
        return self.gx_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"

    @property
    def truth(self) -> Path:
        """The simulator's planted truths for the demo warehouse."""
        return self.warehouse.with_name("demo.truth.json")

    @property
    def hash_key_file(self) -> Path:
        """The generated key for user and actor hashes (owner-readable only)."""
        return self.warehouse.with_name(f"{self.warehouse.stem}.hash_key")


def wall_clock() -> datetime:
    """This machine's clock as a naive UTC datetime: read here, and passed on explicitly."""
    return datetime.now(UTC).replace(tzinfo=None)


def parse_now(value: str | None, *, option: str = "--now") -> datetime:
    """`--now` as a naive UTC datetime; the wall clock when not given (None). An empty or
    malformed value is a UsageError (one line, exit 2), never the wall clock by accident."""
    if value is None:
        return wall_clock()
    text = value.strip()
    try:
        if not text:
            raise ValueError("empty")
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not an ISO 8601 time (e.g. 2026-11-20T00:00:00Z)"
        ) from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt
