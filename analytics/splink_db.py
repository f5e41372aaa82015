"""Splink's own DuckDB: in memory, one thread, bounded, spilling to a private temporary directory.

Both linkages (survey respondents, service records) run Splink in a database of their own, away from
the warehouse connection dbt holds. One thread, so floating-point sums (EM, u sampling) are evaluated
in a fixed order and two builds on the same input give the same model; a memory bound
(``CG_LINKAGE_MEMORY_LIMIT``, default 2GB) with spilling, so England-scale blocks cannot take the
machine's memory (DuckDB's default is 80 % of RAM) and the dbt process stays within its peak-memory budget.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

DEFAULT_MEMORY_LIMIT = "2GB"


@contextmanager
def splink_connection() -> Iterator[Any]:
    """A fresh in-memory DuckDB for one linkage run; its spill directory is removed afterwards."""
    import duckdb

    spill = tempfile.mkdtemp(prefix="cg-linkage-")
    con = duckdb.connect(":memory:", config={
        "threads": 1, "memory_limit": os.environ.get("CG_LINKAGE_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        "temp_directory": spill})
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
