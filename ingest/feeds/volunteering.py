"""Volunteer bureaus: an RPDE-style incremental vacancy feed and a paged skill bank.

Vacancies are harvested incrementally: the high-water mark (the feed's ``next`` URL plus the last
``modified``/``id``) lives in ``meta.feed_state`` and is saved in the same transaction as each page's
upserts, so a harvest interrupted anywhere (an HTTP failure, or the process killed mid-page) resumes
without skipping or re-applying an item. A page served out of (modified, id) order is applied in feed
order; replays and repeats are quarantined. If a load fails after committing pages, those pages keep
their ledger row and the failure is recorded beside it (``interrupted_context``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

from ingest.checks import parse_timestamp
from ingest.http_client import FeedClient, FeedError
from ingest.landing import (
    Landing,
    LoadContext,
    QuarantineRecord,
    RawTable,
    ensure_meta,
    load_feed_state,
    strings_table,
    with_provenance,
    write_landing,
)
from ingest.paging import iter_pages
from ingest.pseudonymise import Pseudonymiser, normalise_postcode, parse_dob
from ingest.sources import Source
from warehouse.duck import first_row, table_exists

VACANCY_COLUMNS = ["vacancy_id", "state", "kind", "modified", "title", "organisation_id", "organisation_name",
                   "description", "hours_per_week", "postcode", "start_date", "closing_date", "url", "data_json"]
ATTRIBUTE_COLUMNS = ["vacancy_id", "attribute", "value"]
VOLUNTEER_COLUMNS = ["volunteer_id", "first_name_hash", "surname_hash", "email_hash", "dob_hash",
                     "postcode_hash", "postcode_status", "lsoa_code", "age_band_code", "max_travel_km",
                     "registered_at"]
VOLUNTEER_ATTRIBUTE_COLUMNS = ["volunteer_id", "attribute", "value"]
LIST_ATTRIBUTES = {"skills_needed": "skill", "causes": "cause", "availability": "availability"}
VOLUNTEER_LISTS = {"skills": "skill", "interests": "interest", "causes": "cause", "availability": "availability"}


def _date_problem(value: Any, what: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return f"{what} {value!r} is not a date"
    return None


MAX_MODIFIED = 2**63 - 1  # meta.feed_state.after_timestamp is BIGINT


def rpde_modified(value: Any) -> int | None:
    """RPDE 1.0 ``modified``: an integer, or a string of one; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,40}", value.strip()):
        return int(value.strip())
    return None


