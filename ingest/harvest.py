"""Harvest one registered source into the private warehouse (what each ingestion DAG task calls)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ingest import parse_ahead
from ingest import staged_fetch as staged
from ingest.feeds.area_profiles import read_area_bundle
from ingest.feeds.boundaries import lookup_codes, read_boundaries
from ingest.feeds.service_directories import read_directory
from ingest.feeds.surveys import SurveyReader, fetch_index, postcode_lookup
from ingest.feeds.volunteering import harvest_vacancies, interrupted_context, read_volunteers
from ingest.feeds.volunteering_data_standard import read_vds_activities
from ingest.fetch_walk import rpde_first_url, walk
from ingest.file_client import client_for
from ingest.http_client import FeedClient, FeedError
from ingest.landing import (
    Landing,
    LoadContext,
    archive_payloads,
    ensure_meta,
    load_feed_state,
    record_failure,
    safe_folder_name,
    write_landing,
)
from ingest.pseudonymise import Pseudonymiser, load_key
from ingest.sources import Source, load_sources
from warehouse.duck import first_row, write_connection
from warehouse.gc_pause import paused_gc
from warehouse.meta import LedgerRow, record_retirement, spool_failure
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

SURVEY_TABLES = ("survey_questionnaires", "survey_questions", "survey_options", "survey_respondents",
                 "survey_answers")
FAILURES = (Exception,)  # every exception class ends as a `failed` ledger row (FeedError, _csv.Error, RecursionError,
# duckdb.IOException …); only BaseExceptions that stop the process (KeyboardInterrupt, SystemExit) escape
LOCK_WAIT_ENV = "CG_WAREHOUSE_LOCK_WAIT_SECONDS"


class HarvestError(RuntimeError):
    """One or more loads of a source failed; each failure is in meta.load_ledger with its reason."""


def get_source(source_id: str, settings: Settings) -> Source:
    for source in load_sources(settings.sources_file):
        if source.id == source_id:
            return source
    raise KeyError(f"source {source_id!r} is not in {settings.sources_file}")


def new_run_key() -> str:
    return datetime.now(UTC).strftime("adhoc-%Y%m%dT%H%M%S%fZ")


def _brief(ledger: dict[str, Any]) -> dict[str, Any]:
    keys = ("source", "load_id", "status", "received", "loaded", "quarantined", "error")
    changes = ("new", "updated", "deleted", "unseen_deletions")  # incremental (RPDE) loads only
    return {**{k: ledger.get(k) for k in keys}, **{k: ledger[k] for k in changes if k in ledger}}


def harvest_source(source_id: str, *, base_url: str, run_key: str | None = None, run_id: str | None = None,
                   settings: Settings | None = None) -> list[dict[str, Any]]:
    """Fetch, then load one source (both halves in this process); returns brief ledger rows (for XCom)."""
    settings = settings or get_settings()
    run_key = run_key or new_run_key()
    fetch_id = fetch_source(source_id, base_url=base_url, run_key=run_key, run_id=run_id, settings=settings)
    return load_source(source_id, fetch_id, run_key=run_key, run_id=run_id, settings=settings)


def fetch_source(source_id: str, *, base_url: str, run_key: str | None = None, run_id: str | None = None,
                 settings: Settings | None = None, reuse: bool = False) -> str:
    """Download every response the source's reader needs into a staged fetch; returns its fetch id.

    Needs no warehouse connection (it runs outside the ``duckdb_writer`` pool, concurrently with other
    fetches). Feed failures (HTTP errors, cut bodies …) are recorded in the staged fetch and become the
    load's failed ledger row; a fetch that cannot complete at all spools a failed ledger row itself.
    ``reuse``: keep an already complete staged fetch of the same run key (a prefetch) instead of refetching.
    """
    settings = settings or get_settings()
    source = get_source(source_id, settings)
    run_key = run_key or new_run_key()
    fetch_id = f"{safe_folder_name(source.id)}/{safe_folder_name(run_key)}"
    if reuse:
        try:
            staged.open_staged(settings.landing_dir, fetch_id)
            return fetch_id
        except staged.StagedFetchError:
            pass
    hint = None
    if source.protocol == "rpde_vacancies":
        hint = staged.read_cursor_hint(settings.landing_dir, source.id) or _stored_position(settings, source.id)
    started = datetime.now(UTC)
    folder: Path | None = None
    try:
        folder = staged.begin(settings.landing_dir, source.id)
        with client_for(source.id, base_url, connect_timeout=source.connect_timeout,  # file:// → FileClient
                        read_timeout=source.read_timeout, max_bytes=source.max_bytes,
                        deadline_seconds=source.fetch_deadline) as inner:
            recorder = staged.RecordingClient(inner, folder)
            stopped = walk(recorder, source, hint)
        manifest = {
            "source": source.id, "protocol": source.protocol, "base_url": base_url, "run_key": run_key,
            "run_id": run_id, "started_at": started.isoformat(), "cursor": hint, "stopped": stopped,
            "chain": recorder.chain, "requests": len(recorder.responses),
            "bytes": sum(r.get("bytes", 0) for r in recorder.responses),
            "responses": recorder.responses}
        if source.protocol in parse_ahead.PROTOCOLS:  # its reader needs no warehouse: parse here, not in the slot
            ctx = LoadContext(source=source.id, family=source.family, load_id=f"{source.id}@{run_key}",
                              run_id=run_id, started_at=started)
            manifest["parse_ahead"] = parse_ahead.stage(folder, fetch_id, manifest, source, ctx,
                                                        parse_offline) or "staged"
        staged.commit(folder, settings.landing_dir, fetch_id, manifest)
    except BaseException as exc:  # killed by a timeout too: no half fetch stays, and the failure is recorded
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        message = f"fetch failed: {describe_error(exc)}"
        log.error("[%s] %s", source.id, message)
        ctx = LoadContext(source=source.id, family=source.family, load_id=f"{source.id}@{run_key}", run_id=run_id,
                          started_at=started)
        _record_failure_anywhere(None, settings.warehouse_path, ctx, message)
        if isinstance(exc, Exception):
            raise HarvestError(f"{source.id}: {message}") from exc
        raise
    log.info("[%s] fetched %d response(s) into %s%s", source.id, len(recorder.responses), fetch_id,
             f" (stopped early: {stopped})" if stopped else "")
    return fetch_id


def load_source(source_id: str, fetch_id: str, *, run_key: str | None = None, run_id: str | None = None,
                settings: Settings | None = None) -> list[dict[str, Any]]:
    """Validate, pseudonymise and land one source from its staged fetch (holding the one writer slot)."""
    settings = settings or get_settings()
    source = get_source(source_id, settings)
    run_key = run_key or new_run_key()
    results: list[dict[str, Any]] = []
    failures: list[str] = []

    def context(sub: str | None = None) -> LoadContext:
        name = f"{source.id}/{sub}" if sub else source.id
        return LoadContext(source=name, family=source.family, load_id=f"{name}@{run_key}", run_id=run_id)

    def fail(con: duckdb.DuckDBPyConnection | None, ctx: LoadContext, exc: BaseException | str) -> None:
        message = exc if isinstance(exc, str) else describe_error(exc)
        log.error("[%s] load failed: %s", ctx.source, message)
        _record_failure_anywhere(con, settings.warehouse_path, ctx, message)
        failures.append(f"{ctx.source}: {message}")
        results.append({"source": ctx.source, "load_id": ctx.load_id, "status": "failed", "error": message})

    ctx = context()
    try:
        fetched = staged.open_staged(settings.landing_dir, fetch_id)
        if fetched.manifest.get("source") != source.id:
            raise staged.StagedFetchError(f"staged fetch {fetch_id} is of source {fetched.manifest.get('source')!r}")
    except staged.StagedFetchError as exc:
        with _open_warehouse(settings.warehouse_path, lambda e: None) as con:
            fail(con, ctx, exc)
        raise HarvestError("; ".join(failures)) from exc
    with staged.ReplayClient(fetched) as client, \
            _open_warehouse(settings.warehouse_path, lambda exc: fail(None, ctx, exc)) as con:
        if con is None:
            raise HarvestError("; ".join(failures))
        try:
            ensure_meta(con)
            with paused_gc():  # a reader builds and keeps millions of objects (England surveys: 62-65 s → 53 s)
                _read(client, source, con, ctx, context, settings, fetched, results, fail)
        except FAILURES as exc:
            fail(con, ctx, exc)
    if failures:
        raise HarvestError("; ".join(failures))
    staged.discard(settings.landing_dir, fetch_id)  # the bodies may be personal data: gone once landed
    return results


def _read(client: Any, source: Source, con: duckdb.DuckDBPyConnection, ctx: LoadContext, context: Any,
          settings: Settings, fetched: staged.StagedFetch, results: list[dict[str, Any]], fail: Any) -> None:
    """Run the source's reader against the replayed responses and land what it returns."""

    def land(con: duckdb.DuckDBPyConnection, landing: Landing) -> None:
        guard_shrink(con, landing, source.max_shrink, client.url_for(source.path))
        paths = archive_payloads(landing, settings.landing_dir) if source.archive_payloads else None
        results.append(_brief(write_landing(con, landing, archived_paths=paths)))

    if source.protocol in parse_ahead.PROTOCOLS:
        land(con, _parsed_or_parse(client, source, ctx, fetched))
    elif source.protocol == "area_boundaries":
        land(con, read_boundaries(client, source, ctx, lambda: lookup_codes(con)))
    elif source.protocol == "rpde_vacancies":
        _load_vacancies(client, source, con, ctx, settings, fetched, results, fail)
    elif source.protocol == "paged_volunteers":
        pseudo = Pseudonymiser(load_key())
        land(con, read_volunteers(client, source, ctx, pseudo, lambda pcs: postcode_lookup(con, pcs),
                                  per_page=source.page_size or 500))
    elif source.protocol == "survey_index":
        _harvest_surveys(client, source, con, context, land, fail, results)
    else:  # the registry validates protocols, so this is a programming error
        raise ValueError(f"no reader for protocol {source.protocol!r}")


