"""Service directories ingestion: both envelopes, paging limits and loops, retries, quarantine reasons."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime

import duckdb
import pytest
import requests
import yaml

from ingest.feeds.service_directories import read_directory, service_problem, upgrade_v1
from ingest.harvest import HarvestError, harvest_source
from ingest.http_client import FeedClient, FeedError
from ingest.landing import LoadContext
from ingest.paging import parse_envelope
from ingest.sources import Source
from tests.conftest import reset_server, use_var_dir
from warehouse.settings import REPO_ROOT

#: the reason each deliberate defect of the demo generator must be quarantined with
REASONS = {
    "missing_name": r"^schema: name: ",
    "unknown_status": r"^schema: status: .* is not one of",
    "malformed_postcode": r"^postal_code .* is malformed$",
    "malformed_email": r"^email .* is malformed$",
    "malformed_url": r"^url .* is malformed$",
}


@pytest.fixture
def server(demo_url):
    reset_server(demo_url)
    yield demo_url
    reset_server(demo_url)


def fault(base: str, **rule) -> None:
    requests.post(f"{base}/_control/faults", json=rule, timeout=5).raise_for_status()


def source(directory: str, **changes) -> Source:
    base = Source(id=f"directory_{directory}", family="service_maps", protocol="hsds_services",
                  path=f"/directories/{directory}/services", conn_id="cg_demo_feeds", max_bytes=1 << 28,
                  connect_timeout=5, read_timeout=30, max_pages=10_000, archive_payloads=False)
    return dataclasses.replace(base, **changes)


def read(base_url: str, src: Source, per_page: int = 200):
    ctx = LoadContext(source=src.id, family=src.family, load_id=f"{src.id}@test", run_id=None,
                      started_at=datetime.now(UTC))
    with FeedClient(source=src.id, base_url=base_url, backoff_seconds=0.05) as client:
        return read_directory(client, src, ctx, per_page=per_page), client.stats


def test_both_envelopes_are_harvested_to_the_same_shape(harvested, county_manifest):
    settings, _ = harvested
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        versions = dict(con.execute("SELECT _source, string_agg(DISTINCT api_version, ',') FROM raw.directory_services "
                                    "GROUP BY 1").fetchall())
        notes = dict(con.execute("SELECT source, notes FROM meta.load_ledger WHERE family = 'service_maps'").fetchall())
        per_kind = {r[0]: r[1:] for r in con.execute("""
            SELECT s._source, count(DISTINCT s.service_id),
                   (SELECT count(*) FROM raw.directory_service_phones p WHERE p._source = s._source),
                   (SELECT count(*) FROM raw.directory_service_taxonomy t WHERE t._source = s._source),
                   (SELECT count(*) FROM raw.directory_service_locations l WHERE l._source = s._source
                      AND l.postal_code IS NOT NULL)
            FROM raw.directory_services s GROUP BY 1""").fetchall()}
    assert versions == {"directory_council": "v3", "directory_nhs": "v3", "directory_vcs": "v1"}
    assert "envelope v1" in notes["directory_vcs"] and "envelope v3" in notes["directory_council"]
    for directory, info in county_manifest["directories"].items():
        if directory.startswith("_"):
            continue
        services, phones, terms, located = per_kind[f"directory_{directory}"]
        assert services == info["records"] - len(info["invalid_records"])
        # ORUK 1 contacts[].phones, service_taxonomys and physical_addresses are upgraded like v3 fields
        assert phones == services and terms == services
        assert located >= services


def test_every_invalid_record_kind_is_quarantined_with_its_reason(harvested, county_manifest):
    settings, _ = harvested
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        quarantined = {(s, k): r for s, k, r in con.execute(
            "SELECT _source, record_key, reason FROM raw.quarantine WHERE family = 'service_maps'").fetchall()}
        landed = {(s, k) for s, k in con.execute("SELECT _source, service_id FROM raw.directory_services").fetchall()}
    kinds = set()
    for directory, info in county_manifest["directories"].items():
        if directory.startswith("_"):
            continue
        for bad in info["invalid_records"]:
            key = (f"directory_{directory}", bad["id"])
            assert key in quarantined, bad
            assert re.search(REASONS[bad["problem"]], quarantined[key]), (bad, quarantined[key])
            assert key not in landed
            kinds.add(bad["problem"])
    assert kinds == set(REASONS), "the county demo exercises every kind of invalid record"
    assert len(quarantined) == sum(len(i["invalid_records"]) for d, i in county_manifest["directories"].items()
                                   if not d.startswith("_"))


def test_page_limit_stops_a_feed_that_does_not_end(server):
    with pytest.raises(FeedError, match="did not end within the limit of 3 pages"):
        read(server, source("council", max_pages=3), per_page=100)


def test_hard_page_limit_from_the_registry_fails_the_harvest_clearly(tmp_path, monkeypatch, server):
    use_var_dir(monkeypatch, tmp_path)
    registry = yaml.safe_load((REPO_ROOT / "config" / "sources.yml").read_text())
    registry["defaults"]["max_pages"] = 2
    (tmp_path / "sources.yml").write_text(yaml.safe_dump(registry))
    monkeypatch.setenv("CG_SOURCES_FILE", str(tmp_path / "sources.yml"))
    with pytest.raises(HarvestError, match="did not end within the limit of 2 pages"):
        harvest_source("directory_nhs", base_url=server, run_key="limit")
    with duckdb.connect(str(tmp_path / "warehouse" / "private.duckdb"), read_only=True) as con:
        status, error = con.execute("SELECT status, error FROM meta.load_ledger").fetchall()[0]
    assert status == "failed" and "did not end within the limit of 2 pages" in error


@pytest.mark.parametrize("directory", ["council", "vcs"])
def test_page_loop_fails_clearly(server, directory):
    """The server ignores ?page and serves page 1 forever (either envelope)."""
    fault(server, path_prefix=f"/directories/{directory}/", mode="page_loop", count=-1)
    with pytest.raises(FeedError, match="page loop"):
        read(server, source(directory))


def test_a_feed_serving_another_page_than_asked_is_a_loop(server, monkeypatch):
    """An envelope that reports page 1 when page 2 was asked for fails at once (either envelope)."""
    import ingest.paging as paging

    original = FeedClient.get_json

    def stuck(self, path, params=None):
        doc, payload = original(self, path, {**(params or {}), "page": 1})
        return doc, dataclasses.replace(payload, sha256=f"{payload.sha256}-{(params or {}).get('page')}")

    monkeypatch.setattr(FeedClient, "get_json", stuck)
    # the voluntary-sector directory speaks the ORUK 1 council layout: its envelope numbers pages from 0
    with pytest.raises(FeedError, match="asked for page 2 — in the feed's numbering from 0, 1, the feed served page 0"):
        list(paging.iter_pages(FeedClient(source="t", base_url=server), "/directories/vcs/services",
                               per_page=100, max_pages=50))


def test_transient_errors_are_retried_and_the_harvest_completes(server):
    clean, _ = read(server, source("vcs"))
    fault(server, path_prefix="/directories/vcs/", mode="status", status=503, count=2, query={"page": "2"})
    fault(server, path_prefix="/directories/vcs/", mode="retry_after", seconds=0, count=1, query={"page": "4"})
    retried, stats = read(server, source("vcs"))
    assert stats.retries == 3
    assert (retried.received, retried.loaded, retried.quarantined) == (clean.received, clean.loaded,
                                                                        clean.quarantined)


def test_parse_envelope_reads_both_versions():
    v3 = {"total_items": 3, "total_pages": 1, "page_number": 1, "size": 50, "first_page": True,
          "last_page": True, "empty": False, "contents": [{"id": "a"}]}
    v1 = {"totalElements": 3, "totalPages": 2, "number": 1, "size": 50, "first": True, "last": False,
          "content": [{"id": "b"}]}
    assert parse_envelope(v3) == ([{"id": "a"}], 1, 3, True, "v3")
    assert parse_envelope(v1) == ([{"id": "b"}], 2, 3, False, "v1")
    with pytest.raises(ValueError, match="unknown page envelope"):
        parse_envelope({"items": []})


def _v1_record(**changes) -> dict:
    record = {
        "id": "10014", "name": "Domestic Abuse Outreach", "status": "active",
        "url": "https://womens-aid.org.uk/outreach", "email": "hello@womens-aid.org.uk",
        "organization": {"id": "70000", "name": "Women's Aid", "website": "https://womens-aid.org.uk"},
        "contacts": [{"id": "c1", "phones": [{"number": "01508536836"}]}],
        "service_taxonomys": [{"id": "t1", "taxonomy": {"id": "156", "name": "Domestic abuse", "vocabulary": "va"}}],
        "service_at_locations": [{"id": "910020", "location": {
            "id": "510019", "name": "Hall", "latitude": 51.87, "longitude": -2.21,
            "physical_addresses": [{"address_1": "1 Stanley Place", "postal_code": "fv1 6lj", "country": "GB"}]}}],
    }
    record.update(changes)
    return record


def test_oruk1_records_are_upgraded_to_the_current_shape():
    service = upgrade_v1(_v1_record())
    assert service["phones"] == [{"number": "01508536836"}]
    assert service["taxonomy_terms"] == [{"id": "156", "term": "Domestic abuse", "vocabulary": "va"}]
    assert service["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "fv1 6lj"
    assert "contacts" not in service and "service_taxonomys" not in service
    assert service_problem(service) is None
    current = json.loads(json.dumps(service))
    assert upgrade_v1(current) is current


@pytest.mark.parametrize(("kind", "changes"), [
    ("missing_name", {"name": None}),
    ("missing_name", {"name": ""}),
    ("unknown_status", {"status": "open"}),
    ("malformed_email", {"email": "hello@@example"}),
    ("malformed_email", {"email": "n/a"}),
    ("malformed_url", {"url": "htps//womens-aid.org.uk"}),
    ("malformed_url", {"url": "see website"}),
])
def test_each_invalid_kind_has_a_reason(kind, changes):
    assert re.search(REASONS[kind], service_problem(upgrade_v1(_v1_record(**changes))) or "")


@pytest.mark.parametrize("postcode", ["N/A", "TBC", "XX99", "FV1 6L"])
def test_malformed_postcodes_are_invalid(postcode):
    record = _v1_record()
    record["service_at_locations"][0]["location"]["physical_addresses"][0]["postal_code"] = postcode
    assert re.search(REASONS["malformed_postcode"], service_problem(upgrade_v1(record)) or "")


def test_missing_id_is_invalid():
    record = _v1_record()
    del record["id"]
    assert service_problem(upgrade_v1(record)).startswith("schema: record: 'id' is a required property")
