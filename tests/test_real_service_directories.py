"""Real HSDS 3.0 samples (openreferral/specification examples) and ORUK 1 paging, over real HTTP."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.feeds.service_directories import normalise_website, read_directory, service_problems, strip_html
from ingest.http_client import FeedClient
from ingest.landing import LoadContext
from ingest.sources import Source
from tests.fixture_server import serve

REAL = Path(__file__).parent / "fixtures" / "real"


def real(name: str) -> dict:
    return json.loads((REAL / name).read_text(encoding="utf-8"))


def source(path: str = "/api/services", **options) -> Source:
    return Source(id="real_dir", family="service_maps", protocol="hsds_services", path=path, conn_id="x",
                  max_bytes=1 << 24, connect_timeout=5, read_timeout=10, max_pages=20, archive_payloads=False,
                  options=options)


def harvest(base: str, src: Source, **kwargs):
    ctx = LoadContext(source=src.id, family=src.family, load_id=f"{src.id}@t", run_id=None,
                      started_at=datetime.now(UTC))
    with FeedClient(source=src.id, base_url=base, backoff_seconds=0.01, max_retries=0) as client:
        return read_directory(client, src, ctx, per_page=50, **kwargs)


def table(landing, name: str) -> list[dict]:
    return next(t for t in landing.tables if t.name == name).rows.to_pylist()


def one_page(doc: dict) -> dict:
    """The real list example claims 10 pages of one service; served as its only page (the one change)."""
    out = copy.deepcopy(doc)
    out.update(total_pages=1, last_page=True)
    return out


def test_hsds3_list_records_are_completed_from_services_id_with_categories_and_version_from_api_root():
    listing, full = real("hsds3/service_list.json"), real("hsds3/service_full.json")
    sid = listing["contents"][0]["id"]
    routes = {"/api/": real("hsds3/base.json"), "/api/services?page=1&per_page=50": one_page(listing),
              f"/api/services/{sid}": full}
    with serve(routes) as (base, requested):
        landing = harvest(base, source(api_root="/api/", drop_invalid_fields=True))
    assert f"/api/services/{sid}" in requested
    services = table(landing, "directory_services")
    assert [(s["service_id"], s["api_version"]) for s in services] == [(sid, "v3")]
    assert landing.quarantined == 0 and landing.loaded == landing.received == 1
    # categories from attributes[].taxonomy_term (the example's term is literally named "name")
    terms = [(t["term"], t["vocabulary"]) for t in table(landing, "directory_service_taxonomy")]
    assert terms == [("name", "taxonomy")]
    locations = table(landing, "directory_service_locations")
    assert [loc["location_id"] for loc in locations] == ["3a19ff88-4620-4d17-9830-ac1d859eb5d5"]
    # the official example's coordinates (latitude 100, longitude 101) are out of range: dropped, not the service
    assert locations[0]["latitude"] is None and "latitude 100 is out of range" in services[0]["dropped_fields"]
    # HSDS 3.0 repeats contacts' phones in phones: stored once, not twice
    assert [p["number"] for p in table(landing, "directory_service_phones")] == ['"+44 1234 234567"']
    assert any("API version 3.0" in n for n in landing.notes)
    assert any("completed from /services/{id}: 1" in n for n in landing.notes)


def test_hsds3_list_without_detail_endpoint_warns():
    listing = real("hsds3/service_list.json")
    with serve({"/api/services?page=1&per_page=50": one_page(listing)}) as (base, _):
        landing = harvest(base, source())
    assert landing.loaded == 1 and table(landing, "directory_service_locations") == []
    assert any("WARNING 1 could not be fetched" in n for n in landing.notes)


def test_real_full_record_strictly_quarantined_with_every_reason():
    full = real("hsds3/service_full.json")
    full["email"] = "n/a"
    page = {"total_items": 1, "total_pages": 1, "page_number": 1, "size": 1, "first_page": True,
            "last_page": True, "empty": False, "contents": [full]}
    with serve({"/api/services?page=1&per_page=50": page}) as (base, _):
        landing = harvest(base, source())
    assert landing.quarantined == 1
    reason = landing.quarantine[0].reason
    # every reason, not just the schema's first: the bad e-mail, the out-of-range latitude and the US postcode
    assert reason.split("; ") == ["email 'n/a' is malformed",
                                  "service_at_locations/0/location/latitude 100 is out of range",
                                  "postal_code 'ABC 1234' is malformed"]
    assert "longitude" not in reason  # 101 is a valid longitude


def oruk1_page(number: int, records: list[dict], total_pages: int, *, first: bool, last: bool) -> dict:
    """An ORUK 1 (Spring-style) envelope, written here: no public council export was available."""
    return {"totalElements": 3, "totalPages": total_pages, "number": number, "size": len(records),
            "first": first, "last": last, "content": records}


def v1_record(sid: str, **extra) -> dict:
    return {"id": sid, "name": f"Service {sid}", "status": "active", **extra,
            "organization": {"id": "o1", "name": "Shire Council", "url": "www.shire.gov.uk/libraries"},
            "contacts": [{"phones": [{"number": "01234 567890"}]}],
            "service_taxonomys": [{"taxonomy": {"id": "t1", "name": "Libraries", "vocabulary": "esd"}}]}


@pytest.mark.parametrize("numbering", ["reports_0_for_page_1", "page_param_from_0"])
def test_oruk1_pages_numbered_from_zero_are_all_harvested(numbering):
    a, b, c = v1_record("a"), v1_record("b"), v1_record("c")
    if numbering == "reports_0_for_page_1":  # ?page=1 is the first page but its envelope says number 0
        routes = {"/s?page=1&per_page=50": oruk1_page(0, [a, b], 2, first=True, last=False),
                  "/s?page=2&per_page=50": oruk1_page(1, [c], 2, first=False, last=True)}
    else:  # ?page counts from 0: page 1 is the second page
        routes = {"/s?page=0&per_page=50": oruk1_page(0, [a, b], 2, first=True, last=False),
                  "/s?page=1&per_page=50": oruk1_page(1, [c], 2, first=False, last=True)}
    with serve(routes) as (base, _):
        landing = harvest(base, source("/s"))
    assert sorted(s["service_id"] for s in table(landing, "directory_services")) == ["a", "b", "c"]
    assert landing.received == landing.loaded == 3


def test_oruk1_real_world_field_shapes():
    html = v1_record("h", description="<p>Drop-in <b>advice</b>&nbsp;&amp; support</p><ul><li>Mon</li></ul>",
                     url="www.shire.gov.uk/advice", email="advice@@shire")
    page = oruk1_page(0, [html, v1_record("ok")], 1, first=True, last=True)
    with serve({"/s?page=1&per_page=50": page}) as (base, _):
        lenient = harvest(base, source("/s", drop_invalid_fields=True))
        strict = harvest(base, source("/s"))
    row = next(s for s in table(lenient, "directory_services") if s["service_id"] == "h")
    assert row["description"] == "Drop-in advice & support Mon"
    assert row["service_url"] == "https://www.shire.gov.uk/advice"
    assert row["organization_website"] == "https://www.shire.gov.uk/libraries"  # organization.url
    assert row["service_email"] is None and "email 'advice@@shire' is malformed" in row["dropped_fields"]
    assert lenient.loaded == 2 and any("email=1" in n for n in lenient.notes)
    assert strict.loaded == 1 and strict.quarantine[0].reason == "email 'advice@@shire' is malformed"


def test_every_reason_is_kept():
    service = {"id": "x", "name": "X", "status": "active", "email": "bad", "url": "see website",
               "service_at_locations": [{"location": {"addresses": [{"postal_code": "TBC"}]}}]}
    assert service_problems(service) == ["email 'bad' is malformed", "url 'see website' is malformed",
                                         "postal_code 'TBC' is malformed"]


@pytest.mark.parametrize(("raw", "clean"), [
    ("www.council.gov.uk/libraries", "https://www.council.gov.uk/libraries"),
    ("council.gov.uk", "https://council.gov.uk"), ("http://x.org", "http://x.org"),
    ("www..example", "www..example"), ("see website", "see website")])
def test_websites_without_a_scheme_are_normalised(raw, clean):
    assert normalise_website(raw) == clean


def test_strip_html_keeps_plain_text():
    assert strip_html("Plain & simple") == "Plain & simple"
    assert strip_html("A<br>B &lt;3") == "A B <3"
