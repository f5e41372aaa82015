"""Publish the marts: build a new file beside the published one, verify it, swap it in atomically.

The published file holds the marts only (no raw, staging or bookkeeping), in its ``main`` schema so
BI tools see plain table names. It is written under a temporary name, checkpointed, closed, checked
table by table against the private warehouse, and then renamed over the published file
(``os.replace`` is atomic on POSIX): a reader sees the old file or the new one, never a partial one.
Parquet copies go to a new folder per publication and a ``current`` symlink is swapped the same way;
the registered exporters (``warehouse/exports/``) write their formats into the same folder first.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.duck import first_row, read_connection, write_connection
from warehouse.partner_files import partner_only_tables, write_partner_files
from warehouse.settings import Settings, get_settings

MARTS_SCHEMA = "marts"


class PublishError(RuntimeError):
    """The new published file did not match the private marts; the old one is untouched."""


def _safe(run_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in run_id)[:80]


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    where = "table_schema = ?" + (" AND table_catalog = ?" if catalog else "")
    params = [MARTS_SCHEMA, catalog] if catalog else [MARTS_SCHEMA]
    rows = con.execute(
        f"SELECT table_name FROM information_schema.tables WHERE {where} AND table_type = 'BASE TABLE' "
        "ORDER BY table_name", params).fetchall()
    return [r[0] for r in rows]


def table_checksum(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    """Row count and an order-independent content checksum of a table."""
    count, digest = first_row(con, f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {table} AS t")
    return int(count), hashlib.sha256(str(digest).encode()).hexdigest()[:16]


def publish(run_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """Copy every mart into a fresh file, verify, then swap it in. Returns the publication record."""
    settings = settings or get_settings()
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    tmp = settings.published_dir / f".common_ground.{_safe(run_id)}.tmp.duckdb"
    tmp.unlink(missing_ok=True)
    expected: dict[str, tuple[int, str]] = {}
    with write_connection(tmp) as out:
        out.execute(f"ATTACH '{settings.warehouse_path}' AS private (READ_ONLY)")
        tables = [t for t in mart_tables(out, "private") if t not in partner_only_tables()]  # partner files only
        if not tables:
            raise PublishError("the private warehouse has no marts to publish")
        for table in tables:
            out.execute(f"CREATE TABLE main.{table} AS SELECT * FROM private.{MARTS_SCHEMA}.{table}")
            expected[table] = table_checksum(out, f"private.{MARTS_SCHEMA}.{table}")
        out.execute("DETACH private")
        out.execute("CHECKPOINT")
    try:
        with read_connection(tmp) as check:
            found = [r[0] for r in check.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
            if found != sorted(expected):
                raise PublishError(f"new file holds {found}, expected {sorted(expected)}")
            actual = {t: table_checksum(check, f"main.{t}") for t in found}
            if actual != expected:
                raise PublishError(f"checksums differ after copy: {actual} vs {expected}")
            folder = export_parquet(check, settings, run_id, found)
            exports = run_exporters(check, folder)
        partner_files = write_partner_files(tmp, settings.warehouse_path, settings.published_dir)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, settings.published_path)
    parquet = swap_parquet(settings, folder)
    record = {
        "run_id": run_id, "published_at": datetime.now(UTC).isoformat(), "path": str(settings.published_path),
        "tables": {t: {"rows": actual[t][0], "checksum": actual[t][1]} for t in found},
        "parquet_dir": str(parquet),
        "exports": [p.name for p in exports],
        "partner_files": partner_files,
    }
    (settings.published_dir / "PUBLISHED.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return record


def export_parquet(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, tables: list[str]) -> Path:
    """One Parquet file per mart, from the verified new file, into a new folder per publication."""
    root = settings.parquet_dir
    root.mkdir(parents=True, exist_ok=True)
    folder = root / _safe(run_id)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    for table in tables:
        con.execute(f"COPY main.{table} TO '{folder / (table + '.parquet')}' (FORMAT parquet)")
    return folder


def run_exporters(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    """Every registered exporter (``warehouse/exports/``) on the verified new file, into ``folder``."""
    from warehouse.exports import all_exporters

    written: list[Path] = []
    for exporter in all_exporters():
        written += exporter(con, folder)
    return written


def swap_parquet(settings: Settings, folder: Path) -> Path:
    """Point ``parquet/current`` at the new folder atomically; keep only it and the one before."""
    root = settings.parquet_dir
    link = root / "current"
    previous = link.resolve() if link.is_symlink() else None
    tmp_link = root / f".current.{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(folder.name)
    os.replace(tmp_link, link)
    for old in root.iterdir():
        if old.is_dir() and not old.is_symlink() and old not in (folder, previous):
            shutil.rmtree(old, ignore_errors=True)
    return link


def record_publication(settings: Settings, record: dict[str, Any] | None, run_id: str, status: str,
                       reason: str | None = None) -> None:
    """Write the outcome of a publish attempt to meta.publications in the private warehouse."""
    with write_connection(settings.warehouse_path) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute("""CREATE TABLE IF NOT EXISTS meta.publications (run_id VARCHAR, recorded_at TIMESTAMPTZ,
                       status VARCHAR, reason VARCHAR, path VARCHAR, tables VARCHAR)""")
        con.execute("DELETE FROM meta.publications WHERE run_id = ?", [run_id])
        con.execute("INSERT INTO meta.publications VALUES (?, ?, ?, ?, ?, ?)", [
            run_id, datetime.now(UTC), status, reason, record["path"] if record else None,
            json.dumps(record["tables"]) if record else None])
