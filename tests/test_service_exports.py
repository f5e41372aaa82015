"""The service map exports written at publication: Open Referral / HSDS JSON and GeoJSON."""

from __future__ import annotations

import json
import shutil
import uuid

import duckdb
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ingest.feeds.service_directories import service_problem, upgrade_v1
from ingest.paging import parse_envelope
from tests.conftest import use_var_dir
from warehouse.exports import all_exporters
from warehouse.exports.service_map import (
    GEOJSON_FILE,
    HSDS_FILE,
    NAMESPACE,
    export_geojson,
    export_hsds,
    geojson_document,
    hsds_errors,
    stable_id,
)
from warehouse.publish import publish
from warehouse.settings import get_settings


@pytest.fixture(scope="module")
def published(built, tmp_path_factory):
    settings, _, _ = built
    var_dir = tmp_path_factory.mktemp("services_published")
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        (var_dir / "warehouse").mkdir()
        shutil.copy(settings.warehouse_path, var_dir / "warehouse" / "private.duckdb")
        copy = get_settings()
        record = publish("services-export", copy)
    folder = copy.parquet_dir / "current"
    with duckdb.connect(str(copy.published_path), read_only=True) as con:
        rows = con.execute("SELECT * FROM service_map").df()
        sources = con.execute("SELECT * FROM service_map_sources WHERE outcome = 'mapped'").df()
    return record, folder, rows, sources


def test_exports_are_registered_and_published_beside_the_parquet(published):
    record, folder, _, _ = published
    assert {f.__name__ for f in all_exporters()} >= {"export_hsds", "export_geojson"}
    assert record["exports"] == [HSDS_FILE, GEOJSON_FILE]
    assert (folder / HSDS_FILE).is_file() and (folder / GEOJSON_FILE).is_file()
    assert (folder / "service_map.parquet").is_file()
    assert not list(folder.glob("*.tmp"))


def test_hsds_export_is_a_valid_page_of_services(published):
    _, folder, rows, sources = published
    doc = json.loads((folder / HSDS_FILE).read_text(encoding="utf-8"))
    services, total_pages, total_items, last, envelope = parse_envelope(doc)
    assert (envelope, total_pages, last, total_items) == ("v3", 1, True, len(services))
    # every service passes the same HSDS shape and field checks partner feeds are held to
    problems = [(s["id"], service_problem(upgrade_v1(s))) for s in services if service_problem(upgrade_v1(s))]
    assert problems == []
    assert hsds_errors(doc) == []  # the official HSDS 3.0 schema, at county scale
    locations = [sal["id"] for s in services for sal in s["service_at_locations"]]
    assert sorted(locations) == sorted(stable_id("service_at_location", c) for c in rows["canonical_service_id"])
    assert len(services) == rows["service_group_id"].nunique()
    assert len(sources) > 0
    terms = {a["taxonomy_term"]["name"] for s in services for a in s.get("attributes", [])}
    assert len(terms) == rows["category_label"].nunique()


def test_geojson_export_is_a_feature_collection_of_points_in_england(published):
    _, folder, rows, _ = published
    doc = json.loads((folder / GEOJSON_FILE).read_text(encoding="utf-8"))
    assert_valid_geojson(doc)
    assert len(doc["features"]) == rows["latitude"].notna().sum()
    ids = [f["id"] for f in doc["features"]]
    assert len(set(ids)) == len(ids) and set(ids) <= set(rows["canonical_service_id"])
    for feature in doc["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert -6.5 <= lon <= 2.0 and 49.8 <= lat <= 55.9, feature["id"]
        assert isinstance(feature["properties"]["source_directories"], list)


def assert_valid_geojson(doc: dict) -> None:
    """RFC 7946 structure of a FeatureCollection of Points."""
    assert set(doc) == {"type", "features"} and doc["type"] == "FeatureCollection"
    assert isinstance(doc["features"], list)
    for feature in doc["features"]:
        assert feature["type"] == "Feature"
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert isinstance(feature["id"], str) and isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        assert all(isinstance(c, float) for c in geometry["coordinates"])
        lon, lat = geometry["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        json.dumps(feature["properties"], allow_nan=False)


def test_geojson_leaves_out_services_without_coordinates():
    row = {"canonical_service_id": "cs-1", "service_group_id": "sg-1", "service_name": "Lunch Club",
           "organisation_name": "Age UK", "category_code": "lunch_club", "category_label": "Lunch clubs",
           "status": "active", "location_name": "Hall", "address_1": "1 High St", "postcode": "GL1 1HT",
           "lsoa_code": "E01000001", "ward_code": "E05000001", "ward_name": "Central", "phone": None, "email": None,
           "website": None, "source_records": 2, "source_directories": "directory_a; directory_b",
           "latitude": 51.86, "longitude": -2.24}
    doc = geojson_document([row, {**row, "canonical_service_id": "cs-2", "latitude": None, "longitude": None}])
    assert_valid_geojson(doc)
    assert [f["id"] for f in doc["features"]] == ["cs-1"]
    assert doc["features"][0]["geometry"]["coordinates"] == [-2.24, 51.86]
    assert doc["features"][0]["properties"]["source_directories"] == ["directory_a", "directory_b"]


def test_exporters_skip_a_warehouse_without_the_service_map(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        con.execute("CREATE TABLE main.area_profiles AS SELECT 1 AS x")
        assert export_hsds(con, tmp_path) == [] and export_geojson(con, tmp_path) == []


@hypothesis_settings(max_examples=300, deadline=None)
@given(kind=st.text(max_size=20), key=st.text(max_size=80))
def test_stable_id_is_uuid5_of_the_canonical_key(kind, key):
    """The fast uuid5 (straight from SHA-1) is the standard library's, for any text (surrogates excluded)."""
    assert stable_id(kind, key) == str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def test_hsds_errors_word_what_the_fast_gate_rejects():
    """The Rust gate passes valid services without the Python validator; what it rejects is worded by it."""
    service = {"id": stable_id("service", "s-1"), "name": "Lunch Club", "status": "active"}
    assert hsds_errors({"contents": [service]}) == []
    bad = {**service, "id": "svc-1", "status": "open"}
    errors = hsds_errors({"contents": [service, bad]})
    assert errors == ["svc-1: id: 'svc-1' is not a 'uuid'",
                      "svc-1: status: 'open' is not one of ['active', 'inactive', 'defunct', 'temporarily closed']"]
