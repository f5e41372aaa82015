"""Parse at fetch time the sources whose reader needs no warehouse, so their load only writes.

The readers of service directories (HSDS), the ONS area bundle and Volunteering Data Standard snapshots
never touch the warehouse. The fetch (outside the one writer slot) runs them on the responses it has just
recorded and keeps the result, the :class:`~ingest.landing.Landing`, in the staged fetch's ``parsed/``
folder before the staged fetch is renamed complete. Tables are Arrow IPC streams, quarantined records
JSON lines, and ``landing.json`` (written last) holds the counts, notes and each payload's metadata with
the response file that holds its body.

The load (inside the slot) reads it back, stamps it with its own load id and writes it. It parses the
responses itself, as before, when there is no staged parse, when the source's definition or the staged
manifest has changed since, or when the parsed files cannot be read; the ledger notes say which. Every
response body is checked against the manifest either way, so a damaged fetch is refused as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.http_client import Payload
from ingest.landing import PROVENANCE_COLUMNS, Landing, LoadContext, QuarantineRecord, RawTable
from ingest.sources import Source
from ingest.staged_fetch import ReplayClient, StagedFetch, verified_body
from warehouse.gc_pause import paused_gc

log = logging.getLogger(__name__)

PROTOCOLS = frozenset({"hsds_services", "ons_area_bundle", "vds_activities"})  # readers with no `con`
FOLDER = "parsed"
DESCRIPTOR = "landing.json"
FORMAT = 1
# one parse at a time per process: the prefetch's threads would otherwise hold several sources' rows at
# once (and the collector's pause is process-wide, so only one thread may own it)
_ONE_AT_A_TIME = threading.Lock()


class NotParsed(Exception):
    """The staged fetch has no usable parse; the load parses the responses itself (the reason says why)."""


def source_fingerprint(source: Source) -> str:
    """A digest of everything in the source's definition a reader may use."""
    return hashlib.sha256(json.dumps(asdict(source), sort_keys=True, default=str).encode()).hexdigest()


def _responses_digest(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest.get("responses") or [], sort_keys=True).encode()).hexdigest()


def stage(folder: Path, fetch_id: str, manifest: dict[str, Any], source: Source, context: LoadContext,
          reader: Callable[[ReplayClient, Source, LoadContext], Landing]) -> str | None:
    """Parse the just-recorded responses in ``folder`` (not yet committed) and keep the Landing there.

    Returns None when staged, else why not. A reader error is not the fetch's failure: it is logged and the
    load parses again, so the error becomes the load's failed ledger row exactly as without this step.
    """
    out = folder / FOLDER
    with _ONE_AT_A_TIME:
        started = time.perf_counter()
        try:
            with ReplayClient(StagedFetch(fetch_id, folder, manifest)) as client, paused_gc():
                landing = reader(client, source, context)
            _save(out, landing, manifest, source, time.perf_counter() - started)
        except Exception as exc:  # any failure leaves the parse to the load, which records it
            shutil.rmtree(out, ignore_errors=True)
            reason = f"{type(exc).__name__}: {exc}"
            log.info("[%s] not parsed at fetch time (the load will parse): %s", source.id, reason)
            return reason
    log.info("[%s] parsed at fetch time in %.1f s: %d received, %d loaded, %d quarantined", source.id,
             time.perf_counter() - started, landing.received, landing.loaded, landing.quarantined)
    return None


