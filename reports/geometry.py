"""GeoJSON geometry text → outer rings (lon, lat) for drawing."""

from __future__ import annotations

import json

Ring = list[tuple[float, float]]


def rings_of(geometry: str | None) -> list[Ring]:
    """Outer rings of a Polygon / MultiPolygon (holes are not drawn at this scale); [] for NULL."""
    if not isinstance(geometry, str) or not geometry:
        return []
    geo = json.loads(geometry)
    polygons = [geo["coordinates"]] if geo["type"] == "Polygon" else geo["coordinates"]
    return [[(float(x), float(y)) for x, y, *_ in poly[0]] for poly in polygons if poly]
