"""Publish the marts as one unit: the DuckDB file, its Parquet copies, the docs and the manifest swap together.

Layout of the published folder (``CG_PUBLISHED_DIR``)::

    releases/<publication id>/          one complete publication, read-only (files 0444, folders 0555)
        common_ground.duckdb            the marts in ``main``, with their descriptions as COMMENT ON
        parquet/<mart>.parquet          one file per mart, column descriptions in the schema metadata
        parquet/service_map.*           the registered exporters' formats (``warehouse/exports/``)
        docs/data_dictionary.{md,html}  every table and column with its description
        docs/dbt_docs.html              the static dbt docs site (when ``dbt docs generate --static`` ran)
        PUBLISHED.json                  the manifest (tables, row counts, checksums)
    current -> releases/<id>            the one atomic switch
    common_ground.duckdb -> current/common_ground.duckdb     stable names that follow ``current``
    PUBLISHED.json, docs -> current/…
    parquet/current -> ../current/parquet
    parquet/<id> -> ../releases/<id>/parquet                 a pinned path per publication

A publication is built in ``releases/.staging-<id>`` (the DuckDB file is written with a storage
version DuckDB 1.x clients read, checkpointed, closed and verified table by table against the private
warehouse), made read-only, renamed into place and then switched in by replacing the ``current``
symlink (``os.replace`` is atomic on POSIX). A reader therefore sees the old publication or the new one,
whole: a crash or SIGKILL at any step leaves the previous one current, and a failure (a full disk
included) removes the staging folder, temp files and WAL with it, so the next publish starts clean.
The last ``CG_PUBLISH_KEEP`` publications (default 10) are kept; older ones and crash leftovers are
removed by the next publish. Publication ids are a sequence number and the run id — never the clock.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.duck import first_row, sql_literal, write_connection
from warehouse.partner_files import partner_only_tables, write_partner_files
from warehouse.settings import Settings, get_settings

MARTS_SCHEMA = "marts"
DB_NAME = "common_ground.duckdb"
MANIFEST = "PUBLISHED.json"
# The oldest DuckDB storage format that holds every type the marts use (BIGINT, DOUBLE, VARCHAR, DATE,
# BOOLEAN, TIMESTAMPTZ, LIST): DuckDB 1.0 and every later 1.x client open it. Override with
# CG_PUBLISH_STORAGE_VERSION (e.g. v1.4.0, or 'latest' for the writer's own format).
DEFAULT_STORAGE_VERSION = "v1.0.0"
DEFAULT_KEEP = 10
READ_ONLY_FILE = 0o444
READ_ONLY_DIR = 0o555


class PublishError(RuntimeError):
    """The new publication could not be built or did not match the private marts; the old one is untouched."""


def _safe(run_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in run_id)[:80]


def storage_version() -> str:
    value = os.environ.get("CG_PUBLISH_STORAGE_VERSION", DEFAULT_STORAGE_VERSION).strip()
    if value != "latest" and not re.fullmatch(r"v\d+\.\d+\.\d+", value):
        raise PublishError(f"CG_PUBLISH_STORAGE_VERSION must look like v1.4.0 or be 'latest', not {value!r}")
    return value


def keep_count() -> int:
    return max(2, int(os.environ.get("CG_PUBLISH_KEEP", DEFAULT_KEEP)))


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


def descriptions(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> dict[str, dict[str, Any]]:
    """{table: {"description", "columns": {column: {"type", "description"}}}} from the catalog's comments."""
    tables = {name: {"description": comment or "", "columns": {}} for name, comment in con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
        "ORDER BY table_name", [database, schema]).fetchall()}
    for table, column, dtype, comment in con.execute(
            "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = ? ORDER BY table_name, column_index",
            [database, schema]).fetchall():
        if table in tables:
            tables[table]["columns"][column] = {"type": dtype, "description": comment or ""}
    return tables


def _next_id(releases: Path, run_id: str) -> str:
    numbers = [int(m.group(1)) for p in releases.iterdir() if (m := re.match(r"\.?(?:staging-)?(\d{6})-", p.name))]
    return f"{max(numbers, default=0) + 1:06d}-{_safe(run_id)}"


def _make_writable(root: Path) -> None:
    for dirpath, _, _ in os.walk(root):
        os.chmod(dirpath, 0o755)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        _make_writable(path)
        shutil.rmtree(path, ignore_errors=True)


