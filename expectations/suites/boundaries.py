"""Suite on the published area_boundaries mart: one polygon per LSOA of the lookup."""

from __future__ import annotations

from typing import Any

from expectations.suite import LSOA_REGEX, WARD_REGEX, SuiteSpec


def _area_boundaries(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="lsoa_code"),
        gxe.ExpectColumnValuesToMatchRegex(column="lsoa_code", regex=LSOA_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code", regex=WARD_REGEX),
        gxe.ExpectColumnValuesToBeInSet(column="geometry_type", value_set=["Polygon", "MultiPolygon"]),
        gxe.ExpectColumnValuesToBeBetween(column="min_lon", min_value=-8.7, max_value=2.0),
        gxe.ExpectColumnValuesToBeBetween(column="max_lat", min_value=49.0, max_value=61.0),
        # most LSOAs must have a shape; a few quarantined features may leave gaps on the map
        gxe.ExpectColumnValuesToBeInSet(column="has_boundary", value_set=[True], mostly=0.95),
    ]


SUITES = [
    SuiteSpec("mart_area_boundaries", "marts.area_boundaries", _area_boundaries,
              "Boundary polygons for the maps, one per LSOA"),
]
