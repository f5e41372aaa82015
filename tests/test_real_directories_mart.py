"""Real directory samples end to end: fixture HTTP server → registry sources (config-like, via
``CG_SOURCES_FILE``) → harvest → ``dbt build`` of the service-map marts. The samples are landed beside
the county demo's directories (a copy of the session's harvested warehouse)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import use_var_dir
from tests.fixture_server import serve
from tests.test_real_oruk import mock_routes, oruk1
from tests.test_real_service_directories import one_page

REAL = Path(__file__).parent / "fixtures" / "real"
PAGE = 500  # config/sources.yml page_size


def load(name: str) -> dict:
    return json.loads((REAL / name).read_text(encoding="utf-8"))


def spec_routes() -> dict:
    """openreferral/specification's HSDS 3.0 examples as an API (list → /services/{id} → GET /)."""
    listing = one_page(load("hsds3/service_list.json"))
    return {"/hsds/": load("hsds3/base.json"), "/hsds/services?*": listing,
            **{f"/hsds/services/{r['id']}": load("hsds3/service_full.json") for r in listing["contents"]}}


def oruk1_routes() -> dict:
    """ORUK 1 written in the tests (no council export is public): two pages, the envelope numbering from 0."""
    page = {"totalElements": 3, "totalPages": 2, "size": 2}
    a = oruk1("v1-a", description="<p>Drop-in <b>advice</b>&nbsp;&amp; support</p>", url="shire.gov.uk/advice")
    return {f"/oruk1/services?page=1&per_page={PAGE}": {**page, "number": 0, "first": True, "last": False,
                                                        "content": [a, oruk1("v1-b", email="advice@@shire")]},
            f"/oruk1/services?page=2&per_page={PAGE}": {**page, "number": 1, "first": False, "last": True,
                                                        "content": [oruk1("v1-c")]}}


SOURCES = {
    "real_oruk_mock": ("/oruk/default/services", "/oruk/default/"),
    "real_oruk_fail": ("/oruk/fail/services", "/oruk/fail/"),
    "real_hsds_spec": ("/hsds/services", "/hsds/"),
    "real_oruk1": ("/oruk1/services", None),
}


@pytest.fixture(scope="module")
def real_built(tmp_path_factory, harvested):
    from ingest.harvest import harvest_source
    from warehouse.dbt_build import invoke, summarise
    from warehouse.settings import REPO_ROOT, get_settings

    settings, _ = harvested
    var_dir = tmp_path_factory.mktemp("real_dirs_var")
    (var_dir / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, var_dir / "warehouse" / "private.duckdb")
    registry = yaml.safe_load((REPO_ROOT / "config" / "sources.yml").read_text(encoding="utf-8"))
    registry["sources"] = [{"id": sid, "family": "service_maps", "protocol": "hsds_services", "path": path,
                            "archive_payloads": False,
                            "options": {"drop_invalid_fields": True, **({"api_root": root} if root else {})}}
                           for sid, (path, root) in SOURCES.items()]
    (var_dir / "sources.yml").write_text(yaml.safe_dump(registry), encoding="utf-8")
    routes = {**mock_routes("default", "/oruk/default"), **mock_routes("fail", "/oruk/fail"), **spec_routes(),
              **oruk1_routes()}
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        mp.setenv("CG_SOURCES_FILE", str(var_dir / "sources.yml"))
        with serve(routes) as (base, requested):
            loads = {sid: harvest_source(sid, base_url=base, run_key="real") for sid in SOURCES}
        settings = get_settings()
        # the service-map marts and everything upstream; tests that also read unselected models are left out
        dbt = summarise(invoke(["build", "--select", "+service_map +service_map_sources +service_map_reconciliation "
                                "+int_directory_categories_unmapped",
                                "--indirect-selection", "cautious"], settings))
    return settings, loads, dbt, requested


