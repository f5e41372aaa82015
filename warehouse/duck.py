"""DuckDB connections: one writer at a time, readers always read-only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


def _config() -> dict[str, str]:
    config = {"memory_limit": os.environ.get("CG_DUCKDB_MEMORY_LIMIT", "4GB")}
    threads = os.environ.get("CG_DUCKDB_THREADS")
    if threads:
        config["threads"] = threads
    return config


@contextmanager
def write_connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the private warehouse for writing; callers hold the Airflow ``duckdb_writer`` pool."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    con = duckdb.connect(str(path), config=_config())
    restrict(path)
    try:
        yield con
    finally:
        con.close()
        restrict(path)


PRIVATE_MODE = 0o640  # owner read/write, the service group (see README "Keys and file permissions") read


def restrict(path: Path) -> None:
    """The private warehouse (and its WAL and failure spool) is never world-readable."""
    for candidate in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".failed_loads.jsonl")):
        try:
            if candidate.exists() and candidate.stat().st_mode & 0o777 != PRIVATE_MODE:
                os.chmod(candidate, PRIVATE_MODE)
        except OSError:
            pass


@contextmanager
def read_connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a warehouse file read-only (never takes the write lock)."""
    if not path.exists():
        raise FileNotFoundError(f"warehouse file not found: {path}")
    con = duckdb.connect(str(path), read_only=True, config=_config())
    try:
        yield con
    finally:
        con.close()


def sql_literal(text: str) -> str:
    """A SQL string literal (for statements that take no parameters: ATTACH, COMMENT ON, COPY)."""
    return "'" + text.replace("'", "''") + "'"


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> tuple | None:
    """The first row of a query (results are always fully consumed: DuckDB 2 refuses new work otherwise)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = first_row(con, "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                    [schema, table])
    return bool(row and row[0])