def parse_offline(client: Any, source: Source, ctx: LoadContext) -> Landing:
    """Run the reader of a source that needs no warehouse connection (``parse_ahead.PROTOCOLS``)."""
    if source.protocol == "ons_area_bundle":
        return read_area_bundle(client, source, ctx)
    if source.protocol == "hsds_services":
        return read_directory(client, source, ctx, per_page=source.page_size or 200)
    if source.protocol == "vds_activities":  # Volunteering Data Standard snapshot
        return read_vds_activities(client, source, ctx)
    raise ValueError(f"protocol {source.protocol!r} needs the warehouse to parse")


def _parsed_or_parse(client: Any, source: Source, ctx: LoadContext, fetched: staged.StagedFetch) -> Landing:
    """The Landing the fetch parsed, or (saying why in the ledger notes) the responses parsed here."""
    try:
        return parse_ahead.restore(fetched, source, ctx)
    except parse_ahead.NotParsed as exc:
        log.info("[%s] parsing in the load: %s", source.id, exc)
        landing = parse_offline(client, source, ctx)
        landing.notes.append(f"parsed in the load: {exc}")
        return landing


def _stored_position(settings: Settings, source_id: str) -> dict[str, Any] | None:
    """No cursor hint (a restored or copied warehouse): read the stored RPDE position, read-only and best
    effort — if the warehouse is busy the fetch starts at the feed's beginning and the load sorts it out."""
    from warehouse.duck import read_connection, table_exists

    if not settings.warehouse_path.exists():
        return None
    try:
        with read_connection(settings.warehouse_path) as con:
            if not table_exists(con, "meta", "feed_state"):
                return None
            row = first_row(con, "SELECT next_url, after_timestamp, after_id FROM meta.feed_state WHERE source = ?",
                            [source_id])
    except duckdb.Error as exc:
        log.info("[%s] stored position not readable (%s): fetching from the feed's start", source_id, exc)
        return None
    if row is None or not isinstance(row[0], str):
        return None
    return {"next_url": row[0], "after_timestamp": row[1], "after_id": row[2]}


