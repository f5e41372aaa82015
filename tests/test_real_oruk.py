"""The ORUK validator's own mock API (OpenReferralUK/oruk-validator, ``OpenReferralApi/Mocks``) and ORUK 1
records checked against the validator's official ORUK 1 service schema, served over real HTTP the way the
validator's ``MockController`` serves them (any query string; one ``service_full.json`` for every id)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.fixture_server import serve
from tests.test_real_service_directories import harvest, source, table

REAL = Path(__file__).parent / "fixtures" / "real"
MOCKS = REAL / "oruk_validator"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def mock_routes(kind: str, prefix: str = "/api/mock") -> dict:
    """The MockController's routes for one mock set: ``/``, ``/services`` (any query) and ``/services/{id}``."""
    folder = MOCKS / kind
    listing = load(folder / ("service_list.json" if (folder / "service_list.json").exists()
                             else "service_list_first8.json"))
    routes: dict = {f"{prefix}/services?*": listing}
    if (folder / "api_details.json").exists():
        routes[f"{prefix}/"] = load(folder / "api_details.json")
    if (folder / "service_full.json").exists():
        routes |= {f"{prefix}/services/{r['id']}": load(folder / "service_full.json") for r in listing["contents"]}
    return routes


def test_default_mock_version_from_api_details_list_then_detail_and_categories():
    with serve(mock_routes("default")) as (base, requested):
        landing = harvest(base, source("/api/mock/services", api_root="/api/mock/", drop_invalid_fields=True))
    sid = "ac148810-d857-441c-9679-408f346de14b"
    assert "/api/mock/" in requested and f"/api/mock/services/{sid}" in requested
    # "version": "HSDS-UK-3.0" (not "3.0"): still v3, read from GET /, not guessed from the fields
    assert [(s["service_id"], s["api_version"]) for s in table(landing, "directory_services")] == [(sid, "v3")]
    assert landing.notes[0] == "envelope v3, 1 page(s), API version HSDS-UK-3.0"
    terms = table(landing, "directory_service_taxonomy")
    assert [(t["term_id"], t["term"], t["vocabulary"]) for t in terms] == [
        ("3f7b145d-84af-42d7-8fae-eaca714b02b2", "name", "taxonomy")]  # attributes[].taxonomy_term
    assert [loc["location_name"] for loc in table(landing, "directory_service_locations")] == ["MyCity Civic Center"]
    svc = table(landing, "directory_services")[0]
    assert svc["organization_website"] == "http://example.com" and svc["service_email"] == "email@example.com"
    assert table(landing, "directory_service_phones") == []  # the mock has contacts without phones


def test_version_is_not_guessed_without_api_root():
    """Without ``GET /`` the envelope decides (v3 here); no version is claimed in the notes."""
    with serve(mock_routes("default")) as (base, requested):
        landing = harvest(base, source("/api/mock/services", drop_invalid_fields=True))
    assert "/api/mock/" not in requested and landing.notes[0] == "envelope v3, 1 page(s)"


FAIL_STRICT = {
    # the list record is completed from /services/{id} (the mock's detail for this id): its faults
    "ac148810-d857-441c-9679-408f346de14b": [
        "email 'email-example_com' is malformed", "url 'example/counselling' is malformed",
        "service_at_locations/0/location/latitude 100 is out of range", "postal_code 'ABC 1234' is malformed"],
    "b644a0d2-9e8a-4c33-9390-ae9ee93fc056": [
        "schema: record: 'name' is a required property", "email 'email-example_com' is malformed",
        "url 'example_counselling' is malformed"],
    "e85f5bb0-62f0-42cc-a08a-0c5c16273090": [  # "email": false
        "schema: record: 'name' is a required property", "email False is malformed",
        "url 'example_counselling' is malformed"],
}


def test_fail_mock_strict_keeps_every_reason():
    with serve(mock_routes("fail", "/api/mock/fail")) as (base, _):
        landing = harvest(base, source("/api/mock/fail/services", api_root="/api/mock/fail/"))
    assert landing.received == 4 and landing.loaded == 0 and landing.quarantined == 4
    reasons = [(q.record_key, q.reason.split("; ")) for q in landing.quarantine]
    assert reasons[:3] == list(FAIL_STRICT.items())
    first = "ac148810-d857-441c-9679-408f346de14b"  # the fourth list record repeats the first id
    assert reasons[3] == (first, FAIL_STRICT[first])
    # the mock answers every /services/{id} with one record: two ids could not be completed, and say so
    assert "WARNING 2 could not be fetched" in landing.notes[1]
    assert landing.notes[0] == "envelope v3, 1 page(s), API version HSDS-UK-3.0"


def test_fail_mock_lenient_drops_bad_fields_only():
    with serve(mock_routes("fail", "/api/mock/fail")) as (base, _):
        landing = harvest(base, source("/api/mock/fail/services", api_root="/api/mock/fail/",
                                       drop_invalid_fields=True))
    assert (landing.received, landing.loaded, landing.quarantined) == (4, 1, 3)
    assert [q.reason for q in landing.quarantine] == ["schema: record: 'name' is a required property"] * 2 + [
        "exact duplicate of an earlier record"]
    svc = table(landing, "directory_services")[0]
    assert (svc["service_url"], svc["service_email"], svc["organization_website"]) == (None, None,
                                                                                       "http://example.com")
    assert svc["dropped_fields"].split("; ") == FAIL_STRICT["ac148810-d857-441c-9679-408f346de14b"]
    assert [t["term"] for t in table(landing, "directory_service_taxonomy")] == ["name"]
    assert "email=4" in landing.notes[-1] and "url=4" in landing.notes[-1]


