"""The ODI/DCMS Volunteering Data Standard: a real Team Kinetic export (first 8 of its 250 activities,
volunteeringdata/volunteering-open-data-infrastructure data/teamkinetic/activity.json) over real HTTP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from ingest.feeds.volunteering_data_standard import read_vds_activities
from ingest.http_client import FeedClient
from ingest.landing import LoadContext, ensure_meta, write_landing
from ingest.sources import Source
from tests.fixture_server import serve

SAMPLE = Path(__file__).parent / "fixtures" / "real" / "vds" / "teamkinetic_activity_first8.json"
SRC = Source(id="vds_tk", family="volunteering", protocol="vds_activities", path="/activity.json", conn_id="x",
             max_bytes=1 << 24, connect_timeout=5, read_timeout=10, max_pages=1, archive_payloads=False)


def harvest(doc) -> tuple:
    con = duckdb.connect()
    ensure_meta(con)
    ctx = LoadContext(SRC.id, SRC.family, f"{SRC.id}@t")
    with serve({SRC.path: doc}) as (base, _), FeedClient(SRC.id, base) as client:
        landing = read_vds_activities(client, SRC, ctx)
    write_landing(con, landing)
    return con, landing


def test_team_kinetic_export_lands_activities_locations_and_modes():
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    con, landing = harvest(doc)
    assert (landing.received, landing.loaded, landing.quarantined) == (8, 8, 0)
    first = con.execute("SELECT activity_id, title, organisation_id, start_date, end_date FROM raw.vds_activities "
                        "WHERE activity_id = '10241623'").fetchone()
    assert first == ("10241623", "Volunteer Administrator", "117D0DAA-71A0-49D9-AB07-91738C5EB156", "2026-12-05",
                     "2027-05-14")
    located = con.execute("SELECT count(*), count(latitude) FROM raw.vds_activity_locations").fetchone()
    assert located == (8, 8)
    remote = {r[0] for r in con.execute("SELECT activity_id FROM raw.vds_activity_attributes "
                                        "WHERE attribute = 'mode' AND value = 'remote'").fetchall()}
    assert remote == {str(a["id"]) for a in doc if a["allowsRemoteParticipation"]} and remote
    descriptions = [r[0] for r in con.execute("SELECT description FROM raw.vds_activities").fetchall()]
    assert not any("&rsquo;" in d or "&nbsp;" in d for d in descriptions if d)


def test_activities_without_id_or_label_are_quarantined_with_reasons():
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))[:2]
    doc[0] = {**doc[0], "label": "  "}
    doc.append({**doc[1]})
    doc.append({"type": "Activity", "label": "No id"})
    _, landing = harvest(doc)
    assert (landing.received, landing.loaded, landing.quarantined) == (4, 1, 3)
    assert sorted(q.reason for q in landing.quarantine) == ["activity has no id", "activity has no label (title)",
                                                            "duplicate activity id"]



def test_organisation_nodes_and_session_days_are_read():
    """DERIVED from the export's first two records: the organisation as an Organisation node of the same
    @graph and as an embedded node; sessions with dayOfWeek (name or IRI) × timeOfDay."""
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))[:2]
    doc[0]["session"][0]["time"] = [
        {"beginning": "2026-12-05T09:00:00", "end": "2027-05-14T05:00:00",
         "dayOfWeek": ["https://id.volunteeringdata.io/schema/Monday", "Saturday"], "timeOfDay": "Morning"},
        {"beginning": "2026-12-05T18:00:00", "dayOfWeek": "Monday", "timeOfDay": ["Evening", "Night"]}]
    doc[1]["organisation"] = {"id": "org-2", "type": "Organisation", "label": " Belief Trust "}
    graph = {"@context": "https://api.volunteeringdata.io/context/v1",
             "@graph": [{"id": doc[0]["organisation"], "type": "Organisation", "label": "Quarriers"}, *doc]}
    con, landing = harvest(graph)
    assert (landing.received, landing.loaded, landing.quarantined) == (2, 2, 0)  # the Organisation node is no activity
    names = dict(con.execute("SELECT activity_id, organisation_name FROM raw.vds_activities").fetchall())
    assert names == {"10241623": "Quarriers", "10220897": "Belief Trust"}
    slots = sorted(r[0] for r in con.execute("SELECT value FROM raw.vds_activity_attributes "
                                             "WHERE attribute = 'availability'").fetchall())
    assert slots == ["mon_am", "mon_pm", "sat_am"]  # Evening is pm; Night has no slot


# --- through the warehouse: the real export harvested over HTTP, then dbt into the vacancy marts -------------

AS_OF = "2026-10-01"  # CG_AS_OF_DATE in tests
#: the verbatim export on the as-of date: listed (open) or excluded as expired (its last session has ended)
EXPECTED = {"10241623": "listed", "10220897": "expired", "10230061": "listed", "10261920": "expired",
            "10257896": "listed", "10259628": "expired", "10226162": "expired", "10181154": "expired"}
#: TEST-WRITTEN lookup rows (not ONS data): a postcode centroid ~0.4 km from two of the export's locations, so
#: placement by coordinates is exercised on the real points; the demo's ONS lookup covers none of them
NEAR = {"10241623": ("ZZ1 1AA", "E01999991", 55.8124, -4.34212), "10230061": ("ZZ1 1AB", "E01999992", 53.0694707,
                                                                               -2.5216245)}
SELECT = ["--select", "stg_ons__postcodes", "stg_ons__lsoas", "stg_vds__activities+", "stg_vds__activity_locations+",
          "stg_vds__activity_attributes+"]


def variants(con: duckdb.DuckDBPyConnection) -> tuple[list[dict], str]:
    """DERIVED in this test from the export's records (ids prefixed ``v-``): a postcode in the address plus
    skill and cause labels, no location at all, no label, and a cross-post of an open demo RPDE advert written
    in the export's layout (organisation embedded with its label). Returns (activities, that advert's key)."""
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    base = {a["id"]: a for a in doc}
    postcode = con.execute("SELECT pcds FROM raw.ons_postcodes WHERE _source = 'ons_area' AND date_terminated = '' "
                           "ORDER BY pcds LIMIT 1").fetchone()[0]
    farm = json.loads(json.dumps(base[10257896]))
    farm["id"] = "v-postcode"
    farm["session"][0]["location"][0]["address"] = f"Farmland Lane, {postcode.lower().replace(' ', '')}"
    farm["skill"] = [{"id": "s1", "label": "Administration"}, {"id": "s2", "label": "Bee-keeping"}]
    farm["cause"] = [{"id": "c1", "label": "Older people"}]
    nowhere = {**json.loads(json.dumps(base[10241623])), "id": "v-nolocation"}
    nowhere["session"][0]["location"] = []
    unlabelled = {**base[10230061], "id": "v-nolabel", "label": "\r\n"}
    key, org, pc, start, close, slots = con.execute("""
        SELECT v._source || ':' || v.vacancy_id, v.organisation_name, v.postcode, v.start_date, v.closing_date,
               list(a.value ORDER BY a.value)
        FROM raw.bureau_vacancies v JOIN raw.bureau_vacancy_attributes a
          ON a._source = v._source AND a.vacancy_id = v.vacancy_id AND a.attribute = 'availability'
        WHERE v._source = 'bureau_north_vacancies' AND v.state = 'updated' AND v.closing_date > '2027'
          AND v.start_date <= ?
        GROUP BY ALL ORDER BY 1 LIMIT 1""", [AS_OF]).fetchone()
    days = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
            "sat": "Saturday", "sun": "Sunday"}
    cross = json.loads(json.dumps(base[10230061]))
    cross.update(id="v-crosspost", organisation={"id": "org-x", "type": "Organisation", "label": org})
    cross["session"][0]["location"][0]["address"] = f"1 High Street, {pc}"
    half = {"am": "Morning", "pm": "Afternoon"}
    cross["session"][0]["time"] = [{"id": f"t{i}", "begining": f"{start}T09:00:00", "end": f"{close}T17:00:00",
                                    "dayOfWeek": days[s[:3]], "timeOfDay": half[s[4:]]} for i, s in enumerate(slots)]
    return [farm, nowhere, unlabelled, cross], key


@pytest.fixture(scope="module")
def through_dbt(built, tmp_path_factory):
    """The built demo warehouse, plus the Team Kinetic export (and the derived variants) harvested over HTTP
    from their own partner sources, then the vacancy chain rebuilt by dbt."""
    from ingest.harvest import harvest_source
    from tests.conftest import use_var_dir
    from warehouse.dbt_build import invoke, summarise
    from warehouse.duck import write_connection
    from warehouse.settings import get_settings

    settings, dbt, _ = built
    assert dbt["success"], dbt["failures"]
    var_dir = tmp_path_factory.mktemp("vds_real_var")
    (var_dir / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, var_dir / "warehouse" / "private.duckdb")
    registry = var_dir / "sources.yml"
    registry.write_text(yaml.safe_dump({"defaults": {"conn_id": "cg_test", "max_pages": 1, "archive_payloads": False},
                                        "sources": [{"id": "vds_teamkinetic", "family": "volunteering",
                                                     "protocol": "vds_activities", "path": "/activity.json"},
                                                    {"id": "vds_teamkinetic_variants", "family": "volunteering",
                                                     "protocol": "vds_activities", "path": "/variants.json"}]}))
    out: dict = {}
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        mp.setenv("CG_SOURCES_FILE", str(registry))
        settings = get_settings()
        with write_connection(settings.warehouse_path) as con:
            docs, out["cross_key"] = variants(con)
            for pcds, lsoa, lat, lon in NEAR.values():
                con.execute("INSERT INTO raw.ons_postcodes BY NAME SELECT 'test' AS _load_id, 'test_written' AS "
                            "_source, ? AS pcd, ? AS pcds, '202301' AS date_introduced, '' AS date_terminated, "
                            "? AS lsoa_code, ? AS latitude, ? AS longitude",
                            [pcds, pcds, lsoa, str(lat), str(lon)])
                con.execute("INSERT INTO raw.ons_lsoa_lookup BY NAME SELECT 'test' AS _load_id, 'test_written' AS "
                            "_source, ? AS lsoa_code, 'Test LSOA' AS lsoa_name, 'E05999999' AS ward_code, "
                            "'Test ward' AS ward_name, 'E06999999' AS lad_code, 'Test authority' AS lad_name, "
                            "? AS latitude, ? AS longitude", [lsoa, str(lat), str(lon)])
        with serve({"/activity.json": SAMPLE.read_bytes(), "/variants.json": docs}) as (base, _):
            out["loads"] = {s: harvest_source(s, base_url=base)[0] for s in ("vds_teamkinetic",
                                                                           "vds_teamkinetic_variants")}
        out["dbt"] = summarise(invoke(["build", *SELECT], settings))
        out["con"] = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield out
    out["con"].close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, *args) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(sql, list(args)).fetchall()}


def test_every_landed_activity_is_listed_once_or_excluded_with_a_reason(through_dbt):
    assert through_dbt["dbt"]["success"], through_dbt["dbt"]["failures"]
    real, derived = through_dbt["loads"]["vds_teamkinetic"], through_dbt["loads"]["vds_teamkinetic_variants"]
    assert (real["received"], real["loaded"], real["quarantined"]) == (8, 8, 0)
    assert (derived["received"], derived["loaded"], derived["quarantined"]) == (4, 3, 1)
    con = through_dbt["con"]
    audit = rows(con, "SELECT vacancy_id, outcome, exclusion_reason, vacancy_uid FROM "
                      "intermediate.int_vacancy_adverts_audit WHERE bureau_feed = 'vds_teamkinetic'")
    assert {k: (v[0] if v[0] == "listed" else v[1]) for k, v in audit.items()} == EXPECTED
    listed = {k: v[2] for k, v in audit.items() if v[0] == "listed"}
    lineage = con.execute("SELECT vacancy_key, count(*) FROM intermediate.int_vacancy_lineage WHERE vacancy_key "
                          "LIKE 'vds_teamkinetic:%' GROUP BY 1").fetchall()
    assert {k.split(":")[1]: n for k, n in lineage} == {k: 1 for k in listed}
    marts = rows(con, "SELECT vacancy_uid, source_vacancy_keys FROM marts.volunteer_vacancies")
    assert all(marts[uid] == (f"vds_teamkinetic:{k}",) for k, uid in listed.items())


def test_activities_arrive_in_volunteer_vacancies_with_titles_dates_and_places(through_dbt):
    con = through_dbt["con"]
    got = rows(con, """SELECT split_part(source_vacancy_keys, ':', 2), title, start_date::varchar,
                              closing_date::varchar, lsoa_code, ward_name, url, hours_per_week
                       FROM marts.volunteer_vacancies WHERE bureau_feeds = 'vds_teamkinetic'""")
    assert set(got) == {k for k, v in EXPECTED.items() if v == "listed"}
    assert got["10241623"] == ("Volunteer Administrator", "2026-12-05", "2027-05-14", "E01999991", "Test ward",
                               "https://volunteer.quarriers.org.uk/volunteers/opportunity/10241623", None)
    assert got["10230061"][3] == "E01999992"
    assert got["10257896"][3] is None  # its point is far from every postcode in this lookup
    placed = rows(con, "SELECT a.vacancy_id, l.located_by, round(l.nearest_postcode_km, 1), l.unplaced_reason "
                       "FROM intermediate.int_vacancy_adverts_audit a JOIN intermediate.int_vds_activities_located l "
                       "USING (vacancy_key) WHERE a.bureau_feed LIKE 'vds_teamkinetic%'")
    assert placed["10241623"] == ("coordinates", 0.4, None)
    assert placed["10257896"][0] is None and placed["10257896"][2].startswith("coordinates more than 2 km")
    assert placed["v-nolocation"] == (None, None, "no location")
    assert placed["v-postcode"][0] == "postcode"


def test_skills_map_through_the_shared_vocabulary_and_unknown_wordings_are_reported(through_dbt):
    con = through_dbt["con"]
    (skills, advertised, causes), = con.execute(
        "SELECT skills_needed, skills_as_advertised, causes FROM marts.volunteer_vacancies "
        "WHERE source_vacancy_keys = 'vds_teamkinetic_variants:v-postcode'").fetchall()
    assert skills == ["admin"] and advertised == ["Administration", "Bee-keeping"] and causes == ["Older people"]
    unmapped = con.execute("SELECT term_kind, term_text, vacancy_uses FROM intermediate.int_skills_unmapped").fetchall()
    assert ("skill", "Bee-keeping", 1) in unmapped


def test_a_cross_post_in_vds_layout_merges_with_the_rpde_advert_of_another_bureau(through_dbt):
    con = through_dbt["con"]
    (keys, count, matched), = con.execute(
        "SELECT source_vacancy_keys, advert_count, matched_volunteers FROM marts.volunteer_vacancies "
        "WHERE source_vacancy_keys LIKE '%vds_teamkinetic_variants:v-crosspost%'").fetchall()
    assert through_dbt["cross_key"] in keys.split("; ") and count >= 2
    assert matched > 0  # placed, so eligible for volunteer_matches