def rpde_id(value: Any) -> str | None:
    """RPDE 1.0 ``id``: a string or an integer, held as a string; None if missing."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def vacancy_problem(item: dict[str, Any]) -> str | None:
    if rpde_id(item.get("id")) is None:
        return "item has no id" if item.get("id") in (None, "") else f"id {item.get('id')!r} is not a string or integer"
    if item.get("state") not in ("updated", "deleted"):
        return f"state {item.get('state')!r} is not updated/deleted"
    modified = rpde_modified(item.get("modified"))
    if modified is None:
        return f"modified {item.get('modified')!r} is not an integer timestamp"
    if not 0 <= modified <= MAX_MODIFIED:
        return f"modified {modified} is outside the 64-bit range 0..{MAX_MODIFIED} this feed's position is kept in"
    if item["state"] == "deleted":
        return None
    data = item.get("data")
    if not isinstance(data, dict):
        return "updated item has no data"
    if not data.get("title"):
        return "vacancy has no title"
    if data.get("postcode") and normalise_postcode(data["postcode"]) is None:
        return f"postcode {data['postcode']!r} is malformed"
    hours = data.get("time_commitment_hours_per_week")
    if hours is not None and not isinstance(hours, int | float):
        return f"time_commitment_hours_per_week {hours!r} is not a number"
    return _date_problem(data.get("start_date"), "start_date") or _date_problem(data.get("closing_date"),
                                                                               "closing_date")


def _vacancy_rows(item: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = item.get("data") or {}
    org = data.get("organisation") or {}
    row = {
        "vacancy_id": item["id"], "state": item["state"], "kind": item.get("kind"), "modified": item["modified"],
        "title": data.get("title"), "organisation_id": org.get("id"), "organisation_name": org.get("name"),
        "description": data.get("description"), "hours_per_week": data.get("time_commitment_hours_per_week"),
        "postcode": normalise_postcode(data.get("postcode")) or data.get("postcode"),
        "start_date": data.get("start_date"), "closing_date": data.get("closing_date"), "url": data.get("url"),
        "data_json": json.dumps(data, ensure_ascii=False, sort_keys=True) if data else None,
    }
    attributes = [{"vacancy_id": item["id"], "attribute": attr, "value": str(v)}
                  for key, attr in LIST_ATTRIBUTES.items() for v in data.get(key) or [] if str(v).strip()]
    return row, attributes


FeedKey = tuple[int, str]


def _key(item: dict[str, Any]) -> FeedKey:
    return item["modified"], str(item["id"])


def _normalised(item: dict[str, Any]) -> dict[str, Any]:
    """A valid item with its id as a string and ``modified`` as an integer."""
    return {**item, "id": rpde_id(item["id"]), "modified": rpde_modified(item["modified"])}


def check_next_origin(client: FeedClient, source: Source, next_url: str, page_url: str) -> None:
    """Refuse a ``next`` link to another scheme/host/port than the source's own (it would be stored as the
    high-water mark and followed on every later run)."""
    want, got = urlsplit(client.url_for(source.path)), urlsplit(client.url_for(next_url))
    if (got.scheme, got.netloc) != (want.scheme, want.netloc):
        raise FeedError(source.id, page_url, f"RPDE 'next' points at another origin ({got.scheme}://{got.netloc}, "
                                             f"expected {want.scheme}://{want.netloc}); not following or storing it")


def _stored_modified(con: duckdb.DuckDBPyConnection, source: str, ids: list[str]) -> dict[str, int]:
    if not ids or not table_exists(con, "raw", "bureau_vacancies"):
        return {}
    rows = con.execute("SELECT vacancy_id, max(modified) FROM raw.bureau_vacancies WHERE _source = ? "
                       "AND list_contains(?, vacancy_id) GROUP BY 1", [source, ids]).fetchall()
    return {vid: int(m) for vid, m in rows if m is not None and str(m).lstrip("-").isdigit()}


def check_restart(client: FeedClient, source: Source, con: duckdb.DuckDBPyConnection, mark: FeedKey) -> None:
    """Detect a feed restarted with lower ``modified`` values (e.g. a re-platformed bureau): from the stored
    position it then looks empty forever. The feed's first page of a healthy feed only holds items already
    applied at exactly the ``modified`` value stored for them; an item there below the high-water mark that
    was never seen, or was seen with another ``modified``, means the feed was reset."""
    url = source.path if not source.page_size or "?" in source.path else f"{source.path}?limit={source.page_size}"
    doc, payload = client.get_json(url)
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return
    valid = [_normalised(i) for i in items if isinstance(i, dict) and vacancy_problem(i) is None]
    below = [i for i in valid if i["modified"] < mark[0]]
    stored = _stored_modified(con, source.id, [i["id"] for i in below])
    changed = [i for i in below if stored.get(i["id"]) != i["modified"]]
    if changed:
        first = changed[0]
        was = stored.get(first["id"])
        raise FeedError(source.id, payload.url,
                        f"RPDE feed restarted: its first page has {len(changed)} item(s) below the high-water mark "
                        f"{mark[0]}/{mark[1]} that were not applied at that position (e.g. id {first['id']} "
                        f"modified {first['modified']}, " + ("never seen" if was is None else f"stored as {was}")
                        + "); refusing to stay silently stale — delete this source's row in meta.feed_state "
                        "to re-harvest from the start")


def _known_states(con: duckdb.DuckDBPyConnection, source: str, ids: list[str]) -> dict[str, str]:
    """The stored state (updated/deleted) of these vacancy ids, for counting new/changed/deleted."""
    if not ids or not table_exists(con, "raw", "bureau_vacancies"):
        return {}
    con.register("_ids", pa.table({"vacancy_id": pa.array(ids, pa.string())}))
    try:
        rows = con.execute("SELECT v.vacancy_id, v.state FROM raw.bureau_vacancies v JOIN _ids USING (vacancy_id) "
                           "WHERE v._source = ?", [source]).fetchall()
    finally:
        con.unregister("_ids")
    return dict(rows)


def _count_changes(totals: dict[str, int], latest: dict[str, dict[str, Any]], known: dict[str, str]) -> None:
    for vid, item in latest.items():
        before = known.get(vid)
        if item["state"] == "updated":  # new = not live before (never seen, or deleted and now re-listed)
            totals["updated" if before == "updated" else "new"] += 1
        elif before == "updated":
            totals["deleted"] += 1
        else:  # a tombstone for an id never seen (or already deleted): stored, nothing to remove
            totals["unseen_deletions"] += 1


def _notes(totals: dict[str, int]) -> str:
    return " ".join(f"{k}={totals[k]}" for k in ("pages", "new", "updated", "deleted", "unseen_deletions",
                                                  "out_of_order_pages"))


_TOTALS = ("received", "loaded", "quarantined", "new", "updated", "deleted", "unseen_deletions",
           "out_of_order_pages", "pages", "payload_bytes")


def _resumed_totals(con: duckdb.DuckDBPyConnection, context: LoadContext) -> dict[str, int]:
    """Zero — or, when this load id already committed pages (a rerun of an interrupted load under the
    same id), its counts so far, so that its ledger row keeps covering everything it applied."""
    totals = dict.fromkeys(_TOTALS, 0)
    ensure_meta(con)
    row = first_row(con, "SELECT received, loaded, quarantined, payload_bytes, notes FROM meta.load_ledger "
                         "WHERE load_id = ? AND source = ? AND status = 'loaded'", [context.load_id, context.source])
    if row is not None:
        totals.update(received=row[0] or 0, loaded=row[1] or 0, quarantined=row[2] or 0, payload_bytes=row[3] or 0)
        totals.update({k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", (row[4] or "").split(";")[0]) if k in totals})
    return totals


def harvest_vacancies(client: FeedClient, source: Source, context: LoadContext,
                      con: duckdb.DuckDBPyConnection, *,
                      after_page: Callable[[int], None] | None = None,
                      start_url: str | None = None) -> dict[str, Any]:
    """Apply every page after the stored high-water mark; returns the cumulative ledger row.

    Each page is validated, put in (modified, id) order (a page served out of order is applied in feed
    order, not dropped), and items at or before the high-water mark — replays of what was already
    applied, or exact repeats within the page — are quarantined rather than applied twice. The page's
    upserts, tombstones, quarantine, ledger row and new high-water mark commit in one transaction.
    Ledger notes count ``new`` (first seen), ``updated`` (changed), ``deleted`` (live vacancy removed) and
    ``unseen_deletions`` (tombstones for ids never seen, which a new consumer must tolerate).
    ``start_url`` starts the walk at or before the stored position (a staged fetch that began earlier):
    the overlap is quarantined as already applied, never applied twice.
    """
    state = load_feed_state(con, source.id) or {}
    url = start_url or state.get("next_url") or source.path
    if not start_url and not state.get("next_url") and source.page_size and "?" not in url:
        url = f"{url}?limit={source.page_size}"
    last_key: FeedKey | None = ((state["after_timestamp"], state.get("after_id") or "")
                                if state.get("after_timestamp") is not None else None)
    totals = _resumed_totals(con, context)
    start_mark, applied_this_run = last_key, 0
    mark_ids: tuple[int | None, set[str]] = (last_key[0], {last_key[1]}) if last_key else (None, set())
    ledger: dict[str, Any] = {}
    while True:
        if totals["pages"] >= source.max_pages:
            raise FeedError(source.id, client.url_for(url), f"feed did not end within {source.max_pages} pages")
        doc, payload = client.get_json(url)
        items = doc.get("items") if isinstance(doc, dict) else None
        next_url = doc.get("next") if isinstance(doc, dict) else None
        if not isinstance(items, list) or not isinstance(next_url, str):
            raise FeedError(source.id, payload.url, "RPDE page lacks 'items' or 'next'")
        check_next_origin(client, source, next_url, payload.url)
        same_url = client.url_for(next_url) == client.url_for(url)
        if same_url and items:
            raise FeedError(source.id, payload.url, "RPDE page with items points 'next' at itself (page loop)")
        totals["pages"] += 1
        totals["payload_bytes"] += payload.size
        landing = Landing(context=context, received=len(items), loaded=0, replace_quarantine=False,
                          payloads=[payload])

        def reject(item: Any, reason: str, sha: str = payload.sha256, page: Landing = landing) -> None:
            record = item if isinstance(item, dict) else {"value": item}
            page.quarantine.append(QuarantineRecord("vacancy", reason, record,
                                                    str(record.get("id")) if record.get("id") else None, sha))

        valid = []
        for item in items:
            reason = vacancy_problem(item) if isinstance(item, dict) else "item is not a JSON object"
            if reason:
                reject(item, reason)
            else:
                valid.append(_normalised(item))
        # RPDE orders by (modified, id) in the publisher's own id collation: only ``modified`` is compared
        # here; items sharing a ``modified`` value keep the feed's order (never a string sort of ids)
        ordered = sorted(valid, key=lambda i: i["modified"])
        if ordered != valid:
            totals["out_of_order_pages"] += 1
        page_start = last_key
        if page_start is not None and page_start[0] != mark_ids[0]:
            mark_ids = (page_start[0], {page_start[1]})
        page_keys: set[FeedKey] = set()
        latest: dict[str, dict[str, Any]] = {}
        for item in ordered:
            key = _key(item)
            if key in page_keys:
                reject(item, f"modified {key[0]}/{key[1]} repeats an item earlier in the same page")
                continue
            if page_start is not None and (key[0] < page_start[0] or (key[0] == page_start[0]
                                                                      and key[1] in mark_ids[1])):
                reject(item, f"modified {key[0]}/{key[1]} goes backwards: not after the high-water mark "
                             f"{page_start[0]}/{page_start[1]} (already applied)")
                continue
            page_keys.add(key)
            if mark_ids[0] != key[0]:
                mark_ids = (key[0], set())
            mark_ids[1].add(key[1])
            last_key = key
            latest.pop(item["id"], None)  # a later change to the same id supersedes the earlier one
            latest[item["id"]] = item
            landing.loaded += 1
        _count_changes(totals, latest, _known_states(con, context.source, list(latest)))
        rows, attributes = [], []
        for item in latest.values():
            row, attrs = _vacancy_rows(item)
            rows.append(row)
            attributes.extend(attrs)
        ids = pa.table({"vacancy_id": pa.array(list(latest), pa.string())})
        landing.tables = [
            RawTable("bureau_vacancies", with_provenance(strings_table(rows, VACANCY_COLUMNS), context,
                                                         payload.fetched_at, payload.sha256), key=("vacancy_id",)),
            RawTable("bureau_vacancy_attributes",
                     with_provenance(strings_table(attributes, ATTRIBUTE_COLUMNS), context, payload.fetched_at,
                                     payload.sha256), key=("vacancy_id",), delete_keys=ids),
        ]
        for k in ("received", "loaded", "quarantined"):
            totals[k] += getattr(landing, k)
        landing.notes = [_notes(totals)]
        landing.changes = {k: totals[k] for k in ("new", "updated", "deleted", "unseen_deletions", "pages")}
        ledger = write_landing(
            con, landing, cumulative=(totals["received"], totals["loaded"], totals["quarantined"],
                                      totals["pages"], totals["payload_bytes"]),
            state_update={"next_url": next_url, "after_timestamp": last_key[0] if last_key else None,
                          "after_id": last_key[1] if last_key else None},
        )
        applied_this_run += len(items)
        if after_page is not None:
            after_page(totals["pages"])
        if not items and same_url and start_mark is not None and applied_this_run == 0:
            check_restart(client, source, con, start_mark)
        if not items and same_url:
            return {**ledger, **{k: totals[k] for k in ("new", "updated", "deleted", "unseen_deletions", "pages")}}
        url = next_url


def interrupted_context(con: duckdb.DuckDBPyConnection, context: LoadContext, error: str) -> LoadContext:
    """Where to record the failure of an incremental load that had already committed some pages.

    Those pages are in raw (and the high-water mark points after them), so their ledger row must keep
    its counts; the failure is recorded beside it under ``<load_id>#failed`` instead of replacing it.
    """
    ensure_meta(con)
    row = first_row(con, "SELECT notes FROM meta.load_ledger WHERE load_id = ? AND source = ? AND status = 'loaded'",
                    [context.load_id, context.source])
    if row is None:
        return context
    con.execute("UPDATE meta.load_ledger SET notes = ? WHERE load_id = ? AND source = ?",
                [f"{row[0] or ''}; interrupted (resumes from here): {error}"[:2000], context.load_id,
                 context.source])
    return replace(context, load_id=f"{context.load_id}#failed")


def read_volunteers(client: FeedClient, source: Source, context: LoadContext, pseudonymiser: Pseudonymiser,
                    lookup: Callable[[set[str]], dict[str, tuple[str, bool]]], per_page: int = 500) -> Landing:
    """Harvest the whole skill bank (a snapshot) with identifying fields pseudonymised."""
    from ingest.feeds.surveys import age_band

    landing = Landing(context=context, received=0, loaded=0)
    kept: list[tuple[dict[str, Any], int, str | None]] = []  # record, its page, its normalised postcode
    seen: set[str] = set()
    for page in iter_pages(client, source.path, per_page=per_page, max_pages=source.max_pages):
        page_index = len(landing.payloads)
        landing.payloads.append(page.payload)
        for record in page.records:
            landing.received += 1
            vid = str(record.get("id")) if isinstance(record, dict) and record.get("id") else None
            reason, pc = None, None
            if vid is None:
                reason = "volunteer has no id"
            elif vid in seen:
                reason = "duplicate volunteer id"
            elif record.get("postcode") and (pc := normalise_postcode(record["postcode"])) is None:
                reason = f"postcode {record['postcode']!r} is malformed"
            elif record.get("max_travel_km") is not None and not isinstance(record["max_travel_km"], int | float):
                reason = f"max_travel_km {record['max_travel_km']!r} is not a number"
            if reason:
                landing.quarantine.append(QuarantineRecord(
                    "volunteer", reason, _pseudonymised(record, pseudonymiser) if isinstance(record, dict)
                    else {"value": "<not an object>"}, vid, page.payload.sha256))
                continue
            seen.add(vid)
            kept.append((record, page_index, pc))
    found = lookup({pc for _, _, pc in kept if pc})
    volunteers, attributes, pages, attr_pages = [], [], [], []
    for record, page_index, pc in kept:
        lsoa, terminated = found.get(pc, (None, False)) if pc else (None, False)
        registered = parse_timestamp(record.get("registered_at"))
        volunteers.append({
            **_pseudonymised(record, pseudonymiser, pc),
            "postcode_status": "missing" if not pc else ("unknown" if lsoa is None else
                                                         ("terminated" if terminated else "live")),
            "lsoa_code": lsoa,
            "age_band_code": age_band(parse_dob(record.get("date_of_birth")),
                                      registered.date() if registered else date.today()),
            "max_travel_km": record.get("max_travel_km"), "registered_at": record.get("registered_at"),
        })
        pages.append(page_index)
        for key, attr in VOLUNTEER_LISTS.items():
            for value in record.get(key) or []:
                if str(value).strip():
                    attributes.append({"volunteer_id": record["id"], "attribute": attr, "value": str(value)})
                    attr_pages.append(page_index)
    landing.loaded = len(volunteers)
    fetched = landing.payloads[-1].fetched_at if landing.payloads else context.started_at
    page_shas = pa.array([p.sha256 for p in landing.payloads], pa.string())

    def checksums(indices: list[int]) -> pa.Array:  # each row's page checksum, one copy per page
        return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), page_shas)

    landing.tables = [
        RawTable("bureau_volunteers", with_provenance(strings_table(volunteers, VOLUNTEER_COLUMNS), context,
                                                      fetched, checksums(pages))),
        RawTable("bureau_volunteer_attributes", with_provenance(
            strings_table(attributes, VOLUNTEER_ATTRIBUTE_COLUMNS), context, fetched, checksums(attr_pages))),
    ]
    return landing


_NORMALISE = object()


def _pseudonymised(record: dict[str, Any], pseudo: Pseudonymiser, postcode: Any = _NORMALISE) -> dict[str, Any]:
    """The volunteer's identity as keyed hashes only (``postcode``: the record's, normalised already)."""
    if postcode is _NORMALISE:
        postcode = normalise_postcode(record.get("postcode"))
    return {
        "volunteer_id": record.get("id"),
        "first_name_hash": pseudo.name("first_name", record.get("first_name")),
        "surname_hash": pseudo.name("surname", record.get("surname")),
        "email_hash": pseudo.email(record.get("email")),
        "dob_hash": pseudo.dob(parse_dob(record.get("date_of_birth"))),
        "postcode_hash": pseudo.postcode(postcode),
    }
