"""The requests each protocol's reader makes, walked without a warehouse (the fetch half of a harvest).

Each walker asks for the same URLs, in the same order, as the reader in ``ingest/feeds/`` will during
the load, decoding only what it needs to find the next request (page envelopes, ``next`` links, index
entries). A walker stops where the reader would stop (a FeedError the reader does not catch); the
reader then meets the same error when it replays the staged responses.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from ingest.feeds.area_centroids import centroid_path
from ingest.feeds.area_profiles import AREA_FILES
from ingest.feeds.service_directories import _needs_detail, _version_name, api_version
from ingest.feeds.surveys import fetch_index
from ingest.feeds.volunteering import check_next_origin
from ingest.http_client import FeedError
from ingest.paging import iter_pages
from ingest.sources import Source
from ingest.staged_fetch import RecordingClient

log = logging.getLogger(__name__)


def _area_bundle(client: RecordingClient, source: Source, hint: dict[str, Any] | None) -> None:
    centroids = centroid_path(source)  # the ONS centroid file, when declared: the reader asks for it first
    if centroids is not None:
        client.get(centroids)
    for spec in AREA_FILES:
        client.get(f"{source.path.rstrip('/')}/{spec.path}")


def _single(client: RecordingClient, source: Source, hint: dict[str, Any] | None) -> None:
    client.get(source.path)


def _directory(client: RecordingClient, source: Source, hint: dict[str, Any] | None) -> None:
    declared = api_version(client, source)  # type: ignore[arg-type]
    for page in iter_pages(client, source.path, per_page=source.page_size or 200,  # type: ignore[arg-type]
                           max_pages=source.max_pages):
        version = _version_name(declared, page.envelope)
        for record in page.records:
            if version == "v3" and isinstance(record, dict) and _needs_detail(record) and record.get("id"):
                with contextlib.suppress(FeedError):  # the reader counts it failed and keeps the list record
                    client.get_json(f"{source.path.rstrip('/')}/{record['id']}")


def _volunteers(client: RecordingClient, source: Source, hint: dict[str, Any] | None) -> None:
    for _ in iter_pages(client, source.path, per_page=source.page_size or 500,  # type: ignore[arg-type]
                        max_pages=source.max_pages):
        pass


def _surveys(client: RecordingClient, source: Source, hint: dict[str, Any] | None) -> None:
    entries, _ = fetch_index(client, source.path)  # type: ignore[arg-type]
    for entry in entries:
        if str(entry["survey_id"]) in set(source.retired):
            continue
        try:  # each survey loads (or fails) on its own; a failed questionnaire means no responses request
            client.get_json(entry["questionnaire"])
            client.get(entry["responses"])
        except FeedError:
            continue


def rpde_first_url(source: Source) -> str:
    """The feed's first page, as harvest_vacancies asks for it without a stored position."""
    return source.path if not source.page_size or "?" in source.path else f"{source.path}?limit={source.page_size}"


def _vacancies(client: RecordingClient, source: Source, hint: dict[str, Any] | None) -> None:
    """From the cursor hint (the last committed high-water mark) to the feed's end; then, when resuming, the
    first page, which the reader reads at the end to detect a restarted feed."""
    url = (hint or {}).get("next_url") or rpde_first_url(source)
    for _ in range(source.max_pages):
        client.chain.append(client.url_for(url))
        doc, payload = client.get_json(url)
        items = doc.get("items") if isinstance(doc, dict) else None
        next_url = doc.get("next") if isinstance(doc, dict) else None
        if not isinstance(items, list) or not isinstance(next_url, str):
            return
        check_next_origin(client, source, next_url, payload.url)  # type: ignore[arg-type]
        if client.url_for(next_url) == client.url_for(url):
            break  # the end of the feed (or a page loop, which the reader refuses)
        url = next_url
    if hint:  # last, as the reader asks for it (after the final page), so requests keep the reader's order
        with contextlib.suppress(FeedError):
            client.get_json(rpde_first_url(source))


WALKERS: dict[str, Callable[[RecordingClient, Source, dict[str, Any] | None], None]] = {
    "ons_area_bundle": _area_bundle,
    "area_boundaries": _single,
    "hsds_services": _directory,
    "rpde_vacancies": _vacancies,
    "paged_volunteers": _volunteers,
    "vds_activities": _single,
    "survey_index": _surveys,
}


def walk(client: RecordingClient, source: Source, hint: dict[str, Any] | None) -> str | None:
    """Record every response the source's reader needs; returns why the walk stopped early (or None)."""
    walker = WALKERS.get(source.protocol)
    if walker is None:
        raise ValueError(f"no fetch walk for protocol {source.protocol!r}")
    try:
        walker(client, source, hint)
    except FeedError as exc:  # the reader will meet the same error when it replays these responses
        log.warning("[%s] fetch stopped: %s", source.id, exc)
        return str(exc)
    return None