def rpde_replay_start(con: duckdb.DuckDBPyConnection, source: Source, replay: staged.ReplayClient,
                      fetched: staged.StagedFetch) -> tuple[bool, str | None, str]:
    """Can the staged fetch serve this RPDE load? (replayable, start URL override, reason).

    The warehouse's ``meta.feed_state`` is the truth. If the staged fetch holds the stored position, the
    load replays from there. If it started earlier (a stale or missing cursor hint), it replays from its
    own start and the overlap is quarantined as already applied. If it started after the stored
    position (the state was reset, or a restored warehouse), it cannot: the load fetches inline.
    """
    state = load_feed_state(con, source.id) or {}
    chain = fetched.chain
    db_url = replay.url_for(state.get("next_url") or rpde_first_url(source))
    if db_url in chain:
        return True, None, (f"the staged fetch holds the warehouse's high-water mark (page {chain.index(db_url) + 1} "
                            f"of {len(chain)})")
    db_mark = (state["after_timestamp"], state.get("after_id") or "") if state.get("after_timestamp") is not None \
        else None
    cursor = fetched.manifest.get("cursor")
    hint_mark = (cursor["after_timestamp"], cursor.get("after_id") or "") \
        if cursor and cursor.get("after_timestamp") is not None else None
    start = chain[0] if chain else None
    if start and (hint_mark is None or (db_mark is not None and hint_mark <= db_mark)):
        return True, start, (f"the staged fetch starts at {hint_mark or 'the feed start'}, before the warehouse's "
                             f"mark {db_mark}: the overlap is replayed (quarantined as already applied)")
    return False, None, (f"the staged fetch starts at {hint_mark} but the warehouse's mark is {db_mark} "
                         "(state reset or restored): fetching inline from the warehouse's mark")


