"""Ingestion of every demo feed over real HTTP into a private DuckDB warehouse."""

from __future__ import annotations

import re

import duckdb
import pytest
import requests

from ingest.harvest import HarvestError, harvest_source
from tests.conftest import clear_identifier_hits, demo_identifiers, harvest_all, reset_server, use_var_dir
from warehouse.settings import get_settings

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' ORDER BY 1").fetchall()]


def test_every_load_reconciles(harvested):
    _, results = harvested
    assert {r["source"].split("/")[0] for r in results} == {
        "ons_area", "ons_boundaries", "surveys", "directory_council", "directory_nhs", "directory_vcs",
        "bureau_north_vacancies", "bureau_south_vacancies", "bureau_platform_vacancies", "bureau_north_volunteers",
        "bureau_south_volunteers"}
    for r in results:
        assert r["status"] == "loaded", r
        assert r["received"] == r["loaded"] + r["quarantined"], r
        assert r["loaded"] > 0, r


def test_quarantine_matches_the_deliberate_bad_input(harvested, county_manifest):
    _, results = harvested
    by_source = {r["source"]: r for r in results}
    for survey_id, info in county_manifest["surveys"].items():
        if not isinstance(info, dict) or "bad_rows" not in info:
            continue
        load = by_source[f"surveys/{survey_id}"]
        assert load["received"] == info["rows"]
        assert load["loaded"] == info["valid_rows"], survey_id
    for directory, info in county_manifest["directories"].items():
        if directory.startswith("_"):
            continue
        assert by_source[f"directory_{directory}"]["quarantined"] == len(info["invalid_records"])
    for bureau, info in county_manifest["bureaus"].items():
        if bureau.startswith("_"):
            continue
        assert by_source[f"bureau_{bureau}_volunteers"]["quarantined"] == sum(info["bad_volunteers"].values())
    platform = county_manifest["bureaus"]["_vds_platform"]
    load = by_source["bureau_platform_vacancies"]
    assert (load["received"], load["quarantined"]) == (platform["activities"], sum(platform["bad_activities"].values()))
    area = county_manifest["area"]["bad_rows"]
    assert by_source["ons_area"]["quarantined"] == sum(sum(v.values()) for v in area.values())
    boundaries = county_manifest["area"]["boundaries"]
    assert by_source["ons_boundaries"]["received"] == boundaries["features"]
    assert by_source["ons_boundaries"]["quarantined"] == sum(boundaries["bad_features"].values())


def test_quarantine_rows_carry_a_reason(harvested):
    settings, results = harvested
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT _source, count(*), count(reason) FROM raw.quarantine GROUP BY 1").fetchall()
    quarantined = {r["source"]: r["quarantined"] for r in results if r["quarantined"]}
    assert {s: n for s, n, _ in rows} == quarantined
    assert all(n == with_reason for _, n, with_reason in rows)


def test_no_identifying_field_lands_in_clear(harvested, county_data):
    """Every clear email, name, date of birth and postcode of the demo's residents: none is stored."""
    settings, _ = harvested
    identifiers = demo_identifiers(county_data)
    assert all(len(v) > 100 for v in identifiers.values()), {k: len(v) for k, v in identifiers.items()}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert clear_identifier_hits(con, identifiers) == []
        quarantined = [r[0] for r in con.execute(
            "SELECT record_json FROM raw.quarantine WHERE family IN ('surveys', 'volunteering')").fetchall()]
    for record in quarantined:
        assert not EMAIL.search(record), record
        assert not any(dob in record for dob in identifiers["dob"] if len(dob) >= 8), record


def test_survey_respondents_keep_lsoa_and_age_band(harvested):
    settings, _ = harvested
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        located, total, banded = con.execute(
            "SELECT count(lsoa_code), count(*), count(age_band_code) FROM raw.survey_respondents").fetchall()[0]
    assert located / total > 0.9
    assert banded / total > 0.8


def test_rerun_replaces_its_partition(tmp_path, monkeypatch, demo_url):
    use_var_dir(monkeypatch, tmp_path)
    reset_server(demo_url)
    first = harvest_source("directory_nhs", base_url=demo_url, run_key="one")
    second = harvest_source("directory_nhs", base_url=demo_url, run_key="two")
    assert first[0]["loaded"] == second[0]["loaded"]
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        rows, loads = con.execute(
            "SELECT count(*), count(DISTINCT _load_id) FROM raw.directory_services").fetchall()[0]
        ledger = con.execute("SELECT count(*) FROM meta.load_ledger WHERE source='directory_nhs'").fetchall()[0][0]
    assert rows == first[0]["loaded"] and loads == 1 and ledger == 2


def test_schema_drift_fails_clearly_and_keeps_the_previous_partition(tmp_path, monkeypatch, demo_url):
    use_var_dir(monkeypatch, tmp_path)
    reset_server(demo_url)
    good = harvest_source("ons_area", base_url=demo_url, run_key="good")[0]
    requests.post(f"{demo_url}/_control/faults", json={"path_prefix": "/area/imd.csv", "mode": "rename_column",
                                                       "column": "Index of Multiple Deprivation (IMD) Decile "
                                                                 "(where 1 is most deprived 10% of LSOAs)",
                                                       "new_name": "IMD decile"}, timeout=5).raise_for_status()
    try:
        with pytest.raises(HarvestError, match="IMD\\) Decile"):
            harvest_source("ons_area", base_url=demo_url, run_key="drift")
    finally:
        reset_server(demo_url)
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.imd").fetchall()[0][0] == 500
        status, error = con.execute(
            "SELECT status, error FROM meta.load_ledger WHERE load_id = 'ons_area@drift'").fetchall()[0]
    assert status == "failed" and "not found" in error
    assert good["loaded"] > 0


def test_whole_harvest_is_repeatable(tmp_path, monkeypatch, demo_url, harvested):
    """A second warehouse built from the same feeds holds the same raw rows (provenance aside)."""
    use_var_dir(monkeypatch, tmp_path)
    reset_server(demo_url)
    harvest_all(demo_url)
    settings, _ = harvested
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        con.execute(f"ATTACH '{settings.warehouse_path}' AS other (READ_ONLY)")
        for table in ("survey_respondents", "survey_answers", "directory_services", "bureau_volunteers"):
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema='raw' AND table_name=? "
                "AND table_catalog = current_database() AND NOT starts_with(column_name, '_')", [table]).fetchall()]
            listed = ", ".join(cols)
            diff = con.execute(f"SELECT count(*) FROM (SELECT {listed} FROM raw.{table} "
                               f"EXCEPT ALL SELECT {listed} FROM other.raw.{table})").fetchall()[0][0]
            assert diff == 0, table
