"""LSOA centroids from their own ONS file (``FID,LSOA21CD,GlobalID,x,y``), joined to a lookup that has none,
through the bundle reader over real HTTP. The headers are ONS's; the rows are written here."""

from __future__ import annotations

import csv
import io

import pytest

from ingest.csv_text import SchemaDriftError
from ingest.feeds.area_profiles import read_area_bundle
from ingest.grid import is_grid, osgb36_from_grid, wgs84_from_grid, wgs84_from_osgb36
from ingest.http_client import FeedClient
from ingest.landing import Landing, LoadContext
from ingest.sources import Source
from tests.fixture_server import serve

LSOAS = ["E01022001", "E01022002", "E01022003"]


def _csv(header: list[str], *rows: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def _bundle(lookup: bytes, centroids: bytes | None) -> dict[str, bytes]:
    files = {
        "lsoa_lookup.csv": lookup,
        "census_age_sex.csv": _csv(["Lower layer Super Output Areas Code", "Lower layer Super Output Areas",
                                    "Sex (2 categories) Code", "Sex (2 categories)", "Age (7 categories) Code",
                                    "Age (7 categories)", "Observation"],
                                   [LSOAS[0], "x", "1", "Female", "2", "a", "4"]),
        "census_ethnicity.csv": _csv(["Lower layer Super Output Areas Code", "Lower layer Super Output Areas",
                                      "Ethnic group (6 categories) Code", "Ethnic group (6 categories)",
                                      "Observation"], [LSOAS[0], "x", "4", "White", "4"]),
        "imd.csv": _csv(["LSOA code (2021)", "LSOA name (2021)", "Index of Multiple Deprivation (IMD) Rank",
                         "Index of Multiple Deprivation (IMD) Decile"], [LSOAS[0], "x", "100", "1"]),
        "postcodes.csv": _csv(["pcds", "lad25cd", "lsoa21cd", "lat", "long"],
                              ["GL5 1AA", "E07000082", LSOAS[0], "51.74", "-2.21"]),
    }
    if centroids is not None:
        files["lsoa_centroids.csv"] = centroids
    return files


# the ONS lookup product: LSOA21CD,LSOA21NM,WD24CD,WD24NM,LAD24CD,LAD24NM,ObjectId — no coordinates
LOOKUP = _csv(["LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM", "LAD24CD", "LAD24NM", "ObjectId"],
              *[[c, f"Stroud {c[-3:]}", "E05010001", "Central", "E07000082", "Stroud", str(i)]
                for i, c in enumerate(LSOAS, start=1)])
PWC_HEADER = ["FID", "LSOA21CD", "GlobalID", "x", "y"]


def _read(files: dict[str, bytes], options: dict | None = None) -> Landing:
    src = Source(id="ons_real", family="area_profiles", protocol="ons_area_bundle", path="/area", conn_id="x",
                 max_bytes=1 << 24, connect_timeout=5, read_timeout=10, max_pages=1, archive_payloads=False,
                 options=options or {})
    with serve({f"/area/{name}": body for name, body in files.items()}) as (base, _), \
            FeedClient(src.id, base) as client:
        return read_area_bundle(client, src, LoadContext(src.id, src.family, "ons_real@t"))


def test_os_worked_example_grid_to_osgb36():
    """OS "A guide to coordinate systems in Great Britain", annex C worked example: E 651409.903,
    N 313177.270 is 52°39'27.2531"N 1°43'4.5177"E on OSGB36."""
    lat, lon = osgb36_from_grid(651409.903, 313177.270)
    assert lat == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=1e-7)
    assert lon == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=1e-7)


def test_datum_shift_puts_the_airy_meridian_west_of_wgs84_zero():
    """Greenwich's Airy meridian (OSGB36 longitude 0) lies about 5.3" (≈100 m) west of the WGS84/IERS zero."""
    lat, lon = wgs84_from_osgb36(51.4778, 0.0)
    assert -0.0020 < lon < -0.0012 and lat == pytest.approx(51.4778, abs=0.001)


def test_grid_and_degrees_are_told_apart_by_range():
    assert is_grid(383000, 398000) and not is_grid(-2.2, 51.7) and not is_grid(0, 0)


