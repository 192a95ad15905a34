"""Read-only access to the marts, and the one formatting of numbers the app and tests share.

Each query opens its own read-only connection and closes it at once, so the dashboard never
holds a lock on the analyst copy that the next `floop run` replaces.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pandas as pd


class Marts:
    """The marts (and registry) of one DuckDB file, opened read-only per query."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def query(self, sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql, list(params or [])).df()
        finally:
            con.close()

    def columns(self, table: str) -> list[str]:
        """Columns of `schema.table` in table order; empty when the table is missing."""
        schema, name = table.split(".", 1)
        df = self.query(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name],
        )
        return list(df["column_name"])

    def has(self, table: str) -> bool:
        return bool(self.columns(table))


def pick(columns: Iterable[str], *candidates: str) -> str | None:
    """The first candidate column present (exact name first, then as a substring).

    The marts are documented in models/marts/**/_models.yml; the candidates list their names
    first, so a rename there degrades to a missing chart instead of a crash.
    """
    cols = list(columns)
    for c in candidates:
        if c in cols:
            return c
    for c in candidates:
        for col in cols:
            if c in col:
                return col
    return None


def fmt_rate(value: object) -> str:
    """A share 0..1 as a percentage with one decimal, the way every page prints it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]


def fmt_count(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{int(value):,}"  # type: ignore[call-overload]


def fmt_number(value: object, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]
