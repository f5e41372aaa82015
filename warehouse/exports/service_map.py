"""The deduplicated service map as Open Referral / HSDS JSON and as GeoJSON, for partners' own tools.

``service_map.hsds.json`` is one page of the HSDS 3.0 / ORUK 3 envelope (docs/feeds.md §3), valid against
the official HSDS 3.0 schema kept in ``hsds_schema/``: one service per ``service_group_id`` (a service
delivered at several venues is one service with several ``service_at_locations``), every id a stable
uuid5 of the canonical id (``stable_id``), the category from the partnership's canonical taxonomy as an
``attributes[].taxonomy_term``, null fields left out. A directory that reads partner feeds can load it
back as-is.

``service_map.geojson`` is an RFC 7946 FeatureCollection: one Point feature per canonical service at a
location with coordinates (WGS 84, [longitude, latitude]). Inactive, defunct and temporarily closed
services are included; a map filters on the ``is_active`` (``status`` = 'active') property.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from warehouse.gc_pause import paused_gc

HSDS_FILE = "service_map.hsds.json"
GEOJSON_FILE = "service_map.geojson"
VOCABULARY = "common-ground-service-taxonomy"


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _has_tables(con: Any, *tables: str) -> bool:
    found = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    return set(tables) <= found


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):  # TIMESTAMPTZ arrives in the session's zone; naive values are UTC
        return (value.astimezone(UTC) if value.tzinfo else value).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _write(path: Path, doc: Any) -> Path:
    """Compact UTF-8 JSON (msgspec: the England HSDS page in 1 s, against 9 s with the json module)."""
    import msgspec

    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(msgspec.json.encode(doc))
    tmp.replace(path)
    return path


NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:common-ground:service-map")
SCHEMA_FILE = Path(__file__).with_name("hsds_schema") / "service.json"


def stable_id(kind: str, key: str) -> str:
    """The same UUID for the same entity in every build: uuid5 of its canonical key (RFC 4122 §4.3),
    computed straight from SHA-1 — ``uuid.uuid5`` gives the same string, at a third of the speed, and the
    England service map needs 1.5 million of them."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{kind}:{key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAMESPACE_BYTES = NAMESPACE.bytes
_NESTED = (dict, list)


def _pruned(value: Any) -> Any:
    """Leave out null fields (HSDS 3.0 has no nullable fields); scalars are returned without a call each."""
    if type(value) is dict:
        return {k: _pruned(v) if type(v) in _NESTED else v for k, v in value.items() if v is not None}
    if type(value) is list:
        return [_pruned(v) if type(v) in _NESTED else v for v in value]
    return value


def _address(row: dict[str, Any], location_id: str) -> list[dict[str, Any]]:
    """The address, when the schema's required parts are known (``state_province`` = the local authority)."""
    if not (row["address_1"] and row["city"] and row["postcode"]):
        return []
    return [{"id": stable_id("address", row["canonical_service_id"]), "location_id": location_id,
             "address_1": row["address_1"], "city": row["city"], "state_province": row.get("lad_name") or "",
             "postal_code": row["postcode"], "country": "GB", "address_type": "physical"}]


def _attribute(service_id: str, code: str, label: str | None) -> dict[str, Any]:
    term_id = stable_id("taxonomy_term", code)
    return {"id": stable_id("attribute", f"{service_id}:{code}"), "link_id": service_id, "link_type": "category",
            "link_entity": "service", "taxonomy_term_id": term_id, "value": code,
            "taxonomy_term": {"id": term_id, "code": code, "name": label or code, "description": label or code,
                              "taxonomy": VOCABULARY}}


