"""The independent side of the TPC-H comparison: DuckDB on the host over the generator's own Parquet files.

DuckDB (a pinned test dependency) shares no code with Hive or Spark, so a wrong
query, column type or load cannot agree with it by construction. Values are
compared as the engines print them: numbers within a relative tolerance,
everything else (strings, dates) exactly.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from pathlib import Path

from integration.tpch_queries import QUERIES

TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")

# Spark and Hive give AVG over DECIMAL(15,2) and decimal division as DECIMAL with six places
# (the SQL rules for result scale), DuckDB gives AVG as a DOUBLE: the same answer may differ by
# half a unit in the sixth place, 5e-7 absolute. Sums of decimals are exact in all three.
# So: 1e-6 relative, with an absolute floor of 1e-6 for values below 1 (avg_disc is about 0.05,
# where a relative 1e-6 would be 5e-8, finer than the six places Spark and Hive print).
REL_TOL = 1e-6
ABS_TOL = 1e-6


def duckdb_over(parquet_root: Path):
    """A DuckDB connection with views tpch.<table> over `parquet_root/<table>/*.parquet`."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE SCHEMA tpch")
    for t in TABLES:
        files = sorted((parquet_root / t).glob("*.parquet"))
        assert files, f"no Parquet files for {t} under {parquet_root}"
        listed = ", ".join(f"'{f}'" for f in files)
        con.execute(f"CREATE VIEW tpch.{t} AS SELECT * FROM read_parquet([{listed}])")
    return con


def duckdb_rows(con, sql: str) -> list[list[str]]:
    """A query's rows, every value as text (Decimal and date as str() prints them)."""
    return [[str(v) for v in row] for row in con.execute(sql).fetchall()]


def duckdb_answers(con) -> dict[str, list[list[str]]]:
    """q1..q22 by DuckDB."""
    return {f"q{n}": duckdb_rows(con, sql) for n, sql in QUERIES.items()}


def duckdb_counts(con) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM tpch.{t}").fetchone()[0] for t in TABLES}


def _number(s: str) -> Decimal | None:
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def same_value(a: str, b: str) -> bool:
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return a == b
    return math.isclose(float(x), float(y), rel_tol=REL_TOL, abs_tol=ABS_TOL)


def differences(got: list[list[str]], want: list[list[str]]) -> list[str]:
    """Why `got` is not `want` row by row in order (empty when they agree)."""
    out = [] if len(got) == len(want) else [f"{len(got)} rows, expected {len(want)}"]
    for i, (g, w) in enumerate(zip(got, want)):
        if len(g) != len(w) or not all(map(same_value, g, w)):
            out.append(f"row {i}: {g} != {w}")
    return out[:5]