def test_centroids_from_their_own_file_in_british_national_grid():
    easting, northing = 385000.0, 205000.0  # near Stroud
    centroids = _csv(PWC_HEADER, ["5", "E01022010", "{a5}", "0", "0"],              # 0,0 first: never decides
                     ["1", LSOAS[0], "{a1}", "385000.0", "205000.0"],
                     ["2", LSOAS[1], "{a2}", "386000.5", "204000.25"],
                     ["3", "E01099999", "{a3}", "530000", "180000"],    # outside the lookup: landed, unused
                     ["4", "E0l022009", "{a4}", "385000", "205000"],    # malformed code
                     ["6", "E01022011", "{a6}", "385000", "-5"])        # outside the grid
    landing = _read(_bundle(LOOKUP, centroids), {"centroids": "lsoa_centroids.csv"})
    tables = {t.name: t.rows.to_pylist() for t in landing.tables}
    lookup = {r["lsoa_code"]: (float(r["latitude"]), float(r["longitude"])) for r in tables["ons_lsoa_lookup"]}
    assert set(lookup) == {LSOAS[0], LSOAS[1]}
    assert lookup[LSOAS[0]] == pytest.approx(wgs84_from_grid(easting, northing), abs=1e-6)
    assert 51.6 < lookup[LSOAS[0]][0] < 51.9 and -2.4 < lookup[LSOAS[0]][1] < -2.0
    assert len(tables["ons_lsoa_centroids"]) == 3 and {r["crs"] for r in tables["ons_lsoa_centroids"]} == {"EPSG:27700"}
    assert sorted((q.entity, q.reason) for q in landing.quarantine) == [
        ("ons_lsoa_centroids", "LSOA code 'E0L022009' is malformed"),
        ("ons_lsoa_centroids", "northing (y) -5.0 is outside 0..1300000 (the file's other rows are British "
                               "National Grid eastings/northings)"),
        ("ons_lsoa_centroids", "x/y 0,0 is a placeholder, not a centroid"),
        ("ons_lsoa_lookup", "no centroid for this LSOA in the declared centroid file lsoa_centroids.csv")]
    assert [q.record["lsoa_code"] for q in landing.quarantine if q.entity == "ons_lsoa_lookup"] == [LSOAS[2]]
    assert any("British National Grid (EPSG:27700); ignored extra column(s) ['FID', 'GlobalID']" in n
               for n in landing.notes)
    assert landing.received == landing.loaded + landing.quarantined


def test_centroid_file_in_wgs84_is_read_as_longitude_latitude():
    centroids = _csv(PWC_HEADER, *[[str(i), c, "{g}", "-2.215", "51.745"] for i, c in enumerate(LSOAS, start=1)])
    landing = _read(_bundle(LOOKUP, centroids), {"centroids": "lsoa_centroids.csv"})
    lookup = {t.name: t.rows.to_pylist() for t in landing.tables}["ons_lsoa_lookup"]
    assert [(r["latitude"], r["longitude"]) for r in lookup] == [("51.745", "-2.215")] * 3
    assert any("WGS84 (EPSG:4326)" in n for n in landing.notes) and not landing.quarantine


def test_a_lookup_without_centroids_and_no_centroid_file_is_refused():
    with pytest.raises(SchemaDriftError, match=r"no centroid columns \(LAT/LONG\) and the source declares no "
                                               r"centroid file.*centroids: lsoa_centroids.csv"):
        _read(_bundle(LOOKUP, None))


def test_a_declared_centroid_file_replaces_the_lookups_own_coordinates():
    lookup = _csv(["LSOA21CD", "WD24CD", "LAD24CD", "LAT", "LONG"], [LSOAS[0], "E05010001", "E07000082", "0", "0"])
    centroids = _csv(["LSOA21CD", "LAT", "LONG"], [LSOAS[0], "51.745", "-2.215"])
    landing = _read(_bundle(lookup, centroids), {"centroids": "lsoa_centroids.csv"})
    row = {t.name: t.rows.to_pylist() for t in landing.tables}["ons_lsoa_lookup"][0]
    assert (row["latitude"], row["longitude"]) == ("51.745", "-2.215")
    assert any("its own LAT/LONG ignored" in n for n in landing.notes)


def test_the_demo_layout_with_coordinates_in_the_lookup_still_needs_no_centroid_file():
    lookup = _csv(["LSOA21CD", "WD24CD", "LAD24CD", "LAT", "LONG"],
                  [LSOAS[0], "E05010001", "E07000082", "51.7", "-2.2"])
    landing = _read(_bundle(lookup, None))
    assert not landing.quarantine and "ons_lsoa_centroids" not in {t.name for t in landing.tables}