def _load_vacancies(client: staged.ReplayClient, source: Source, con: duckdb.DuckDBPyConnection, ctx: LoadContext,
                    settings: Settings, fetched: staged.StagedFetch, results: list[dict[str, Any]],
                    fail: Any) -> None:
    replayable, start_url, reason = rpde_replay_start(con, source, client, fetched)
    log.info("[%s] %s", source.id, reason)
    try:
        if replayable:
            results.append(_brief(harvest_vacancies(client, source, ctx, con, start_url=start_url)))
        else:
            log.warning("[%s] %s", source.id, reason)
            with client_for(source.id, fetched.manifest["base_url"], connect_timeout=source.connect_timeout,
                            read_timeout=source.read_timeout, max_bytes=source.max_bytes,
                            deadline_seconds=source.fetch_deadline) as live:
                results.append(_brief(harvest_vacancies(live, source, ctx, con)))
    except FAILURES as exc:  # pages committed before the failure keep their ledger row
        fail(con, interrupted_context(con, ctx, f"{type(exc).__name__}: {exc}"), exc)
    finally:  # the next fetch starts where this load left the warehouse
        staged.write_cursor_hint(settings.landing_dir, source.id, load_feed_state(con, source.id), ctx.load_id)


def guard_shrink(con: duckdb.DuckDBPyConnection, landing: Landing, max_shrink: float, url: str) -> None:
    """Refuse a snapshot in which any raw table lost more than ``max_shrink`` of its rows since the last
    good load of the same source (an empty or cut-down feed is far likelier a fault than real)."""
    if max_shrink >= 1.0:
        return
    row = first_row(con, """SELECT table_rows FROM meta.load_ledger WHERE source = ? AND status = 'loaded'
                            ORDER BY seq DESC NULLS LAST, finished_at DESC LIMIT 1""", [landing.context.source])
    previous = json.loads(row[0]) if row and row[0] else {}
    for table in landing.tables:
        before, now = int(previous.get(table.name) or 0), table.rows.num_rows
        if before and now < before * (1 - max_shrink):
            raise FeedError(landing.context.source, url,
                            f"raw.{table.name} shrank from {before} to {now} rows (more than {max_shrink:.0%}; "
                            f"{landing.quarantined} record(s) failed validation); refusing to replace the "
                            "previous data — raise max_shrink in config/sources.yml if this is real")


def describe_error(exc: BaseException) -> str:
    """``Class: message`` (plus notes, e.g. a failed rollback), bounded in length."""
    text = f"{type(exc).__name__}: {exc}"
    notes = getattr(exc, "__notes__", None)
    if notes:
        text += " " + " ".join(notes)
    return text if len(text) <= 1000 else text[:999] + "…"


def _record_failure_anywhere(con: duckdb.DuckDBPyConnection | None, warehouse: Path, ctx: LoadContext,
                             message: str) -> None:
    """A failed ledger row in the warehouse if it can be written, else in the failure spool beside it."""
    if con is not None:
        try:
            record_failure(con, ctx, message)
            return
        except Exception as exc:  # the connection itself is broken (disk full, invalidated database)
            message = f"{message} (ledger write failed: {describe_error(exc)})"
    row = LedgerRow(load_id=ctx.load_id, source=ctx.source, family=ctx.family, run_id=ctx.run_id, status="failed",
                    started_at=ctx.started_at, finished_at=datetime.now(UTC), loaded=0, quarantined=0, error=message)
    try:
        spool_failure(warehouse, row)
    except OSError as exc:
        log.error("[%s] could not record the failure anywhere (%s): %s", ctx.source, exc, message)


