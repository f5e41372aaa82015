"""The one owner of every ``meta.*`` table (and ``raw.quarantine``): DDL, typed ledger rows, the failure spool.

Every other module calls :func:`ensure_meta` and the helpers here instead of creating meta tables itself.
Ledger rows carry a monotonically increasing ``seq`` (order of recording, immune to clock skew) and real
columns for the change counts of incremental loads (new / updated / deleted / unseen_deletions / pages).

When the warehouse cannot be opened at all (another writer holds the DuckDB lock, the disk is full), a
failure cannot be written to ``meta.load_ledger``; it is appended to ``failed_loads.jsonl`` beside the
warehouse and moved into the ledger by the next :func:`ensure_meta` that can write.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

log = logging.getLogger(__name__)

CHANGE_COLUMNS = ("new", "updated", "deleted", "unseen_deletions", "pages")
MAX_ERROR_CHARS = 2000

DDL = [
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS meta",
    "CREATE SEQUENCE IF NOT EXISTS meta.ledger_seq START 1",
    """CREATE TABLE IF NOT EXISTS meta.load_ledger (
        load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, family VARCHAR NOT NULL, run_id VARCHAR,
        started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, status VARCHAR NOT NULL,
        received BIGINT, loaded BIGINT, quarantined BIGINT,
        payloads INTEGER, payload_bytes BIGINT, payload_sha256 VARCHAR,
        table_rows VARCHAR, notes VARCHAR, error VARCHAR, load_mode VARCHAR)""",
    "ALTER TABLE meta.load_ledger ADD COLUMN IF NOT EXISTS load_mode VARCHAR",
    "ALTER TABLE meta.load_ledger ADD COLUMN IF NOT EXISTS seq BIGINT",
    "ALTER TABLE meta.load_ledger ADD COLUMN IF NOT EXISTS physical_records BIGINT",
    *[f"ALTER TABLE meta.load_ledger ADD COLUMN IF NOT EXISTS {c} BIGINT" for c in CHANGE_COLUMNS],
    """CREATE TABLE IF NOT EXISTS meta.payloads (
        load_id VARCHAR NOT NULL, source VARCHAR NOT NULL, seq INTEGER NOT NULL, url VARCHAR,
        fetched_at TIMESTAMPTZ, sha256 VARCHAR, bytes BIGINT, attempts INTEGER, archived_path VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS raw.quarantine (
        _load_id VARCHAR NOT NULL, _source VARCHAR NOT NULL, _fetched_at TIMESTAMPTZ,
        _payload_sha256 VARCHAR, family VARCHAR, entity VARCHAR, record_key VARCHAR,
        reason VARCHAR NOT NULL, record_json VARCHAR)""",
    # Volunteering Data Standard raw tables (columns as ingest/feeds/volunteering_data_standard.py lands them):
    # created empty so dbt builds for a partnership with no VDS source; the ALTERs upgrade older landings
    *[f"""CREATE TABLE IF NOT EXISTS raw.{name} (_load_id VARCHAR, _source VARCHAR, _fetched_at TIMESTAMPTZ,
        _payload_sha256 VARCHAR, {", ".join(f"{c} VARCHAR" for c in columns.split())})"""
      for name, columns in (
          ("vds_activities", "activity_id title description organisation_id organisation_name apply_url remote "
                             "start_date end_date data_json"),
          ("vds_activity_locations", "activity_id session_id location_id location_type location_label address "
                                     "latitude longitude"),
          ("vds_activity_attributes", "activity_id attribute value"))],
    "ALTER TABLE raw.vds_activities ADD COLUMN IF NOT EXISTS organisation_name VARCHAR",
    "ALTER TABLE raw.vds_activity_locations ADD COLUMN IF NOT EXISTS location_label VARCHAR",
    """CREATE TABLE IF NOT EXISTS meta.feed_state (
        source VARCHAR PRIMARY KEY, next_url VARCHAR, after_timestamp BIGINT, after_id VARCHAR,
        updated_at TIMESTAMPTZ, load_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS meta.retirements (
        source VARCHAR NOT NULL, decided_at TIMESTAMPTZ, decision VARCHAR NOT NULL, rows_removed VARCHAR,
        load_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS meta.dbt_runs (run_id VARCHAR, started_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ, success BOOLEAN, counts VARCHAR, failures VARCHAR, freshness VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS meta.gx_results (run_id VARCHAR, checked_at TIMESTAMPTZ, suite VARCHAR,
        table_name VARCHAR, success BOOLEAN, evaluated INTEGER, rows BIGINT, failed VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS meta.publications (run_id VARCHAR, recorded_at TIMESTAMPTZ, status VARCHAR,
        reason VARCHAR, path VARCHAR, tables VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS meta.build_inputs (build_id VARCHAR NOT NULL, recorded_at TIMESTAMPTZ,
        family VARCHAR NOT NULL, source VARCHAR NOT NULL, load_id VARCHAR NOT NULL, finished_at TIMESTAMPTZ)""",
]


@dataclass
class LedgerRow:
    """One typed row of meta.load_ledger."""

    load_id: str
    source: str
    family: str
    status: str  # loaded | failed | retired
    run_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    received: int | None = None
    loaded: int | None = None
    quarantined: int | None = None
    payloads: int | None = None
    payload_bytes: int | None = None
    payload_sha256: str | None = None
    table_rows: str | None = None
    notes: str | None = None
    error: str | None = None
    load_mode: str | None = None
    physical_records: int | None = None
    new: int | None = None
    updated: int | None = None
    deleted: int | None = None
    unseen_deletions: int | None = None
    pages: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def spool_path(warehouse_path: Path) -> Path:
    return warehouse_path.with_name(warehouse_path.name + ".failed_loads.jsonl")


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    """Create every meta table (idempotent) and drain the failure spool, if any."""
    for ddl in DDL:
        con.execute(ddl)
    _drain_spool(con)


def _database_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    try:
        rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    except duckdb.Error:
        return None
    return Path(rows[0][0]) if rows and rows[0][0] else None


def _drain_spool(con: duckdb.DuckDBPyConnection) -> None:
    db = _database_path(con)
    if db is None:
        return
    spool = spool_path(db)
    if not spool.exists():
        return
    lines = spool.read_text(encoding="utf-8").splitlines()
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        for key in ("started_at", "finished_at"):
            if row.get(key):
                row[key] = datetime.fromisoformat(row[key])
        insert_ledger(con, LedgerRow(**row))
    spool.unlink()
    log.warning("moved %d spooled load failure(s) into meta.load_ledger", len(lines))


def insert_ledger(con: duckdb.DuckDBPyConnection, row: LedgerRow) -> dict[str, Any]:
    """Replace the ledger row of (load_id, source) and give it the next sequence number."""
    values = row.as_dict()
    if values.get("error"):
        values["error"] = str(values["error"])[:MAX_ERROR_CHARS]
    con.execute("DELETE FROM meta.load_ledger WHERE load_id = ? AND source = ?", [row.load_id, row.source])
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO meta.load_ledger ({columns}, seq) VALUES ({marks}, nextval('meta.ledger_seq'))",
                list(values.values()))
    return values


def spool_failure(warehouse_path: Path, row: LedgerRow) -> Path:
    """Record a failure when the warehouse itself cannot be written (lock held, disk full)."""
    spool = spool_path(warehouse_path)
    spool.parent.mkdir(parents=True, exist_ok=True)
    values = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.as_dict().items()}
    fd = os.open(spool, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(values) + "\n")
    return spool


def record_retirement(con: duckdb.DuckDBPyConnection, source: str, decision: str, rows_removed: dict[str, int],
                      load_id: str) -> None:
    con.execute("INSERT INTO meta.retirements VALUES (?, ?, ?, ?, ?)",
                [source, datetime.now(UTC), decision, json.dumps(rows_removed), load_id])
