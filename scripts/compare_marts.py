"""Compare the marts (and published intermediates) of two warehouses, row for row.

    python scripts/compare_marts.py OLD.duckdb NEW.duckdb [--schemas marts,intermediate]

For every table in the schemas: rows of OLD not in NEW and rows of NEW not in OLD (EXCEPT ALL
both ways), after rounding doubles to 9 places and writing JSON values with sorted keys (a JSON
object is unordered: `json_group_object` without an order gives its keys in scan order).
Prints one line per table and a total; exit 0 when every table is identical, 1 otherwise, 2 on
bad input. Columns are matched by name, so a reordered column list still compares equal; a
column present on one side only is a difference.
Used to show that a restructure changed no result (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

ROUND_TYPES = ("DOUBLE", "FLOAT", "REAL")


def _canonical_json(text: str | None) -> str | None:
    return None if text is None else json.dumps(json.loads(text), sort_keys=True)


def _tables(con: duckdb.DuckDBPyConnection, db: str, schemas: list[str]) -> dict[str, dict]:
    rows = con.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name in (select unnest(?)) "
        "order by schema_name, table_name, column_index",
        [db, schemas],
    ).fetchall()
    out: dict[str, dict] = {}
    for schema, table, col, dtype in rows:
        out.setdefault(f"{schema}.{table}", {})[col] = dtype
    return out


def _select(db: str, table: str, cols: dict[str, str], names: list[str]) -> str:
    exprs = []
    for name in names:
        q = f'"{name}"'
        if cols[name] in ROUND_TYPES:
            exprs.append(f"round({q}, 9) as {q}")
        elif cols[name] == "JSON":
            exprs.append(f"canonical_json({q}::varchar) as {q}")
        else:
            exprs.append(q)
    return f"select {', '.join(exprs)} from {db}.{table}"


def compare(old: Path, new: Path, schemas: list[str]) -> list[tuple[str, int, int, str]]:
    """(table, rows only in old, rows only in new, note) per table of either side."""
    con = duckdb.connect()
    # a few JSON columns of mart rows (not events): Python's json gives the canonical form
    con.create_function("canonical_json", _canonical_json, ["VARCHAR"], "VARCHAR")
    con.execute(f"attach '{old}' as old_db (read_only)")
    con.execute(f"attach '{new}' as new_db (read_only)")
    a, b = _tables(con, "old_db", schemas), _tables(con, "new_db", schemas)
    result = []
    for table in sorted(set(a) | set(b)):
        if table not in a or table not in b:
            side = "old" if table in a else "new"
            db = "old_db" if side == "old" else "new_db"
            n = con.execute(f"select count(*) from {db}.{table}").fetchone()[0]
            only_old, only_new = (n, 0) if side == "old" else (0, n)
            result.append((table, only_old, only_new, f"only in {side}"))
            continue
        if set(a[table]) != set(b[table]):
            diff = sorted(set(a[table]) ^ set(b[table]))
            result.append((table, -1, -1, f"columns differ: {', '.join(diff)}"))
            continue
        names = sorted(a[table])
        sa = _select("old_db", table, a[table], names)
        sb = _select("new_db", table, b[table], names)
        only_old = con.execute(f"select count(*) from ({sa} except all {sb})").fetchone()[0]
        only_new = con.execute(f"select count(*) from ({sb} except all {sa})").fetchone()[0]
        n = con.execute(f"select count(*) from old_db.{table}").fetchone()[0]
        result.append((table, only_old, only_new, f"{n:,} rows"))
    con.close()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--schemas", default="marts,intermediate")
    args = p.parse_args(argv)
    for path in (args.old, args.new):
        if not path.is_file():
            print(f"compare_marts: error: no such warehouse file: {path}", file=sys.stderr)
            return 2
    rows = compare(args.old.resolve(), args.new.resolve(), args.schemas.split(","))
    bad = 0
    for table, only_old, only_new, note in rows:
        same = only_old == 0 and only_new == 0
        bad += not same
        status = "same" if same else f"DIFF -{only_old} +{only_new}"
        print(f"  {table:<50} {status:<20} {note}")
    print(f"compare_marts: {len(rows) - bad} of {len(rows)} tables identical")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