def _save(out: Path, landing: Landing, manifest: dict[str, Any], source: Source, seconds: float) -> None:
    out.mkdir(mode=0o700)
    body_files = {e["sha256"]: e["file"] for e in manifest["responses"] if "file" in e}
    tables = []
    for i, table in enumerate(landing.tables):
        entry: dict[str, Any] = {"name": table.name, "key": list(table.key) if table.key else None,
                                 "rows": _write_arrow(out / f"{i:03d}.arrows", table.rows)}
        if table.delete_keys is not None:
            entry["delete_keys"] = _write_arrow(out / f"{i:03d}.delete.arrows", table.delete_keys)
        tables.append(entry)
    with (out / "quarantine.jsonl").open("w", encoding="utf-8") as handle:
        for q in landing.quarantine:
            handle.write(json.dumps({"entity": q.entity, "reason": q.reason, "record": q.record,
                                     "record_key": q.record_key, "payload_sha256": q.payload_sha256},
                                    default=str, ensure_ascii=False) + "\n")
    descriptor = {
        "format": FORMAT, "source_fingerprint": source_fingerprint(source),
        "responses_digest": _responses_digest(manifest), "parse_seconds": round(seconds, 3),
        "received": landing.received, "loaded": landing.loaded, "notes": landing.notes,
        "replace_quarantine": landing.replace_quarantine, "physical_records": landing.physical_records,
        "changes": landing.changes, "quarantined": len(landing.quarantine), "tables": tables,
        "payloads": [{"file": body_files[p.sha256], "url": p.url, "status": p.status,
                      "content_type": p.content_type, "fetched_at": p.fetched_at.isoformat(),
                      "sha256": p.sha256, "attempts": p.attempts} for p in landing.payloads],
    }
    (out / DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")


def _write_arrow(path: Path, table: pa.Table) -> str:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return path.name


def _read_arrow(path: Path) -> pa.Table:
    with pa.memory_map(str(path), "r") as source:
        return pa.ipc.open_stream(source).read_all()


def restore(fetched: StagedFetch, source: Source, context: LoadContext) -> Landing:
    """The Landing parsed at fetch time, stamped with this load's ``context``; NotParsed if unusable.

    Every response body is checked against the manifest first (StagedFetchError if one does not match)."""
    bodies = _verified_bodies(fetched)
    out = fetched.folder / FOLDER
    if not (out / DESCRIPTOR).is_file():
        raise NotParsed("no parse staged at fetch time")
    try:
        desc = json.loads((out / DESCRIPTOR).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotParsed(f"the staged parse is unreadable ({exc})") from exc
    if desc.get("format") != FORMAT:
        raise NotParsed(f"the staged parse is of format {desc.get('format')!r}, not {FORMAT}")
    if desc.get("source_fingerprint") != source_fingerprint(source):
        raise NotParsed("the source's definition changed since the fetch")
    if desc.get("responses_digest") != _responses_digest(fetched.manifest):
        raise NotParsed("the staged manifest changed since the parse")
    try:
        tables = [RawTable(t["name"], _stamped(_read_arrow(out / t["rows"]), context), t["key"],
                           _read_arrow(out / t["delete_keys"]) if t.get("delete_keys") else None)
                  for t in desc["tables"]]
        with (out / "quarantine.jsonl").open(encoding="utf-8") as handle:
            quarantine = [QuarantineRecord(**json.loads(line)) for line in handle]
        payloads = [Payload(url=p["url"], status=p["status"], content=bodies[p["file"]],
                            content_type=p["content_type"], fetched_at=datetime.fromisoformat(p["fetched_at"]),
                            sha256=p["sha256"], attempts=p["attempts"]) for p in desc["payloads"]]
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as exc:
        raise NotParsed(f"the staged parse is damaged ({type(exc).__name__}: {exc})") from exc
    if len(quarantine) != desc["quarantined"]:
        raise NotParsed(f"the staged parse is damaged ({len(quarantine)} of {desc['quarantined']} quarantined "
                        "records readable)")
    notes = [*desc["notes"], f"parsed at fetch time ({desc['parse_seconds']:.1f} s, outside the writer slot)"]
    return Landing(context=context, received=desc["received"], loaded=desc["loaded"], tables=tables,
                   quarantine=quarantine, payloads=payloads, notes=notes,
                   replace_quarantine=desc["replace_quarantine"], physical_records=desc["physical_records"],
                   changes=desc["changes"])


def _verified_bodies(fetched: StagedFetch) -> dict[str, bytes]:
    """Every recorded body by file name, each checked against the manifest as the replay client does."""
    return {entry["file"]: verified_body(fetched, entry) for entry in fetched.manifest["responses"]
            if "file" in entry}


def _stamped(table: pa.Table, context: LoadContext) -> pa.Table:
    """Replace the fetch's load id and source in the provenance columns with this load's."""
    if tuple(table.column_names[:2]) != PROVENANCE_COLUMNS[:2]:
        return table
    n = table.num_rows
    for i, value in enumerate((context.load_id, context.source)):
        if pa.types.is_dictionary(table.column(i).type):
            column: pa.Array = pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), n),
                                                              pa.array([value], pa.string()))
        else:
            column = pa.array([value] * n, table.column(i).type)
        table = table.set_column(i, PROVENANCE_COLUMNS[i], column)
    return table
