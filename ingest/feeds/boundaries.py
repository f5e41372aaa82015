"""Area boundaries: an ONS-style GeoJSON FeatureCollection of LSOA polygons (properties LSOA21CD, LSOA21NM).

Every feature is checked — a Polygon or MultiPolygon whose rings are closed, have at least four
positions, lie in England's longitude/latitude range and enclose a non-zero area, with an LSOA code
that is well formed, present in the area bundle's LSOA lookup and not repeated — and lands in
``raw.area_boundaries`` (geometry as compact GeoJSON text); anything else goes to quarantine with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from ingest.checks import LSOA, code_problem
from ingest.http_client import FeedClient
from ingest.landing import Landing, LoadContext, QuarantineRecord, RawTable, strings_table, with_provenance
from ingest.sources import Source

COLUMNS = ("lsoa_code", "lsoa_name", "geometry_type", "geometry", "min_lon", "min_lat", "max_lon", "max_lat")
LON, LAT = (-8.7, 2.0), (49.0, 61.0)


def ring_problem(ring: Any) -> str | None:
    """Why a GeoJSON linear ring is invalid, or None."""
    if not isinstance(ring, list) or len(ring) < 4:
        return "ring has fewer than 4 positions"
    for pos in ring:
        if (not isinstance(pos, list) or len(pos) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos[:2])):
            return f"position {pos!r} is not [longitude, latitude]"
        if not (LON[0] <= pos[0] <= LON[1] and LAT[0] <= pos[1] <= LAT[1]):
            return f"position {pos[:2]!r} is outside England's longitude/latitude range"
    if ring[0][:2] != ring[-1][:2]:
        return "ring is not closed (first position differs from last)"
    area = sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in pairwise(ring))
    if abs(area) < 1e-12:
        return "ring encloses no area"
    return None


def geometry_problem(geometry: Any) -> str | None:
    """Why a feature's geometry is not a valid (Multi)Polygon, or None."""
    if not isinstance(geometry, dict):
        return "feature has no geometry"
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon" and isinstance(coords, list) and coords:
        polygons = coords
    else:
        return f"geometry type {kind!r} is not Polygon or MultiPolygon"
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "polygon has no rings"
        for ring in polygon:
            if problem := ring_problem(ring):
                return problem
    return None


def _bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    xs = [p[0] for poly in polygons for ring in poly for p in ring]
    ys = [p[1] for poly in polygons for ring in poly for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def read_boundaries(client: FeedClient, source: Source, context: LoadContext,
                    known_codes: Callable[[], set[str]]) -> Landing:
    """Fetch and validate the boundary file; ``known_codes`` returns the LSOA codes of the area lookup."""
    payload = client.get(source.path)
    landing = Landing(context=context, received=0, loaded=0, payloads=[payload])
    try:
        doc = json.loads(payload.content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source.path}: not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise ValueError(f"{source.path}: not a GeoJSON FeatureCollection")
    known = known_codes()
    if not known:
        raise ValueError("no LSOA lookup in the warehouse: load the area bundle (ons_area) before boundaries")
    good: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, feature in enumerate(doc["features"]):
        landing.received += 1
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        code = str(props.get("LSOA21CD") or "").strip().upper()
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        reason = (code_problem(code, LSOA, "LSOA code")
                  or (f"LSOA code {code!r} is not in the LSOA lookup" if code not in known else None)
                  or geometry_problem(geometry)
                  or (f"duplicate LSOA code {code!r}" if code in seen else None))
        if reason:
            landing.quarantine.append(QuarantineRecord(
                entity="area_boundaries", reason=reason, record_key=f"{source.path}#{i}",
                payload_sha256=payload.sha256,
                record={"feature": i, "lsoa_code": code, "lsoa_name": props.get("LSOA21NM"),
                        "geometry_type": geometry.get("type") if isinstance(geometry, dict) else None}))
            continue
        seen.add(code)
        min_lon, min_lat, max_lon, max_lat = _bbox(geometry)
        good.append({"lsoa_code": code, "lsoa_name": props.get("LSOA21NM"), "geometry_type": geometry["type"],
                     "geometry": json.dumps(geometry, separators=(",", ":")), "min_lon": min_lon,
                     "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat})
    rows = strings_table(good, list(COLUMNS))
    landing.tables.append(RawTable("area_boundaries", with_provenance(rows, context, payload.fetched_at,
                                                                      payload.sha256)))
    landing.loaded = len(good)
    return landing


def lookup_codes(con: Any) -> set[str]:
    """LSOA codes of the last loaded area lookup (raw.ons_lsoa_lookup), empty when there is none."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
                         "AND table_name = 'ons_lsoa_lookup'").fetchone()[0]
    if not exists:
        return set()
    return {r[0].upper() for r in con.execute("SELECT lsoa_code FROM raw.ons_lsoa_lookup").fetchall()}