def rows(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_real_samples_are_harvested_with_ledger_rows(real_built):
    settings, loads, _, requested = real_built
    briefs = {sid: [(r["status"], r["received"], r["loaded"], r["quarantined"]) for r in rs]
              for sid, rs in loads.items()}
    assert briefs == {"real_oruk_mock": [("loaded", 1, 1, 0)], "real_oruk_fail": [("loaded", 4, 1, 3)],
                      "real_hsds_spec": [("loaded", 1, 1, 0)], "real_oruk1": [("loaded", 3, 3, 0)]}
    ledger = dict(rows(settings, "SELECT source, status FROM meta.load_ledger WHERE source LIKE 'real_%'"))
    assert ledger == dict.fromkeys(SOURCES, "loaded")
    assert "/oruk/default/" in requested and "/hsds/" in requested  # versions read from GET /


def test_dbt_builds_the_service_map_with_the_real_samples(real_built):
    _, _, dbt, _ = real_built
    assert dbt["success"], dbt["failures"]


def test_categories_locations_phones_and_pages_arrive_in_the_marts(real_built):
    settings = real_built[0]
    sources = rows(settings, """SELECT directory, service_id, outcome, quarantine_reason FROM marts.service_map_sources
                                WHERE directory LIKE 'real_%' ORDER BY 1, 2, 3""")
    mapped = {(d, s) for d, s, o, _ in sources if o == "mapped"}
    assert {("real_oruk1", "v1-a"), ("real_oruk1", "v1-b"), ("real_oruk1", "v1-c")} <= mapped  # both pages
    assert ("real_oruk_mock", "ac148810-d857-441c-9679-408f346de14b") in mapped  # list → detail: has a location
    assert ("real_hsds_spec", "ac148810-d857-441c-9679-408f346de14b") in mapped
    quarantined = sorted((d, r) for d, _, o, r in sources if o == "quarantined")
    assert quarantined == [("real_oruk_fail", "exact duplicate of an earlier record"),
                           ("real_oruk_fail", "schema: record: 'name' is a required property"),
                           ("real_oruk_fail", "schema: record: 'name' is a required property")]
    raw = {d: (t, p, loc) for d, t, p, loc in rows(settings, """
        SELECT s._source,
               (SELECT count(*) FROM raw.directory_service_taxonomy t WHERE t._source = s._source),
               (SELECT count(*) FROM raw.directory_service_phones p WHERE p._source = s._source),
               (SELECT count(*) FROM raw.directory_service_locations l WHERE l._source = s._source)
        FROM raw.directory_services s WHERE s._source LIKE 'real_%' GROUP BY 1""")}
    assert raw == {"real_oruk_mock": (1, 0, 1), "real_oruk_fail": (1, 0, 1), "real_hsds_spec": (1, 1, 1),
                   "real_oruk1": (3, 3, 3)}
    mart = rows(settings, """SELECT source_directories, service_name, phone, website, description, category_label
                             FROM marts.service_map WHERE source_directories LIKE '%real_%' ORDER BY 1, 2""")
    by_name = {(d, n): (p, w, desc, c) for d, n, p, w, desc, c in mart}
    phone, website, description, category = by_name[("real_oruk1", "Service v1-a")]
    # organization.url "www.shire.gov.uk" given a scheme by the reader (the mart then drops "www.")
    assert phone == "01234567890" and website == "https://shire.gov.uk"
    assert description == "Drop-in advice & support" and category is None  # "Libraries" is not in the map
    # the partners' own categories arrive, listed for mapping (seeds/service_taxonomy_map.csv)
    unmapped = set(rows(settings, """SELECT directory, vocabulary, term
                                     FROM intermediate.int_directory_categories_unmapped
                                     WHERE directory LIKE 'real_%'"""))
    assert unmapped == {("real_oruk1", "esd", "Libraries"), ("real_oruk_mock", "taxonomy", "name"),
                        ("real_oruk_fail", "taxonomy", "name"), ("real_hsds_spec", "taxonomy", "name")}
    spec_phones = [p for (d, _), (p, *_rest) in by_name.items() if d == "real_hsds_spec"]
    assert spec_phones and all(spec_phones)  # HSDS 3.0 phones, fetched from /services/{id}
