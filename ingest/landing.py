"""Write one source's load into the private warehouse, atomically, with its ledger entry.

A load replaces the source's own partition of each raw table (rows keyed by ``_source``), or upserts
by key for incremental feeds, puts rejected records in ``raw.quarantine`` with a reason, and records
received / loaded / quarantined in ``meta.load_ledger`` — all in one transaction, so a crash leaves
either the previous partition or the new one, never half of each. The counts must reconcile
(received = loaded + quarantined) or the load is refused.
"""

from __future__ import annotations

import json
import logging
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ingest.checks import safe_reason
from ingest.http_client import Payload
from warehouse.duck import first_row
from warehouse.meta import DDL, LedgerRow, insert_ledger
from warehouse.meta import ensure_meta as _ensure_meta

log = logging.getLogger(__name__)

# Provenance: the constant text columns are dictionary-encoded in Arrow (one value and n int32 indices;
# DuckDB lands them as VARCHAR): an England survey repeated three strings ~2.4 M times each, ~270 MB
PROVENANCE_COLUMNS = ("_load_id", "_source", "_fetched_at", "_payload_sha256")
FETCHED_AT_TYPE = pa.timestamp("us", tz="UTC")

META_DDL = DDL  # kept for importers; warehouse.meta owns every meta table
MAX_RECORD_JSON_CHARS = 8000
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.@#-]+")


class ReconciliationError(RuntimeError):
    """received != loaded + quarantined: something would silently disappear."""


@dataclass(frozen=True)
class LoadContext:
    """Identity of one load of one source."""

    source: str
    family: str
    load_id: str
    run_id: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class QuarantineRecord:
    """A record that failed validation. ``record`` must already be pseudonymised."""

    entity: str
    reason: str
    record: dict[str, Any]
    record_key: str | None = None
    payload_sha256: str | None = None


@dataclass
class RawTable:
    """Rows for one raw table. ``key`` set = upsert by key within the source instead of replace."""

    name: str
    rows: pa.Table
    key: Sequence[str] | None = None
    delete_keys: pa.Table | None = None


@dataclass
class Landing:
    """Everything one load of one source writes."""

    context: LoadContext
    received: int
    loaded: int
    tables: list[RawTable] = field(default_factory=list)
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    payloads: list[Payload] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    replace_quarantine: bool = True
    physical_records: int | None = None  # lines / JSON items in the payload, when the reader counts them
    changes: dict[str, int] | None = None  # incremental loads: new / updated / deleted / unseen_deletions / pages

    @property
    def quarantined(self) -> int:
        return len(self.quarantine)


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    _ensure_meta(con)


def with_provenance(rows: pa.Table, context: LoadContext, fetched_at: datetime,
                    payload_sha256: str | list[str] | pa.Array) -> pa.Table:
    """Prefix provenance columns (load id, source, fetched_at, payload checksum: one, or one per row)."""
    n = rows.num_rows
    zeros = pa.repeat(pa.scalar(0, pa.int32()), n)

    def text(value: str) -> pa.Array:
        return pa.DictionaryArray.from_arrays(zeros, pa.array([value], pa.string()))

    sha = payload_sha256 if isinstance(payload_sha256, pa.Array) else text(payload_sha256) \
        if isinstance(payload_sha256, str) else pa.array(payload_sha256, pa.string())
    provenance = [text(context.load_id), text(context.source), pa.repeat(pa.scalar(fetched_at, FETCHED_AT_TYPE), n),
                  sha]
    return pa.Table.from_arrays(provenance + rows.columns, names=[*PROVENANCE_COLUMNS, *rows.column_names])


def strings_table(records: list[dict[str, Any]], columns: Sequence[str]) -> pa.Table:
    """Build an all-VARCHAR Arrow table with exactly ``columns`` (missing keys become NULL)."""
    data = {c: [None if (v := r.get(c)) is None else v if v.__class__ is str else str(v) for r in records]
            for c in columns}
    return pa.table({c: pa.array(v, pa.string()) for c, v in data.items()})


def _quarantine_table(landing: Landing) -> pa.Table:
    ctx = landing.context
    fetched = landing.payloads[-1].fetched_at if landing.payloads else ctx.started_at
    q = landing.quarantine
    return pa.table({
        "_load_id": pa.array([ctx.load_id] * len(q), pa.string()),
        "_source": pa.array([ctx.source] * len(q), pa.string()),
        "_fetched_at": pa.array([fetched] * len(q), pa.timestamp("us", tz="UTC")),
        "_payload_sha256": pa.array([r.payload_sha256 for r in q], pa.string()),
        "family": pa.array([ctx.family] * len(q), pa.string()),
        "entity": pa.array([r.entity for r in q], pa.string()),
        "record_key": pa.array([r.record_key for r in q], pa.string()),
        "reason": pa.array([safe_reason(r.reason) for r in q], pa.string()),
        "record_json": pa.array([_bounded_json(r.record) for r in q], pa.string()),
    })


