"""Harvest one registered source into the private warehouse (what each ingestion DAG task calls)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import duckdb

from ingest.csv_text import SchemaDriftError
from ingest.feeds.area_profiles import read_area_bundle
from ingest.feeds.service_directories import read_directory
from ingest.feeds.surveys import MissingDependencyError, SurveyReader, fetch_index, postcode_lookup
from ingest.feeds.volunteering import harvest_vacancies, interrupted_context, read_volunteers
from ingest.http_client import FeedClient, FeedError
from ingest.landing import Landing, LoadContext, archive_payloads, ensure_meta, record_failure, write_landing
from ingest.pseudonymise import Pseudonymiser, load_key
from ingest.sources import Source, load_sources
from warehouse.duck import first_row, write_connection
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

SURVEY_TABLES = ("survey_questionnaires", "survey_questions", "survey_options", "survey_respondents",
                 "survey_answers")
FAILURES = (FeedError, SchemaDriftError, MissingDependencyError, ValueError, KeyError, TypeError)


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
    """Fetch, validate, pseudonymise and land one source; returns brief ledger rows (for XCom)."""
    settings = settings or get_settings()
    source = get_source(source_id, settings)
    run_key = run_key or new_run_key()
    client = FeedClient(source=source.id, base_url=base_url, connect_timeout=source.connect_timeout,
                        read_timeout=source.read_timeout, max_bytes=source.max_bytes)
    results: list[dict[str, Any]] = []
    failures: list[str] = []

    def context(sub: str | None = None) -> LoadContext:
        name = f"{source.id}/{sub}" if sub else source.id
        return LoadContext(source=name, family=source.family, load_id=f"{name}@{run_key}", run_id=run_id)

    def land(con: duckdb.DuckDBPyConnection, landing: Landing) -> None:
        guard_shrink(con, landing, source.max_shrink, client.url_for(source.path))
        paths = archive_payloads(landing, settings.landing_dir) if source.archive_payloads else None
        results.append(_brief(write_landing(con, landing, archived_paths=paths)))

    def fail(con: duckdb.DuckDBPyConnection, ctx: LoadContext, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        log.error("[%s] load failed: %s", ctx.source, message)
        record_failure(con, ctx, message)
        failures.append(f"{ctx.source}: {message}")
        results.append({"source": ctx.source, "load_id": ctx.load_id, "status": "failed", "error": message})

    with client, write_connection(settings.warehouse_path) as con:
        ensure_meta(con)
        ctx = context()
        try:
            if source.protocol == "ons_area_bundle":
                land(con, read_area_bundle(client, source, ctx))
            elif source.protocol == "hsds_services":
                land(con, read_directory(client, source, ctx, per_page=source.page_size or 200))
            elif source.protocol == "rpde_vacancies":
                try:
                    results.append(_brief(harvest_vacancies(client, source, ctx, con)))
                except FAILURES as exc:  # pages committed before the failure keep their ledger row
                    fail(con, interrupted_context(con, ctx, f"{type(exc).__name__}: {exc}"), exc)
            elif source.protocol == "paged_volunteers":
                pseudo = Pseudonymiser(load_key())
                land(con, read_volunteers(client, source, ctx, pseudo, lambda pcs: postcode_lookup(con, pcs),
                                          per_page=source.page_size or 500))
            elif source.protocol == "survey_index":
                _harvest_surveys(client, source, con, context, land, fail)
            else:  # the registry validates protocols, so this is a programming error
                raise ValueError(f"no reader for protocol {source.protocol!r}")
        except FAILURES as exc:
            fail(con, ctx, exc)
    if failures:
        raise HarvestError("; ".join(failures))
    return results


def guard_shrink(con: duckdb.DuckDBPyConnection, landing: Landing, max_shrink: float, url: str) -> None:
    """Refuse a snapshot in which any raw table lost more than ``max_shrink`` of its rows since the last
    good load of the same source (an empty or cut-down feed is far likelier a fault than real)."""
    if max_shrink >= 1.0:
        return
    row = first_row(con, """SELECT table_rows FROM meta.load_ledger WHERE source = ? AND status = 'loaded'
                            ORDER BY finished_at DESC LIMIT 1""", [landing.context.source])
    previous = json.loads(row[0]) if row and row[0] else {}
    for table in landing.tables:
        before, now = int(previous.get(table.name) or 0), table.rows.num_rows
        if before and now < before * (1 - max_shrink):
            raise FeedError(landing.context.source, url,
                            f"raw.{table.name} shrank from {before} to {now} rows (more than {max_shrink:.0%}; "
                            f"{landing.quarantined} record(s) failed validation); refusing to replace the "
                            "previous data — raise max_shrink in config/sources.yml if this is real")


def _harvest_surveys(client: FeedClient, source: Source, con: duckdb.DuckDBPyConnection, context: Any,
                     land: Any, fail: Any) -> None:
    """Each survey in the index is its own partition; surveys dropped from the index are retired."""
    entries = fetch_index(client, source.path)
    reader = SurveyReader(client, Pseudonymiser(load_key()), con)
    current: list[str] = []
    for entry in entries:
        ctx = context(str(entry["survey_id"]))
        current.append(ctx.source)
        try:
            land(con, reader.read(entry, ctx))
        except FAILURES as exc:
            fail(con, ctx, exc)
    retire_partitions(con, SURVEY_TABLES, prefix=f"{source.id}/", keep=current)


def retire_partitions(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], *, prefix: str,
                      keep: list[str]) -> None:
    """Drop partitions of sub-sources no longer published (e.g. a survey removed from the index)."""
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall()}
    for table in tables:
        if table in existing:
            con.execute(
                f"DELETE FROM raw.{table} WHERE starts_with(_source, ?) AND NOT list_contains(?, _source)",
                [prefix, keep],
            )
