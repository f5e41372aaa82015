"""service_map.hsds.json against the official HSDS 3.0 schema (warehouse/exports/hsds_schema, from
openreferral/specification), and read back by our own HSDS 3.0 reader over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.feeds.service_directories import read_directory
from ingest.http_client import FeedClient
from ingest.landing import LoadContext
from ingest.sources import Source
from tests.fixture_server import serve
from warehouse.exports.service_map import hsds_document, hsds_errors, stable_id

REAL = Path(__file__).parent / "fixtures" / "real"


def row(cid: str, group: str, **changes) -> dict:
    base = {"canonical_service_id": cid, "service_group_id": group, "service_name": "Lunch Club",
            "organisation_name": "Age UK Shire", "category_code": "lunch_club", "category_label": "Lunch clubs",
            "status": "active", "description": "Hot meals on Tuesdays", "location_name": "Village Hall",
            "address_1": "1 High St", "city": "Stroud", "postcode": "GL5 1AA", "lad_name": "Stroud",
            "latitude": 51.74, "longitude": -2.21, "phone": "01453 123456", "email": "lunch@ageukshire.org.uk",
            "service_url": "https://ageukshire.org.uk/lunch", "website": "https://ageukshire.org.uk",
            "source_records": 2, "last_modified": datetime(2026, 3, 1, 9, 30, tzinfo=UTC)}
    return {**base, **changes}


ROWS = [row("cs-1", "sg-1"), row("cs-2", "sg-1", location_name="Church", address_1=None, latitude=None,
                                 longitude=None, source_records=1),
        row("cs-3", "sg-2", organisation_name=None, category_code=None, category_label=None, phone=None,
            email=None, service_url=None, website=None, description=None, last_modified=None)]


def test_the_official_schema_rejects_what_the_old_export_wrote():
    """The check can fail: the pre-HSDS-3 shape (non-uuid ids, nulls) has errors."""
    old = {"contents": [{"id": "sg-1", "name": "X", "status": "active", "description": None,
                         "service_at_locations": [{"id": "cs-1", "location": {"id": "loc-1", "latitude": None}}]}]}
    errors = hsds_errors(old)
    assert any("is not a 'uuid'" in e for e in errors) and any("None is not of type" in e for e in errors)
    assert any("'location_type' is a required property" in e for e in errors)


def test_export_is_valid_hsds_3_with_stable_uuid_ids_and_no_nulls():
    doc = hsds_document(ROWS, [])
    assert hsds_errors(doc) == []
    assert "null" not in json.dumps(doc)
    assert hsds_document(list(reversed(ROWS)), []) == doc  # stable
    services = {s["id"]: s for s in doc["contents"]}
    lead = services[stable_id("service", "sg-1")]
    assert [sal["id"] for sal in lead["service_at_locations"]] == [stable_id("service_at_location", "cs-1"),
                                                                   stable_id("service_at_location", "cs-2")]
    assert lead["attributes"][0]["taxonomy_term"]["code"] == "lunch_club"
    assert lead["phones"][0]["id"] and lead["organization"]["name"] == "Age UK Shire"
    assert [len(sal["location"]["addresses"]) for sal in lead["service_at_locations"]] == [1, 0]
    bare = services[stable_id("service", "sg-2")]
    assert set(bare) == {"id", "name", "status", "phones", "attributes", "service_at_locations"}
    assert set(doc) == {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty",
                        "contents"}


def test_official_full_example_shape_is_valid_under_the_committed_schema():
    """The committed schema file is the real one: the spec's own full example passes it, and the same
    example with a non-uuid id does not."""
    full = json.loads((REAL / "hsds3" / "service_full.json").read_text(encoding="utf-8"))
    assert hsds_errors({"contents": [full]}) == []
    assert hsds_errors({"contents": [{**full, "id": "svc-1"}]}) == ["svc-1: id: 'svc-1' is not a 'uuid'"]


def test_export_reads_back_through_the_hsds3_reader_over_http():
    doc = hsds_document(ROWS, [])
    src = Source(id="roundtrip", family="service_maps", protocol="hsds_services", path="/services", conn_id="x",
                 max_bytes=1 << 24, connect_timeout=5, read_timeout=10, max_pages=5, archive_payloads=False)
    ctx = LoadContext(source=src.id, family=src.family, load_id="roundtrip@t", run_id=None)
    with serve({"/services?page=1&per_page=50": doc}) as (base, _), FeedClient(src.id, base) as client:
        landing = read_directory(client, src, ctx, per_page=50)
    assert landing.quarantined == 0 and landing.loaded == 2
    tables = {t.name: t.rows.to_pylist() for t in landing.tables}
    assert [t["term"] for t in tables["directory_service_taxonomy"]] == ["Lunch clubs"]
    assert len(tables["directory_service_locations"]) == 3 and len(tables["directory_service_phones"]) == 1
