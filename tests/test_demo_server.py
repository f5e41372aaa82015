"""The demo feed server over real HTTP: envelopes, paging, RPDE, the clock, and fault injection."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from demo.generate import generate
from demo.server import running

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo_tiny")
    generate("tiny", 11, out)
    return out


@pytest.fixture(scope="session")
def manifest(data_dir: Path) -> dict:
    return json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def server(data_dir: Path) -> Iterator[str]:
    with running(data_dir) as base:
        yield base


@pytest.fixture()
def http(server: str) -> Iterator[requests.Session]:
    """A session against a freshly reset server (epoch 0, no faults)."""
    session = requests.Session()
    session.post(server + "/_control/reset").raise_for_status()
    yield session
    session.post(server + "/_control/reset")
    session.close()


def fault(http: requests.Session, base: str, **rule: object) -> None:
    r = http.post(base + "/_control/faults", json=rule)
    assert r.status_code == 201, r.text


def walk_rpde(http: requests.Session, base: str, url: str, limit: int | None = None) -> tuple[list[dict], str]:
    """Follow ``next`` to the end; return (items, the final self-referencing URL)."""
    if limit:
        url += ("&" if "?" in url else "?") + f"limit={limit}"
    items: list[dict] = []
    for _ in range(10_000):
        doc = http.get(base + url).json()
        assert set(doc) == {"items", "next", "license"}
        if not doc["items"]:
            assert doc["next"] == url
            return items, url
        items += doc["items"]
        url = doc["next"]
    raise AssertionError("RPDE feed never ended")


def test_health_and_unknown_paths(http: requests.Session, server: str) -> None:
    assert http.get(server + "/health").json() == {"status": "ok", "epoch": 0, "max_epoch": 2}
    for path in ("/nope", "/area/secret.csv", "/ground_truth/respondents.csv", "/manifest.json",
                 "/directories/missing/services", "/surveys/../manifest.json"):
        r = http.get(server + path)
        assert r.status_code == 404, path
        assert r.headers["Content-Type"] == "application/json"
        assert r.json()["error"] == "not found"


def test_area_and_survey_files_are_served_verbatim(http: requests.Session, server: str, data_dir: Path) -> None:
    r = http.get(server + "/area/census_age_sex.csv")
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.content == (data_dir / "area" / "census_age_sex.csv").read_bytes()
    index = http.get(server + "/surveys/index.json").json()
    assert len(index["surveys"]) == 4
    for entry in index["surveys"]:
        q = http.get(server + entry["questionnaire"]).json()
        assert q["survey_id"] == entry["survey_id"]
        body = http.get(server + entry["responses"]).content
        assert body == (data_dir / entry["responses"].lstrip("/")).read_bytes()
    police = http.get(server + "/surveys/police_confidence_2026/responses.csv")
    assert "charset" not in police.headers["Content-Type"]
    with pytest.raises(UnicodeDecodeError):
        police.content.decode("utf-8")


def _all_pages(http: requests.Session, base: str, path: str, per_page: int, v1: bool = False,
               first_number: int = 1) -> list[dict]:
    keys = ("totalElements", "totalPages", "number", "first", "last", "content") if v1 else (
        "total_items", "total_pages", "page_number", "first_page", "last_page", "contents")
    total_key, pages_key, number_key, first_key, last_key, list_key = keys
    records: list[dict] = []
    page = 1
    while True:
        doc = http.get(base + path, params={"page": page, "per_page": per_page}).json()
        assert doc[number_key] == page - 1 + first_number and doc["size"] == per_page
        assert doc[pages_key] == math.ceil(doc[total_key] / per_page)
        assert doc[first_key] is (page == 1)
        records += doc[list_key]
        if doc[last_key]:
            assert page == doc[pages_key]
            assert len(records) == doc[total_key]
            return records
        assert len(doc[list_key]) == per_page
        page += 1


def test_directory_envelopes_and_paging(http: requests.Session, server: str, data_dir: Path,
                                        manifest: dict) -> None:
    directories = http.get(server + "/directories/index.json").json()["directories"]
    assert {d["api_version"] for d in directories} == {"1", "3"}
    assert {d["id"]: d["layout"] for d in directories} == {"council": "plain", "nhs": "hsds3_list_detail",
                                                             "vcs": "oruk1_council"}
    for d in directories:
        records = _all_pages(http, server, f"/directories/{d['id']}/services", 17, v1=d["api_version"] == "1",
                             first_number=0 if d["layout"] == "oruk1_council" else 1)
        on_disk = json.loads((data_dir / "directories" / d["id"] / "services.json").read_text(encoding="utf-8"))
        assert [r["id"] for r in records] == [r["id"] for r in on_disk]
        assert len(records) == manifest["directories"][d["id"]]["records"]
    # HSDS 3.0 list-then-detail: GET / declares the version; the list omits what /services/{id} carries
    assert http.get(server + "/directories/nhs").json()["version"] == "HSDS-UK-3.0"
    assert http.get(server + "/directories/council").status_code == 404
    listed = http.get(server + "/directories/nhs/services").json()["contents"][0]
    assert not {"service_at_locations", "phones", "attributes"} & set(listed)
    full = http.get(server + f"/directories/nhs/services/{listed['id']}").json()
    assert full["service_at_locations"] and full["phones"] and full["attributes"][0]["taxonomy_term"]["name"]
    assert http.get(server + "/directories/nhs/services/no-such-id").status_code == 404
    # ORUK 1 council layout: organization.url, HTML descriptions, websites without a scheme
    vcs = json.loads((data_dir / "directories" / "vcs" / "services.json").read_text(encoding="utf-8"))
    assert all("url" in r["organization"] and "website" not in r["organization"] for r in vcs)
    assert any(r["description"].startswith(("<p>", "<div>")) for r in vcs)
    assert any(not str(r["url"]).startswith("http") for r in vcs)
    doc = http.get(server + "/directories/council/services").json()
    assert list(doc) == ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty",
                         "contents"]
    assert doc["size"] == 50 and doc["empty"] is False
    v1 = http.get(server + "/directories/vcs/services", params={"page": 1}).json()
    assert list(v1) == ["totalElements", "totalPages", "number", "size", "first", "last", "content"]
    assert "service_taxonomys" in v1["content"][0] and "contacts" in v1["content"][0]
    beyond = http.get(server + "/directories/council/services", params={"page": 999}).json()
    assert beyond["contents"] == [] and beyond["empty"] is True and beyond["last_page"] is True
    assert http.get(server + "/directories/council/services", params={"per_page": 5000}).json()["size"] == 500
    assert http.get(server + "/directories/council/services", params={"page": 0}).status_code == 400
    assert http.get(server + "/directories/council/services", params={"page": "x"}).status_code == 400


def test_volunteers_are_paged(http: requests.Session, server: str, manifest: dict) -> None:
    for bureau in ("north", "south"):
        records = _all_pages(http, server, f"/bureaus/{bureau}/volunteers", 50)
        assert len(records) == manifest["bureaus"][bureau]["volunteers"]
        assert {"id", "first_name", "surname", "email", "date_of_birth", "postcode", "skills", "interests",
                "causes", "availability", "max_travel_km", "registered_at"} <= set(records[0])


def test_vds_platform_snapshot_is_served_the_same_at_every_epoch(http: requests.Session, server: str,
                                                                  manifest: dict) -> None:
    first = http.get(server + "/bureaus/platform/activities.json")
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/json")
    graph = first.json()["@graph"]
    section = manifest["bureaus"]["_vds_platform"]
    assert sum(n["type"] == "Activity" for n in graph) == section["activities"]
    assert sum(n["type"] == "Organisation" for n in graph) == section["organisations"]
    http.post(server + "/_control/advance").raise_for_status()
    assert http.get(server + "/bureaus/platform/activities.json").content == first.content


def test_rpde_walk_to_the_end(http: requests.Session, server: str, manifest: dict) -> None:
    items, last_url = walk_rpde(http, server, "/bureaus/north/vacancies", limit=37)
    keys = [(i["modified"], i["id"]) for i in items]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert len(items) == manifest["bureaus"]["north"]["feed_items_at_epoch"]["0"]
    assert all("data" in i for i in items if i["state"] == "updated")
    assert all("data" not in i for i in items if i["state"] == "deleted")
    again = http.get(server + last_url).json()
    assert again["items"] == [] and again["next"] == last_url
    default = http.get(server + "/bureaus/north/vacancies").json()
    assert len(default["items"]) == 100 and default["license"].startswith("https://creativecommons.org/")


def test_advance_reveals_updates_and_deletions(http: requests.Session, server: str, manifest: dict) -> None:
    stats = manifest["bureaus"]["south"]
    items, last_url = walk_rpde(http, server, "/bureaus/south/vacancies")
    seen = {i["id"] for i in items}
    assert http.post(server + "/_control/advance").json()["epoch"] == 1
    fresh, last_url = walk_rpde(http, server, last_url)
    changes = stats["changes_by_epoch"]["1"]
    assert len(fresh) == stats["items_by_epoch"]["1"]
    assert sum(i["state"] == "deleted" for i in fresh) == changes["deleted"] > 0
    updated = [i for i in fresh if i["state"] == "updated"]
    assert sum(i["id"] in seen for i in updated) == changes["updated"] > 0
    assert sum(i["id"] not in seen for i in updated) == changes["new"] > 0
    assert http.post(server + "/_control/advance").json()["epoch"] == 2
    assert len(walk_rpde(http, server, last_url)[0]) == stats["items_by_epoch"]["2"]
    assert http.post(server + "/_control/advance").json()["epoch"] == 2  # no further history
    whole, _ = walk_rpde(http, server, "/bureaus/south/vacancies")
    assert len(whole) == stats["feed_items_at_epoch"]["2"]
    assert http.post(server + "/_control/reset").json()["epoch"] == 0
    assert len(walk_rpde(http, server, "/bureaus/south/vacancies")[0]) == stats["feed_items_at_epoch"]["0"]


def test_fault_status_then_recovery_and_retry_after(http: requests.Session, server: str) -> None:
    fault(http, server, path_prefix="/directories/council/", mode="status", status=503, count=2)
    codes = [http.get(server + "/directories/council/services").status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    fault(http, server, path_prefix="/surveys/", mode="retry_after", seconds=7)
    r = http.get(server + "/surveys/index.json")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert http.get(server + "/surveys/index.json").status_code == 200


def test_fault_query_and_skip_matching(http: requests.Session, server: str) -> None:
    fault(http, server, path_prefix="/directories/nhs/services", mode="status", query={"page": "2"}, skip=1)
    url = server + "/directories/nhs/services"
    assert http.get(url, params={"page": 2}).status_code == 200  # skipped
    assert http.get(url, params={"page": 1}).status_code == 200  # query does not match
    assert http.get(url, params={"page": 2}).status_code == 500
    assert http.get(url, params={"page": 2}).status_code == 200


def test_fault_truncate_and_oversize(http: requests.Session, server: str, data_dir: Path) -> None:
    fault(http, server, path_prefix="/area/imd.csv", mode="truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(server + "/area/imd.csv", timeout=10)
    fault(http, server, path_prefix="/bureaus/north/volunteers", mode="truncate", honest=True, fraction=0.3)
    r = http.get(server + "/bureaus/north/volunteers")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    fault(http, server, path_prefix="/surveys/index.json", mode="oversize", bytes=200_000)
    r = http.get(server + "/surveys/index.json")
    assert len(r.content) == 200_000 and len(r.json()["surveys"]) == 4
    assert http.get(server + "/area/imd.csv").content == (data_dir / "area" / "imd.csv").read_bytes()


def test_fault_delay_causes_read_timeout(http: requests.Session, server: str) -> None:
    fault(http, server, path_prefix="/health-not", mode="delay")  # never matches; control paths unaffected
    fault(http, server, path_prefix="/bureaus/", mode="delay", seconds=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server + "/bureaus/north/vacancies", timeout=0.3)
    start = time.monotonic()
    http.get(server + "/bureaus/north/vacancies", timeout=5)
    assert time.monotonic() - start < 0.9


def test_fault_paging_loops_and_duplicates(http: requests.Session, server: str) -> None:
    url = server + "/directories/council/services"
    page1 = http.get(url, params={"page": 1, "per_page": 10}).content
    page2 = http.get(url, params={"page": 2, "per_page": 10}).json()
    fault(http, server, path_prefix="/directories/council/", mode="page_loop", count=None)
    assert http.get(url, params={"page": 2, "per_page": 10}).content == page1
    assert http.get(url, params={"page": 5, "per_page": 10}).content == page1
    assert http.delete(server + "/_control/faults").json()["cleared"] == 1
    fault(http, server, path_prefix="/directories/council/", mode="duplicate_page", query={"page": "3"})
    page3 = http.get(url, params={"page": 3, "per_page": 10}).json()
    assert page3["page_number"] == 3 and page3["contents"] == page2["contents"]
    fault(http, server, path_prefix="/bureaus/north/vacancies", mode="page_loop")
    doc = http.get(server + "/bureaus/north/vacancies?limit=5").json()
    assert doc["items"] and doc["next"] == "/bureaus/north/vacancies?limit=5"


def test_fault_rpde_order_and_duplicate_ids(http: requests.Session, server: str) -> None:
    fault(http, server, path_prefix="/bureaus/north/vacancies", mode="rpde_backwards")
    items = http.get(server + "/bureaus/north/vacancies?limit=10").json()["items"]
    stamps = [i["modified"] for i in items]
    assert stamps == sorted(stamps, reverse=True) and stamps[0] > stamps[-1]
    fault(http, server, path_prefix="/bureaus/north/volunteers", mode="duplicate_ids", n=3)
    doc = http.get(server + "/bureaus/north/volunteers", params={"per_page": 10}).json()
    ids = [v["id"] for v in doc["contents"]]
    assert len(ids) == 13 and len(set(ids)) == 10


def test_fault_schema_and_type_changes(http: requests.Session, server: str) -> None:
    fault(http, server, path_prefix="/area/census_age_sex.csv", mode="drop_column", column="Observation")
    header = http.get(server + "/area/census_age_sex.csv").text.splitlines()[0]
    assert "Observation" not in header and header.startswith("Lower layer Super Output Areas Code")
    fault(http, server, path_prefix="/area/census_ethnicity.csv", mode="wrong_type")
    rows = http.get(server + "/area/census_ethnicity.csv").text.splitlines()[1:]
    assert rows and all(r.endswith(",n/a") for r in rows)
    fault(http, server, path_prefix="/area/imd.csv", mode="rename_column", new_name="IMD Decile (renamed)")
    assert http.get(server + "/area/imd.csv").text.splitlines()[0].endswith(",IMD Decile (renamed)")
    fault(http, server, path_prefix="/directories/council/", mode="wrong_type")
    rec = http.get(server + "/directories/council/services").json()["contents"][0]
    assert isinstance(rec["service_at_locations"][0]["location"]["latitude"], str)
    fault(http, server, path_prefix="/surveys/council_residents_2026/responses.csv", mode="encoding", to="cp1252")
    body = http.get(server + "/surveys/council_residents_2026/responses.csv").content
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Are you…" in body.decode("cp1252")
    fault(http, server, path_prefix="/directories/vcs/", mode="empty")
    empty = http.get(server + "/directories/vcs/services").json()
    assert empty["totalElements"] == 0 and empty["content"] == [] and empty["last"] is True
    fault(http, server, path_prefix="/surveys/index.json", mode="empty")
    assert http.get(server + "/surveys/index.json").json() == {"surveys": []}


def test_fault_rules_are_validated_and_listed(http: requests.Session, server: str) -> None:
    assert http.post(server + "/_control/faults", json={"mode": "explode"}).status_code == 400
    fault(http, server, path_prefix="/area/", mode="status", count=5)
    listed = http.get(server + "/_control/faults").json()
    assert [f["mode"] for f in listed["faults"]] == ["status"] and "truncate" in listed["modes"]
    assert http.get(server + "/health").status_code == 200  # control paths are never faulted
    assert http.delete(server + "/_control/faults").json() == {"cleared": 1}
    assert http.get(server + "/area/imd.csv").status_code == 200


def test_cli_prints_ready_and_stops_on_sigterm(data_dir: Path, tmp_path: Path) -> None:
    ready = tmp_path / "url.txt"
    proc = subprocess.Popen([sys.executable, "-m", "demo.server", "--data", str(data_dir), "--port", "0",
                             "--ready-file", str(ready)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        assert line.startswith("READY http://127.0.0.1:")
        base = line.split(" ", 1)[1]
        assert ready.read_text(encoding="utf-8").strip() == base
        assert requests.get(base + "/health", timeout=5).json()["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
