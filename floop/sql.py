"""SQL text helpers shared by every module that builds DuckDB SQL (one quoting rule)."""

from __future__ import annotations

from collections.abc import Iterable


def sql_str(value: str) -> str:
    """VALUE as a SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Iterable[str]) -> str:
    """VALUES as a parenthesised list of SQL string literals, for `in (...)`."""
    return "(" + ", ".join(sql_str(v) for v in values) + ")"


def quote_ident(name: str) -> str:
    """NAME as a double-quoted SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'