def _bounded_json(record: dict[str, Any]) -> str:
    text = json.dumps(record, default=str, ensure_ascii=False)
    if len(text) <= MAX_RECORD_JSON_CHARS:
        return text
    return json.dumps({"truncated": True, "chars": len(text), "keys": sorted(map(str, record))[:50]})


def safe_folder_name(name: str) -> str:
    """A single path component for a source or load id (no separators, no '..')."""
    cleaned = SAFE_NAME.sub("_", name).strip(".") or "_"
    return cleaned[:120]


def _write_table(con: duckdb.DuckDBPyConnection, table: RawTable, source: str) -> None:
    target = f"raw.{table.name}"
    con.register("_incoming", table.rows)
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM _incoming LIMIT 0")
        if table.key:
            keys = ", ".join(table.key)
            for frame in (table.rows, table.delete_keys):
                if frame is None or frame.num_rows == 0:
                    continue
                con.register("_keys", frame.select(list(table.key)))
                con.execute(
                    f"DELETE FROM {target} WHERE _source = ? AND ({keys}) IN (SELECT ({keys}) FROM _keys)",
                    [source],
                )
                con.unregister("_keys")
        else:
            con.execute(f"DELETE FROM {target} WHERE _source = ?", [source])
        con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def _combined_sha(payloads: list[Payload]) -> str | None:
    if not payloads:
        return None
    import hashlib

    digest = hashlib.sha256()
    for p in payloads:
        digest.update(p.sha256.encode())
    return digest.hexdigest()


def archive_payloads(landing: Landing, landing_dir: Path) -> list[str | None]:
    """Keep the raw bodies of non-personal feeds on disk beside their checksums.

    One zip per load, ``<landing>/<source>/<load id>.zip`` with a member ``00000.json`` … per body, so a
    list-then-detail directory of thousands of bodies costs one file create, not thousands (0.7 ms each
    here). Each body's ``meta.payloads.archived_path`` is ``<zip path>!<member>``. Written under a
    temporary name and renamed, so a killed load never leaves a partial archive under the final name.
    """
    root = landing_dir.resolve()
    folder = root / safe_folder_name(landing.context.source)
    target = folder / f"{safe_folder_name(landing.context.load_id)}.zip"
    if not target.resolve().is_relative_to(root):
        raise ValueError(f"archive {target} is outside the landing folder {root}")
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    members = [f"{seq:05d}.{'json' if 'json' in payload.content_type else 'csv'}"
               for seq, payload in enumerate(landing.payloads)]
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED,
                                                            compresslevel=1) as archive:
            for member, payload in zip(members, landing.payloads, strict=True):
                archive.writestr(member, payload.content)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return [f"{target}!{member}" for member in members]


def write_landing(con: duckdb.DuckDBPyConnection, landing: Landing,
                  archived_paths: list[str | None] | None = None,
                  state_update: dict[str, Any] | None = None,
                  cumulative: tuple[int, int, int, int, int] | None = None) -> dict[str, Any]:
    """Write a load in one transaction and return its ledger row.

    Incremental feeds write one page at a time under the same load id; they pass ``cumulative``
    (received, loaded, quarantined, payloads, bytes so far) so the ledger row covers the whole load.
    """
    ctx = landing.context
    if landing.received != landing.loaded + landing.quarantined:
        raise ReconciliationError(
            f"[{ctx.source}] received {landing.received} != loaded {landing.loaded} + "
            f"quarantined {landing.quarantined}"
        )
    ensure_meta(con)
    finished = datetime.now(UTC)
    table_rows = {t.name: t.rows.num_rows for t in landing.tables}
    changes = landing.changes or {}
    row = LedgerRow(
        load_id=ctx.load_id, source=ctx.source, family=ctx.family, run_id=ctx.run_id, status="loaded",
        started_at=ctx.started_at, finished_at=finished,
        received=landing.received, loaded=landing.loaded, quarantined=landing.quarantined,
        payloads=len(landing.payloads), payload_bytes=sum(p.size for p in landing.payloads),
        payload_sha256=_combined_sha(landing.payloads), table_rows=json.dumps(table_rows),
        notes="; ".join(landing.notes) or None, load_mode="snapshot" if cumulative is None else "incremental",
        physical_records=landing.physical_records,
        **{k: changes.get(k) for k in ("new", "updated", "deleted", "unseen_deletions", "pages")},
    )
    if cumulative is not None:
        row.received, row.loaded, row.quarantined, row.payloads, row.payload_bytes = cumulative
    if landing.physical_records is not None and landing.physical_records != landing.received:
        raise ReconciliationError(
            f"[{ctx.source}] the payload holds {landing.physical_records} physical record(s) but "
            f"{landing.received} were parsed: records were swallowed or invented"
        )
    ledger = row.as_dict()
    con.execute("BEGIN TRANSACTION")
    try:
        for table in landing.tables:
            _write_table(con, table, ctx.source)
        if landing.replace_quarantine:
            con.execute("DELETE FROM raw.quarantine WHERE _source = ?", [ctx.source])
        if landing.quarantine:
            con.register("_q", _quarantine_table(landing))
            con.execute("INSERT INTO raw.quarantine BY NAME SELECT * FROM _q")
            con.unregister("_q")
        ledger = insert_ledger(con, row)
        first_seq = 0
        if cumulative is None:
            con.execute("DELETE FROM meta.payloads WHERE load_id = ? AND source = ?", [ctx.load_id, ctx.source])
        else:
            first_seq = cumulative[3] - len(landing.payloads)
        _insert_payloads(con, ctx.load_id, ctx.source, landing.payloads, first_seq, archived_paths)
        if state_update is not None:
            save_feed_state(con, ctx.source, load_id=ctx.load_id, **state_update)
        con.execute("COMMIT")
    except BaseException as exc:
        _rollback(con, exc)
        raise
    log.info("[%s] load %s: received=%d loaded=%d quarantined=%d tables=%s", ctx.source, ctx.load_id,
             landing.received, landing.loaded, landing.quarantined, table_rows)
    return ledger


