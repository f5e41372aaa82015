"""The deduplicated service map as Open Referral / HSDS JSON and as GeoJSON, for partners' own tools.

``service_map.hsds.json`` is one page of the current HSDS 3 / ORUK 3 envelope (docs/feeds.md §3): one
service per ``service_group_id`` (a service delivered at several venues is one service with several
``service_at_locations``), each service-at-location id being the canonical_service_id, the category
from the partnership's canonical taxonomy, and the source listings under ``x_common_ground``. A
directory that reads partner feeds can load it back as-is.

``service_map.geojson`` is an RFC 7946 FeatureCollection: one Point feature per canonical service at a
location with coordinates (WGS 84, [longitude, latitude]). Inactive, defunct and temporarily closed
services are included; a map filters on the ``is_active`` (``status`` = 'active') property.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)
    return path


def _org_id(name: str | None) -> str | None:
    return "org-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16] if name else None


def hsds_document(services: list[dict[str, Any]], sources: list[dict[str, Any]]) -> dict[str, Any]:
    """The HSDS page for the service map rows (ordered) and their source listings."""
    by_canonical: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for source in sources:
        by_canonical[source["canonical_service_id"]].append({
            "canonical_service_id": source["canonical_service_id"], "directory": source["directory"],
            "service_id": source["service_id"],
            "service_at_location_id": source["service_at_location_id"],
            "match_probability": source["match_probability"]})
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in services:
        groups[row["service_group_id"]].append(row)
    contents = []
    for group_id in sorted(groups):
        # the group's fields come from its most-listed canonical service (then the smallest id)
        members = sorted(groups[group_id], key=lambda r: (-r["source_records"], r["canonical_service_id"]))
        lead = members[0]
        statuses = {r["status"] for r in members}
        service: dict[str, Any] = {
            "id": group_id, "name": lead["service_name"], "description": lead["description"],
            "url": lead["service_url"], "email": lead["email"],
            "status": "active" if "active" in statuses else lead["status"],
            "organization": {"id": _org_id(lead["organisation_name"]), "name": lead["organisation_name"],
                             "website": lead["website"]},
            "phones": [{"number": lead["phone"]}] if lead["phone"] else [],
            "taxonomy_terms": [{"id": f"{VOCABULARY}:{lead['category_code']}", "term": lead["category_label"],
                                "vocabulary": VOCABULARY}] if lead["category_code"] else [],
            "service_at_locations": [],
            "last_modified": _iso(max((r["last_modified"] for r in members if r["last_modified"]), default=None)),
            "x_common_ground": {"canonical_service_ids": [], "sources": []},
        }
        for row in sorted(members, key=lambda r: r["canonical_service_id"]):
            location = {"id": "loc-" + row["canonical_service_id"][3:], "name": row["location_name"],
                        "latitude": row["latitude"], "longitude": row["longitude"], "addresses": []}
            if row["postcode"] or row["address_1"]:
                location["addresses"].append({"address_1": row["address_1"], "city": row["city"],
                                              "postal_code": row["postcode"], "country": "GB"})
            service["service_at_locations"].append({"id": row["canonical_service_id"], "location": location})
            service["x_common_ground"]["canonical_service_ids"].append(row["canonical_service_id"])
            service["x_common_ground"]["sources"] += sorted(
                by_canonical[row["canonical_service_id"]],
                key=lambda s: (s["directory"], s["service_id"] or "", s["service_at_location_id"] or ""))
        contents.append(service)
    return {"total_items": len(contents), "total_pages": 1, "page_number": 1, "size": len(contents),
            "first_page": True, "last_page": True, "empty": not contents, "contents": contents}


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
    return [_write(folder / HSDS_FILE, hsds_document(_rows(con, SERVICES_SQL), _rows(con, SOURCES_SQL)))]


def export_geojson(con: Any, folder: Path) -> list[Path]:
    if not _has_tables(con, "service_map"):
        return []
    return [_write(folder / GEOJSON_FILE, geojson_document(_rows(con, SERVICES_SQL)))]


EXPORTS = [export_hsds, export_geojson]