@contextmanager
def _open_warehouse(path: Path, on_error: Any) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The write connection, waiting a bounded time for another writer's lock; None (failure recorded) if not."""
    deadline = time.monotonic() + float(os.environ.get(LOCK_WAIT_ENV, "60"))
    while True:
        try:
            manager = write_connection(path)
            con = manager.__enter__()
            break
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower() and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            on_error(exc)
            yield None
            return
        except OSError as exc:
            on_error(exc)
            yield None
            return
    try:
        yield con
    finally:
        manager.__exit__(None, None, None)


def _harvest_surveys(client: FeedClient, source: Source, con: duckdb.DuckDBPyConnection, context: Any,
                     land: Any, fail: Any, results: list[dict[str, Any]]) -> None:
    """Each survey in the index is its own partition, loaded (or failed) on its own.

    Retirement policy: a survey's data is removed only when ``config/sources.yml`` lists it under the
    source's ``retired`` (an explicit, logged decision: a ``retired`` ledger row and a meta.retirements
    row). A survey that was loaded before but is missing from this index response keeps its data and
    gets a ``failed`` ledger row saying so — one index response never retires anything.
    """
    entries, problems = fetch_index(client, source.path)
    reader = SurveyReader(client, Pseudonymiser(load_key()), con, source.accept_relabelled)
    retired = set(source.retired)
    current: set[str] = set()
    for label, problem in problems:
        fail(con, context(f"invalid-entry-{safe_folder_name(label)}"), problem)
    for entry in entries:
        survey_id = str(entry["survey_id"])
        if survey_id in retired:
            log.warning("[%s] survey %s is in the index but retired in the registry: not loaded", source.id, survey_id)
            continue
        ctx = context(survey_id)
        current.add(ctx.source)
        try:
            land(con, reader.read(entry, ctx))
        except FAILURES as exc:
            fail(con, ctx, exc)
    known = {r[0] for r in con.execute(
        "SELECT DISTINCT source FROM meta.load_ledger WHERE starts_with(source, ?) AND status = 'loaded'",
        [f"{source.id}/"]).fetchall()}
    gone = {r[0] for r in con.execute(
        "SELECT source FROM (SELECT source, status, row_number() OVER (PARTITION BY source ORDER BY seq DESC NULLS "
        "LAST) AS n FROM meta.load_ledger WHERE starts_with(source, ?)) WHERE n = 1 AND status = 'retired'",
        [f"{source.id}/"]).fetchall()}
    for name in sorted(known - current - gone):
        survey_id = name.removeprefix(f"{source.id}/")
        ctx = context(survey_id)
        if survey_id in retired:
            removed = retire_partitions(con, SURVEY_TABLES, name)
            record_retirement(con, name, f"retired in the registry ({source.id}.retired)", removed, ctx.load_id)
            ensure_meta(con)
            from warehouse.meta import insert_ledger

            insert_ledger(con, LedgerRow(load_id=ctx.load_id, source=name, family=source.family, status="retired",
                                         run_id=ctx.run_id, started_at=ctx.started_at, finished_at=datetime.now(UTC),
                                         received=0, loaded=0, quarantined=0, table_rows=json.dumps(removed),
                                         notes="retired by an explicit registry decision; rows removed"))
            results.append({"source": name, "load_id": ctx.load_id, "status": "retired", "received": 0,
                            "loaded": 0, "quarantined": 0, "error": None})
            log.warning("[%s] retired survey %s: removed %s", source.id, survey_id, removed)
        else:
            fail(con, ctx, f"AbsentFromIndex: survey {survey_id} was loaded before but is missing from this "
                           "index response; its previous data is kept (to retire it, list it under "
                           f"'retired' of source {source.id} in config/sources.yml)")


def retire_partitions(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], source: str) -> dict[str, int]:
    """Drop one retired sub-source's partition from each table; returns rows removed per table."""
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall()}
    removed: dict[str, int] = {}
    for table in tables:
        if table in existing:
            row = first_row(con, f"SELECT count(*) FROM raw.{table} WHERE _source = ?", [source])
            con.execute(f"DELETE FROM raw.{table} WHERE _source = ?", [source])
            removed[table] = int(row[0]) if row else 0
    return removed
