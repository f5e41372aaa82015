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
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config=_config())
    try:
        yield con
    finally:
        con.close()


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