def _freeze(root: Path) -> None:
    """fsync and make read-only every file and folder of a finished publication."""
    for dirpath, _, filenames in os.walk(root, topdown=False):
        for name in filenames:
            path = Path(dirpath) / name
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
            os.chmod(path, READ_ONLY_FILE)
        os.chmod(dirpath, READ_ONLY_DIR)


def _link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically (a new symlink renamed over the old name)."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    if link.is_dir() and not link.is_symlink():
        _remove(link)  # a folder left by the layout before releases/ existed
    tmp = link.with_name(f".{link.name}.{os.getpid()}.link")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, link)


def build_database(settings: Settings, path: Path, version: str) -> dict[str, tuple[int, str]]:
    """Copy every mart, with its comments, into a new file at ``path``; returns the private checksums."""
    expected: dict[str, tuple[int, str]] = {}
    con = duckdb.connect(config={"memory_limit": os.environ.get("CG_DUCKDB_MEMORY_LIMIT", "4GB")})
    try:
        con.execute("SET enable_progress_bar = false")  # a global option: refused in connect()'s config once set
        options = "" if version == "latest" else f" (STORAGE_VERSION '{version}')"
        con.execute(f"ATTACH {sql_literal(str(path))} AS pub{options}")
        con.execute(f"ATTACH {sql_literal(str(settings.warehouse_path))} AS private (READ_ONLY)")
        tables = [t for t in mart_tables(con, "private") if t not in partner_only_tables()]  # partner files only
        if not tables:
            raise PublishError("the private warehouse has no marts to publish")
        docs = descriptions(con, "private", MARTS_SCHEMA)
        for table in tables:
            con.execute(f"CREATE TABLE pub.main.{table} AS SELECT * FROM private.{MARTS_SCHEMA}.{table}")
            expected[table] = table_checksum(con, f"private.{MARTS_SCHEMA}.{table}")
            if docs[table]["description"]:
                con.execute(f"COMMENT ON TABLE pub.main.{table} IS {sql_literal(docs[table]['description'])}")
            for column, info in docs[table]["columns"].items():
                if info["description"]:
                    con.execute(f'COMMENT ON COLUMN pub.main.{table}."{column}" IS {sql_literal(info["description"])}')
        con.execute("DETACH private")
        con.execute("CHECKPOINT pub")
        con.execute("DETACH pub")
    finally:
        con.close()
    return expected


