"""Plausible LSOA boundaries for the synthetic areas: Voronoi cells around the LSOA centroids, clipped
to a disc around each centroid (so the outer edge looks like a coastline rather than a box), written as
ONS-style GeoJSON (``area/boundaries.geojson``, properties LSOA21CD / LSOA21NM) with two bad features
the ingest must quarantine (an unclosed ring and an unknown LSOA code)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import Voronoi, cKDTree

from demo.geography import Geography
from demo.writers import write_json

Ring = list[tuple[float, float]]


def _clip(poly: Ring, clip: Ring) -> Ring:
    """Sutherland–Hodgman: ``poly`` clipped to the convex, counter-clockwise polygon ``clip``."""
    out = poly
    for i in range(len(clip)):
        (ax, ay), (bx, by) = clip[i], clip[(i + 1) % len(clip)]
        inside = [(bx - ax) * (py - ay) - (by - ay) * (px - ax) >= 0 for px, py in out]
        new: Ring = []
        for j, p in enumerate(out):
            q = out[j - 1]
            if inside[j]:
                if not inside[j - 1]:
                    new.append(_cross(q, p, (ax, ay), (bx, by)))
                new.append(p)
            elif inside[j - 1]:
                new.append(_cross(q, p, (ax, ay), (bx, by)))
        out = new
        if not out:
            break
    return out


def _cross(p: tuple[float, float], q: tuple[float, float], a: tuple[float, float],
           b: tuple[float, float]) -> tuple[float, float]:
    dx, dy, ex, ey = q[0] - p[0], q[1] - p[1], b[0] - a[0], b[1] - a[1]
    den = dx * ey - dy * ex
    t = ((a[0] - p[0]) * ey - (a[1] - p[1]) * ex) / den if den else 0.0
    return p[0] + t * dx, p[1] + t * dy


def _ccw(ring: Ring) -> Ring:
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))
    return ring if area > 0 else ring[::-1]


def lsoa_cells(lat: np.ndarray, lon: np.ndarray) -> list[Ring]:
    """One convex polygon (lon, lat vertices, counter-clockwise, not closed) per point."""
    k = math.cos(math.radians(float(np.mean(lat))))
    pts = np.column_stack([lon * k, lat])
    spacing = np.median(cKDTree(pts).query(pts, k=2)[0][:, 1]) if len(pts) > 1 else 0.01
    radius = 3.5 * float(spacing)
    lo, hi = pts.min(axis=0) - 10 * radius, pts.max(axis=0) + 10 * radius
    frame = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    vor = Voronoi(np.vstack([pts, frame]))  # the frame points make every real cell finite
    cells: list[Ring] = []
    for i, (x, y) in enumerate(pts):
        region = vor.regions[vor.point_region[i]]
        poly = _ccw([(float(vor.vertices[v][0]), float(vor.vertices[v][1])) for v in region if v >= 0])
        disc = [(x + radius * math.cos(a), y + radius * math.sin(a))
                for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)]
        clipped = _clip(poly, disc)
        cells.append([(px / k, py) for px, py in clipped])
    return cells


def _feature(code: str, name: str, ring: Ring) -> dict[str, Any]:
    coords = [[round(x, 5), round(y, 5)] for x, y in ring]
    return {"type": "Feature", "properties": {"LSOA21CD": code, "LSOA21NM": name},
            "geometry": {"type": "Polygon", "coordinates": [[*coords, coords[0]]]}}


def write_boundaries(geo: Geography, out: Path) -> dict[str, Any]:
    """Write area/boundaries.geojson; return the manifest section."""
    lsoas = geo.lsoas
    cells = lsoa_cells(lsoas["lat"].to_numpy(), lsoas["lon"].to_numpy())
    features = [_feature(c, n, r) for c, n, r in zip(lsoas["code"], lsoas["name"], cells, strict=True)]
    unclosed = _feature(str(lsoas["code"].iloc[0]), str(lsoas["name"].iloc[0]), cells[0])
    unclosed["geometry"]["coordinates"][0].pop()  # last vertex ≠ first: not a valid ring
    unknown = _feature("E01999999", "Nowhere 001A", cells[-1])
    features += [unclosed, unknown]
    write_json(out / "area" / "boundaries.geojson", {
        "type": "FeatureCollection", "name": "LSOA_2021_EW_BGC_demo",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": features})
    return {"features": len(features), "bad_features": {"unclosed_ring": 1, "unknown_lsoa_code": 1}}