def test_test_mock_one_id_many_versions():
    """The validator's "Test" list repeats one id with differing content: the first is kept, the others are
    quarantined as duplicates (no detail endpoint in that mock set: the list record is kept as it is)."""
    with serve(mock_routes("test")) as (base, _):
        landing = harvest(base, source("/api/mock/services", drop_invalid_fields=True))
    assert (landing.received, landing.loaded, landing.quarantined) == (8, 1, 7)
    assert {q.reason for q in landing.quarantine} <= {"duplicate service id with different content",
                                                      "exact duplicate of an earlier record"}
    assert "duplicate service id with different content" in {q.reason for q in landing.quarantine}


# --- ORUK 1 ------------------------------------------------------------------------------------------------

def oruk1_service_schema() -> dict:
    """The validator's ORUK 1 service schema (``Schemas/V1.0-UK/service_list.json``, ``content.items``)."""
    return load(REAL / "oruk1" / "service_list.schema.json")["properties"]["content"]["items"]


ORG = {"id": "5a9a1d52-3b7c-4a5e-9a43-2b0d8c1f6e10", "name": "Shire Council",
       "description": "<p>The council's <strong>community</strong> services</p>", "url": "www.shire.gov.uk"}


def oruk1(sid: str, **extra) -> dict:
    """An ORUK 1 service written here (no council export was found in a public repository), in the shape
    of the validator's ORUK 1 schema: ``organization.url``, ``contacts[].phones``, ``service_taxonomys``,
    ``physical_addresses``."""
    return {"id": sid, "name": f"Service {sid}", "description": "Plain", "status": "active", "organization": ORG,
            "url": "https://www.shire.gov.uk/s", "email": "info@shire.gov.uk",
            "contacts": [{"id": f"{sid}-c", "name": "Enquiries",
                          "phones": [{"id": f"{sid}-p", "number": "01234 567890"}]}],
            "service_taxonomys": [{"id": f"{sid}-t", "taxonomy": {"id": "bccsoc:lib", "name": "Libraries",
                                                                   "vocabulary": "esd"}}],
            "service_at_locations": [{"id": f"{sid}-sal", "location": {
                "id": f"{sid}-loc", "name": "Library", "latitude": 51.5, "longitude": -2.1,
                "physical_addresses": [{"id": f"{sid}-a", "address_1": "1 High St", "city": "Stroud",
                                        "postal_code": "GL5 1AA", "country": "GB"}]}}], **extra}


def test_oruk1_records_written_here_match_the_official_schema_but_for_the_real_world_deviations():
    """The hand-written ORUK 1 records are schema-valid except where real exports deviate on purpose:
    a website without a scheme (the schema requires one; councils publish ``www.…``)."""
    validator = jsonschema.Draft7Validator(oruk1_service_schema())
    assert list(validator.iter_errors(oruk1("a", organization={**ORG, "url": "https://www.shire.gov.uk"}))) == []
    errors = [".".join(map(str, e.absolute_path)) for e in validator.iter_errors(oruk1("a"))]
    assert errors == ["organization.url"]


@pytest.mark.parametrize("numbering", ["number_from_0", "page_param_from_0", "number_from_1"])
def test_oruk1_paging_organisation_url_html_and_websites(numbering):
    records = [oruk1("a", description="<p>Drop-in <b>advice</b>&nbsp;&amp; support</p>", url="shire.gov.uk/advice"),
               oruk1("b", email="advice@@shire"), oruk1("c")]
    def page(number: int, recs: list, first: bool, last: bool) -> dict:
        return {"totalElements": 3, "totalPages": 2, "number": number, "size": 2, "first": first, "last": last,
                "content": recs}
    asked = {"number_from_0": (1, 2, 0), "page_param_from_0": (0, 1, 0), "number_from_1": (1, 2, 1)}[numbering]
    routes = {f"/s?page={asked[0]}&per_page=50": page(asked[2], records[:2], True, False),
              f"/s?page={asked[1]}&per_page=50": page(asked[2] + 1, records[2:], False, True)}
    if numbering == "page_param_from_0":  # ?page=1 is the second page there
        routes["/s?page=1&per_page=50"] = page(1, records[2:], False, True)
    with serve(routes) as (base, _):
        landing = harvest(base, source("/s", drop_invalid_fields=True))
    services = {s["service_id"]: s for s in table(landing, "directory_services")}
    assert sorted(services) == ["a", "b", "c"] and landing.received == landing.loaded == 3
    assert {s["api_version"] for s in services.values()} == {"v1"}
    assert services["a"]["description"] == "Drop-in advice & support"
    assert services["a"]["service_url"] == "https://shire.gov.uk/advice"  # normalised, not quarantined
    assert services["a"]["organization_website"] == "https://www.shire.gov.uk"  # organization.url
    assert services["b"]["service_email"] is None and services["b"]["service_url"] == "https://www.shire.gov.uk/s"
    assert services["b"]["dropped_fields"] == "email 'advice@@shire' is malformed"
    assert [t["term"] for t in table(landing, "directory_service_taxonomy")] == ["Libraries"] * 3
    assert [p["number"] for p in table(landing, "directory_service_phones")] == ["01234 567890"] * 3
    assert [loc["postal_code"] for loc in table(landing, "directory_service_locations")] == ["GL5 1AA"] * 3
    assert landing.notes[0] == "envelope v1, 2 page(s)"