def verify(con: duckdb.DuckDBPyConnection, expected: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    found = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    if found != sorted(expected):
        raise PublishError(f"new file holds {found}, expected {sorted(expected)}")
    actual = {t: table_checksum(con, f"main.{t}") for t in found}
    if actual != expected:
        raise PublishError(f"checksums differ after copy: {actual} vs {expected}")
    return actual


def publish(run_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """Build, verify and switch in a new publication of every mart. Returns the publication record."""
    from warehouse.exports.docs import copy_dbt_docs, generate_dbt_docs, write_dictionary

    settings = settings or get_settings()
    root = settings.published_dir
    releases = root / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    pub_id = _next_id(releases, run_id)
    staging = releases / f".staging-{pub_id}"
    version = storage_version()
    site = generate_dbt_docs(settings)  # before any write under the published folder
    try:
        staging.mkdir()
        expected = build_database(settings, staging / DB_NAME, version)
        with duckdb.connect(str(staging / DB_NAME), read_only=True) as check:
            actual = verify(check, expected)
            docs = descriptions(check, check.execute("SELECT current_database()").fetchall()[0][0], "main")
            folder = export_parquet(check, staging / "parquet", list(actual), docs)
            exports = run_exporters(check, folder)
        doc_files = write_dictionary(docs, staging / "docs", pub_id) + copy_dbt_docs(site, staging / "docs")
        # one file per partner (open marts + its own restricted rows), inside the release so it swaps with it
        partner_files = write_partner_files(staging / DB_NAME, settings.warehouse_path, staging)
        record = {
            "publication_id": pub_id, "run_id": run_id, "published_at": datetime.now(UTC).isoformat(),
            "path": str(settings.published_path), "storage_version": version,
            "release_dir": str(releases / pub_id), "parquet_dir": str(settings.parquet_dir / pub_id),
            "tables": {t: {"rows": actual[t][0], "checksum": actual[t][1]} for t in actual},
            "exports": [p.name for p in exports], "docs": [p.name for p in doc_files],
            "partner_files": {pid: {"path": str(root / "partners" / f"{pid}.duckdb"), "tables": info["tables"]}
                              for pid, info in partner_files.items()},
        }
        (staging / MANIFEST).write_text(json.dumps(record, indent=2), encoding="utf-8")
        _freeze(staging)
        os.replace(staging, releases / pub_id)
    except BaseException as exc:
        _remove(staging)
        if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left" in str(exc):
            raise PublishError(f"no space left under {root}; publication {pub_id} abandoned and cleaned up, "
                               "the previous one is still current") from exc
        raise
    switch(settings, pub_id)
    prune(settings, keep_count())
    return record


def switch(settings: Settings, pub_id: str) -> None:
    """Make ``pub_id`` current: one atomic symlink swap, then the stable names (idempotent)."""
    root = settings.published_dir
    settings.parquet_dir.mkdir(parents=True, exist_ok=True)
    _link(settings.parquet_dir / pub_id, f"../releases/{pub_id}/parquet")
    _link(root / "current", f"releases/{pub_id}")
    for name in (DB_NAME, MANIFEST, "docs", "partners"):
        _link(root / name, f"current/{name}")
    _link(settings.parquet_dir / "current", "../current/parquet")


def prune(settings: Settings, keep: int) -> list[str]:
    """Remove publications beyond the newest ``keep`` (never the current one) and crash leftovers."""
    releases = settings.published_dir / "releases"
    current = os.readlink(settings.published_dir / "current").split("/")[-1]
    done = sorted(p.name for p in releases.iterdir() if re.match(r"\d{6}-", p.name))
    removed = [name for name in done[:-keep] if name != current]
    for name in removed:
        (settings.parquet_dir / name).unlink(missing_ok=True)
        _remove(releases / name)
    for leftover in releases.glob(".staging-*"):
        _remove(leftover)
    for old in settings.parquet_dir.iterdir():  # folders of the layout before releases/, dangling links
        if (old.is_dir() and not old.is_symlink()) or (old.is_symlink() and not old.exists()
                                                         and old.name != "current"):
            _remove(old)
    for stray in settings.published_dir.glob(".*.tmp.duckdb*"):
        stray.unlink(missing_ok=True)
    return removed


def _parquet_metadata(table: str, info: dict[str, Any]) -> str:
    pairs = {"common_ground.table": table, "common_ground.description": info["description"],
             "common_ground.columns": json.dumps({c: v["description"] for c, v in info["columns"].items()},
                                                 ensure_ascii=False)}
    pairs |= {f"common_ground.column.{c}": v["description"] for c, v in info["columns"].items()}
    return "{" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in pairs.items()) + "}"


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[str],
                   docs: dict[str, dict[str, Any]]) -> Path:
    """One Parquet file per mart, from the verified new file, with the descriptions as key-value metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        target = sql_literal(str(folder / f"{table}.parquet"))
        metadata = _parquet_metadata(table, docs[table])
        con.execute(f"COPY main.{table} TO {target} (FORMAT parquet, KV_METADATA {metadata})")
    return folder


def run_exporters(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    """Every registered exporter (``warehouse/exports/``) on the verified new file, into ``folder``."""
    from warehouse.exports import all_exporters

    written: list[Path] = []
    for exporter in all_exporters():
        written += exporter(con, folder)
    return written


def record_publication(settings: Settings, record: dict[str, Any] | None, run_id: str, status: str,
                       reason: str | None = None) -> None:
    """Write the outcome of a publish attempt to meta.publications in the private warehouse."""
    with write_connection(settings.warehouse_path) as con:
        from warehouse.meta import ensure_meta

        ensure_meta(con)
        con.execute("DELETE FROM meta.publications WHERE run_id = ?", [run_id])
        con.execute("INSERT INTO meta.publications VALUES (?, ?, ?, ?, ?, ?)", [
            run_id, datetime.now(UTC), status, reason, record["path"] if record else None,
            json.dumps(record["tables"]) if record else None])


def is_read_only(path: Path) -> bool:
    """No write bit for anyone on the file behind ``path``."""
    return not stat.S_IMODE(os.stat(path).st_mode) & 0o222