PAYLOAD_SCHEMA = pa.schema([("load_id", pa.string()), ("source", pa.string()), ("seq", pa.int32()),
                            ("url", pa.string()), ("fetched_at", pa.timestamp("us", tz="UTC")),
                            ("sha256", pa.string()), ("bytes", pa.int64()), ("attempts", pa.int32()),
                            ("archived_path", pa.string())])


def _insert_payloads(con: duckdb.DuckDBPyConnection, load_id: str, source: str, payloads: Sequence[Payload],
                     first_seq: int, archived_paths: list[str | None] | None) -> None:
    """One ``meta.payloads`` row per body, in one insert (a list-then-detail directory has thousands of
    bodies; a row-at-a-time insert took most of its load)."""
    if not payloads:
        return
    paths = archived_paths or [None] * len(payloads)
    if len(paths) != len(payloads):
        raise ValueError(f"[{source}] {len(paths)} archive paths for {len(payloads)} payloads")
    rows = pa.table({
        "load_id": [load_id] * len(payloads), "source": [source] * len(payloads),
        "seq": list(range(first_seq, first_seq + len(payloads))), "url": [p.url for p in payloads],
        "fetched_at": [p.fetched_at for p in payloads], "sha256": [p.sha256 for p in payloads],
        "bytes": [p.size for p in payloads], "attempts": [p.attempts for p in payloads],
        "archived_path": paths}, schema=PAYLOAD_SCHEMA)
    con.register("_payloads", rows)
    try:
        con.execute("INSERT INTO meta.payloads BY NAME SELECT * FROM _payloads")
    finally:
        con.unregister("_payloads")


def _rollback(con: duckdb.DuckDBPyConnection, exc: BaseException) -> None:
    """Roll back without masking the real error ("cannot rollback - no transaction is active")."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error as rollback_error:
        exc.add_note(f"(rollback also failed: {rollback_error})")


def record_failure(con: duckdb.DuckDBPyConnection, context: LoadContext, error: str,
                   received: int | None = None) -> None:
    """Record a failed load so the run summary can say why a feed is missing."""
    ensure_meta(con)
    insert_ledger(con, LedgerRow(
        load_id=context.load_id, source=context.source, family=context.family, run_id=context.run_id,
        started_at=context.started_at, finished_at=datetime.now(UTC), status="failed", received=received,
        loaded=0, quarantined=0, error=error,
    ))


def load_feed_state(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any] | None:
    ensure_meta(con)
    row = first_row(con, "SELECT next_url, after_timestamp, after_id FROM meta.feed_state WHERE source = ?",
                    [source])
    if row is None:
        return None
    return {"next_url": row[0], "after_timestamp": row[1], "after_id": row[2]}


def save_feed_state(con: duckdb.DuckDBPyConnection, source: str, *, next_url: str | None,
                    after_timestamp: int | None, after_id: str | None, load_id: str) -> None:
    con.execute("DELETE FROM meta.feed_state WHERE source = ?", [source])
    _insert_row(con, "meta.feed_state", {
        "source": source, "next_url": next_url, "after_timestamp": after_timestamp, "after_id": after_id,
        "updated_at": datetime.now(UTC), "load_id": load_id,
    })


def _insert_row(con: duckdb.DuckDBPyConnection, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    con.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