def hsds_document(services: list[dict[str, Any]], sources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One HSDS 3.0 page of the service map (one service per ``service_group_id``), valid against the
    official schema (warehouse/exports/hsds_schema): uuid5 ids on every entity, categories as
    ``attributes[].taxonomy_term``, null fields left out. Source listings are published in
    ``service_map_sources`` (Parquet), keyed by the canonical ids these uuids are derived from."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in services:
        groups[row["service_group_id"]].append(row)
    contents = []
    for group_id in sorted(groups):
        # the group's fields come from its most-listed canonical service (then the smallest id)
        members = sorted(groups[group_id], key=lambda r: (-r["source_records"], r["canonical_service_id"]))
        lead = members[0]
        statuses = {r["status"] for r in members}
        sid = stable_id("service", group_id)
        org_id = stable_id("organization", lead["organisation_name"]) if lead["organisation_name"] else None
        service: dict[str, Any] = {
            "id": sid, "organization_id": org_id, "name": lead["service_name"], "description": lead["description"],
            "url": lead["service_url"], "email": lead["email"],
            "status": "active" if "active" in statuses else lead["status"],
            "last_modified": _iso(max((r["last_modified"] for r in members if r["last_modified"]), default=None)),
            "organization": {"id": org_id, "name": lead["organisation_name"], "description": "",
                             "website": lead["website"]} if org_id else None,
            "phones": [{"id": stable_id("phone", f"{group_id}:{lead['phone']}"), "service_id": sid,
                        "number": lead["phone"]}] if lead["phone"] else [],
            "attributes": [_attribute(sid, lead["category_code"], lead["category_label"])]
            if lead["category_code"] else [],
            "service_at_locations": [],
        }
        for row in sorted(members, key=lambda r: r["canonical_service_id"]):
            cid = row["canonical_service_id"]
            location_id = stable_id("location", cid)
            location = {"id": location_id, "location_type": "physical", "name": row["location_name"],
                        "latitude": row["latitude"], "longitude": row["longitude"],
                        "addresses": _address(row, location_id)}
            service["service_at_locations"].append({"id": stable_id("service_at_location", cid), "service_id": sid,
                                                    "location_id": location_id, "location": location})
        contents.append(_pruned(service))
    return {"total_items": len(contents), "total_pages": 1, "page_number": 1, "size": len(contents),
            "first_page": True, "last_page": True, "empty": not contents, "contents": contents}


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@cache
def _fast_validator() -> Any:
    """The schema compiled in Rust, formats checked: a gate, so only services it rejects pay for the
    pure-Python validator that words the reasons (England: 172,000 services in ~2 s instead of ~105 s)."""
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(_schema(), validate_formats=True)


def _fast_valid(service: Any) -> bool:
    try:
        return bool(_fast_validator().is_valid(service))
    except (ValueError, OverflowError, RecursionError, TypeError):  # not representable in Rust: ask Python
        return False


def hsds_errors(doc: dict[str, Any], limit: int = 50) -> list[str]:
    """Errors of each service in an HSDS page against the official HSDS 3.0 schema (``[]`` = valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema(), format_checker=jsonschema.FormatChecker())
    errors = []
    for service in doc.get("contents") or []:
        if _fast_valid(service):
            continue
        for err in validator.iter_errors(service):
            errors.append(f"{service.get('id')}: {'/'.join(map(str, err.absolute_path)) or 'service'}: {err.message}")
            if len(errors) >= limit:
                return errors
    return errors


def geojson_document(services: list[dict[str, Any]]) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection of the canonical services that have coordinates."""
    features = []
    for row in services:
        if row["latitude"] is None or row["longitude"] is None:
            continue
        features.append({
            "type": "Feature",
            "id": row["canonical_service_id"],
            "geometry": {"type": "Point", "coordinates": [round(row["longitude"], 6), round(row["latitude"], 6)]},
            "properties": {
                "canonical_service_id": row["canonical_service_id"], "service_group_id": row["service_group_id"],
                "name": row["service_name"], "organisation": row["organisation_name"],
                "category_code": row["category_code"], "category": row["category_label"], "status": row["status"],
                # closed services stay on the map for lineage: filter is_active (status = 'active') to show open ones
                "is_active": row["status"] == "active",
                "location_name": row["location_name"], "address_1": row["address_1"], "postcode": row["postcode"],
                "lsoa_code": row["lsoa_code"], "ward_code": row["ward_code"], "ward_name": row["ward_name"],
                "phone": row["phone"], "email": row["email"], "website": row["website"],
                "source_records": row["source_records"],
                "source_directories": (row["source_directories"] or "").split("; ") if row["source_directories"]
                else [],
            },
        })
    return {"type": "FeatureCollection", "features": features}


SERVICES_SQL = "SELECT * FROM main.service_map ORDER BY canonical_service_id"
SOURCES_SQL = ("SELECT canonical_service_id, directory, service_id, service_at_location_id, match_probability "
               "FROM main.service_map_sources WHERE outcome = 'mapped' ORDER BY source_record_key")


def export_hsds(con: Any, folder: Path) -> list[Path]:
    if not _has_tables(con, "service_map", "service_map_sources"):
        return []
    with paused_gc():  # millions of dicts built and kept: see warehouse/gc_pause.py
        doc = hsds_document(_rows(con, SERVICES_SQL))
    errors = hsds_errors(doc)
    if errors:  # never publish a file partners' HSDS tools would reject
        raise ValueError(f"{HSDS_FILE} fails the HSDS 3.0 schema: " + "; ".join(errors[:5]))
    return [_write(folder / HSDS_FILE, doc)]


def export_geojson(con: Any, folder: Path) -> list[Path]:
    if not _has_tables(con, "service_map"):
        return []
    with paused_gc():
        doc = geojson_document(_rows(con, SERVICES_SQL))
    return [_write(folder / GEOJSON_FILE, doc)]


EXPORTS = [export_hsds, export_geojson]
