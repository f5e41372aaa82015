"""Which loads a warehouse build reads, and whether a build is due.

A build reads, for every source, its **last good load** (a failed load changes nothing in ``raw.*``, so
the previous good partition stays). A build is only *ready* when every feed family registered in
``config/sources.yml`` has at least one good load, and only *due* (for an asset-triggered run) when
that set of loads differs from the one the current publication was built from — so a burst of asset
events gives one build, and a failed build is retried by the next event. ``meta.build_inputs`` records,
per build, which load of each source it read; the run summary prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from ingest.sources import load_sources
from warehouse.duck import first_row, read_connection, table_exists
from warehouse.meta import ensure_meta
from warehouse.settings import Settings


@dataclass(frozen=True)
class Readiness:
    """The verdict of :func:`readiness`: build or not, and why."""

    build: bool
    reason: str


def registered_families(settings: Settings) -> set[str]:
    return {source.family for source in load_sources(settings.sources_file)}


def last_good_loads(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The latest successful load of every source in the ledger (what ``raw.*`` holds now)."""
    if not table_exists(con, "meta", "load_ledger"):
        return []
    rows = con.execute("""
        SELECT family, source, load_id, finished_at FROM (
            SELECT *, row_number() OVER (PARTITION BY source
                                         ORDER BY seq DESC NULLS LAST, finished_at DESC, load_id DESC) AS n
            FROM meta.load_ledger WHERE status = 'loaded')
        WHERE n = 1 ORDER BY family, source""").fetchall()
    return [{"family": f, "source": s, "load_id": lid, "finished_at": fin} for f, s, lid, fin in rows]


def published_inputs(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]] | None:
    """(source, load_id) pairs the current publication was built from; None if nothing was published."""
    if not (table_exists(con, "meta", "publications") and table_exists(con, "meta", "build_inputs")):
        return None
    row = first_row(con, """SELECT run_id FROM meta.publications WHERE status = 'published'
                            ORDER BY recorded_at DESC LIMIT 1""")
    if row is None:
        return None
    return {(s, lid) for s, lid in con.execute(
        "SELECT source, load_id FROM meta.build_inputs WHERE build_id = ?", [row[0]]).fetchall()}


def readiness(settings: Settings, *, manual: bool) -> Readiness:
    """Is a build ready (every family has a good load) and due (new loads since the publication)?

    Call it holding the ``duckdb_writer`` pool (it opens the private warehouse read-only). A manual run
    is always due once ready (an operator may rebuild after changing models).
    """
    if not settings.warehouse_path.exists():
        return Readiness(False, "no feed has been loaded yet (no private warehouse)")
    with read_connection(settings.warehouse_path) as con:
        loads = last_good_loads(con)
        published = published_inputs(con)
    missing = sorted(registered_families(settings) - {load["family"] for load in loads})
    if missing:
        return Readiness(False, f"waiting for a first good load of: {', '.join(missing)}")
    current = {(load["source"], load["load_id"]) for load in loads}
    if not manual and published == current:
        return Readiness(False, "nothing new: the current publication already holds the last good load "
                                "of every source")
    return Readiness(True, f"{len(loads)} source(s) with a good load in every registered family")


def record_inputs(con: duckdb.DuckDBPyConnection, build_id: str) -> list[dict[str, Any]]:
    """Snapshot the last good load of every source as this build's inputs (call before ``dbt build``)."""
    loads = last_good_loads(con)
    ensure_meta(con)  # warehouse/meta.py owns meta.build_inputs
    con.execute("DELETE FROM meta.build_inputs WHERE build_id = ?", [build_id])
    now = datetime.now(UTC)
    for load in loads:
        con.execute("INSERT INTO meta.build_inputs VALUES (?, ?, ?, ?, ?, ?)",
                    [build_id, now, load["family"], load["source"], load["load_id"], load["finished_at"]])
    return loads
