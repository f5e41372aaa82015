"""Walk an Open Referral-style paged API to its last page, whichever envelope version it speaks.

Current (HSDS/ORUK 3): ``total_items, total_pages, page_number, size, first_page, last_page, empty,
contents[]``. Older (ORUK 1): ``totalElements, totalPages, number, size, first, last, content[]``.
A hard page limit and repeated-page checks stop feeds whose pages loop or never end: a page whose body
repeats an earlier page's, or whose envelope reports another page number than the one asked for, is a
page loop. (A page that repeats the previous page's *records* under its own number is not: its records
are quarantined as exact duplicates by the reader.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ingest.http_client import FeedClient, FeedError, Payload


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    payload: Payload
    number: int
    total_pages: int
    total_items: int | None
    is_last: bool
    envelope: str


def parse_envelope(doc: Any) -> tuple[list[dict[str, Any]], int, int | None, bool | None, str]:
    """Return (records, total_pages, total_items, last_page flag, envelope name)."""
    records, pages, items, last, name, _ = parse_envelope_numbered(doc)
    return records, pages, items, last, name


def parse_envelope_numbered(doc: Any) -> tuple[list[dict[str, Any]], int, int | None, bool | None, str, int | None]:
    """As :func:`parse_envelope`, plus the page number the envelope reports (None if absent)."""
    if not isinstance(doc, dict):
        raise ValueError("page is not a JSON object")
    if "contents" in doc:
        records, pages, items, last, name = (doc["contents"], doc.get("total_pages"), doc.get("total_items"),
                                             doc.get("last_page"), "v3")
        number = doc.get("page_number")
    elif "content" in doc:
        records, pages, items, last, name = (doc["content"], doc.get("totalPages"), doc.get("totalElements"),
                                             doc.get("last"), "v1")
        number = doc.get("number")
    else:
        raise ValueError(f"unknown page envelope with keys {sorted(doc)[:8]}")
    if not isinstance(records, list) or not isinstance(pages, int):
        raise ValueError("page envelope lacks a record list or a page count")
    return (records, pages, items if isinstance(items, int) else None, last, name,
            number if isinstance(number, int) and not isinstance(number, bool) else None)


def _first_flag(doc: Any) -> bool | None:
    flag = doc.get("first_page", doc.get("first")) if isinstance(doc, dict) else None
    return flag if isinstance(flag, bool) else None


def iter_pages(client: FeedClient, path: str, *, per_page: int, max_pages: int) -> Iterator[Page]:
    """Yield every page from the first to the last; fail clearly on loops, runaways and bad envelopes.

    Pages are asked for from ``page=1``. ORUK 1 APIs differ in numbering: some report the first page
    as ``number: 0`` (the envelope's numbers then run one behind the asked-for ones, and that offset is
    held for every later page); some number the ``page`` parameter itself from 0 (page 1 comes back
    with ``first: false``, so page 0 is asked for and the walk starts there). Any other mismatch between
    the asked-for and reported number is a page loop.
    """
    seen_bodies: dict[str, int] = {}
    number, start, offset = 1, 1, None
    while True:
        if number - start + 1 > max_pages:
            raise FeedError(client.source, client.url_for(path),
                            f"feed did not end within the limit of {max_pages} pages")
        doc, payload = client.get_json(path, params={"page": number, "per_page": per_page})
        try:
            records, total_pages, total_items, last_flag, envelope, reported = parse_envelope_numbered(doc)
        except (KeyError, ValueError) as exc:
            raise FeedError(client.source, payload.url, f"page {number}: {exc}") from exc
        if offset is None:  # the first response decides the feed's numbering
            if number == 1 and _first_flag(doc) is False and reported in (1, None):
                number = start = 0  # the page parameter counts from 0: page 1 was the second page
                continue
            offset = (reported - number) if reported is not None and reported in (number - 1, number) else 0
        if records and payload.sha256 in seen_bodies:
            raise FeedError(client.source, payload.url,
                            f"page {number} repeats page {seen_bodies[payload.sha256]} (page loop)")
        if records and reported is not None and reported != number + offset:
            numbering = f" — in the feed's numbering from 0, {number + offset}" if offset else ""
            raise FeedError(client.source, payload.url,
                            f"asked for page {number}{numbering}, the feed served page {reported} (page loop)")
        seen_bodies[payload.sha256] = number
        is_last = bool(last_flag) or number - start + 1 >= total_pages or not records
        yield Page(records, payload, number, total_pages, total_items, is_last, envelope)
        if is_last:
            return
        number += 1
