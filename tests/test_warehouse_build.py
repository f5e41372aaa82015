"""dbt build, the GX quality gate and publishing, on a warehouse harvested from the demo feeds."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from expectations.gate import QualityGateError, run_gate
from tests.conftest import use_var_dir
from warehouse.publish import publish, table_checksum
from warehouse.settings import get_settings


def test_dbt_build_passes_models_and_tests(built):
    _, dbt, _ = built
    assert dbt["success"], dbt["failures"]
    counts = dbt["counts"]
    assert counts.get("model:success", 0) >= 20
    assert counts.get("test:pass", 0) >= 50
    assert not [k for k in counts if k.endswith((":error", ":fail"))]


def test_gx_gate_passes(built):
    _, _, gx = built
    assert gx and all(r["success"] for r in gx), [r for r in gx if not r["success"]]
    assert {r["table"] for r in gx} >= {"marts.area_profiles", "marts.feed_reconciliation"}


def test_area_profiles_joins_every_feed_family(built):
    settings, _, _ = built
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        lsoas, people, responses, services, vacancies, volunteers = con.execute(
            "SELECT count(*), sum(population_total), sum(survey_responses), sum(service_locations), "
            "sum(open_vacancies), sum(registered_volunteers) FROM marts.area_profiles").fetchall()[0]
    assert lsoas == 500
    assert people > 500 * 1000
    assert responses > 5000 and services > 1000 and vacancies > 1000 and volunteers > 1000


@pytest.fixture
def private_copy(built, tmp_path, monkeypatch):
    settings, _, _ = built
    use_var_dir(monkeypatch, tmp_path)
    (tmp_path / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, tmp_path / "warehouse" / "private.duckdb")
    return get_settings()


def test_publish_holds_marts_only_and_matches_them(private_copy):
    record = publish("pub-1", private_copy)
    path = private_copy.published_path
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {(s, t) for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
        assert tables == {("main", t) for t in record["tables"]}
        assert {"area_profiles", "feed_reconciliation"} <= set(record["tables"])
        con.execute(f"ATTACH '{private_copy.warehouse_path}' AS private (READ_ONLY)")
        for table in record["tables"]:
            assert table_checksum(con, f"main.{table}") == table_checksum(con, f"private.marts.{table}")
    parquet = private_copy.parquet_dir / "current"
    assert sorted(p.stem for p in parquet.iterdir() if p.suffix == ".parquet") == sorted(record["tables"])
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp.duckdb")]


def test_failing_gate_leaves_the_published_file_untouched(private_copy):
    publish("pub-1", private_copy)
    before = private_copy.published_path.stat()
    with duckdb.connect(str(private_copy.warehouse_path)) as con:
        con.execute("UPDATE marts.area_profiles SET imd_decile = 11 WHERE lsoa_code IN "
                    "(SELECT lsoa_code FROM marts.area_profiles LIMIT 3)")
    with pytest.raises(QualityGateError, match="mart_area_profiles"):
        run_gate("bad-run", private_copy)
    after = private_copy.published_path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    with duckdb.connect(str(private_copy.warehouse_path), read_only=True) as con:
        failed = con.execute("SELECT suite, failed FROM meta.gx_results WHERE run_id='bad-run' AND NOT success"
                             ).fetchall()
    assert failed[0][0] == "mart_area_profiles" and "imd_decile" in failed[0][1]


def test_republish_is_an_atomic_swap(private_copy):
    publish("pub-1", private_copy)
    first = os.stat(private_copy.published_path).st_ino
    reader = duckdb.connect(str(private_copy.published_path), read_only=True)
    try:
        publish("pub-2", private_copy)
        # the open reader still sees its consistent snapshot; a new reader sees the new file
        assert reader.execute("SELECT count(*) FROM area_profiles").fetchall()[0][0] == 500
    finally:
        reader.close()
    assert os.stat(private_copy.published_path).st_ino != first


def test_no_clear_identifier_anywhere_in_the_built_warehouse(built, county_data):
    from tests.conftest import clear_identifier_hits, demo_identifiers

    settings, _, _ = built
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert clear_identifier_hits(con, demo_identifiers(county_data)) == []


def test_gate_fails_a_raw_row_outside_the_ons_lookup(private_copy):
    """The geography check (one expectation over every LSOA code of the lookup) still bites, and names the code."""
    from expectations.gate import all_suites

    with duckdb.connect(str(private_copy.warehouse_path)) as con:
        con.execute("UPDATE raw.imd SET lsoa_code = 'E01999999' WHERE lsoa_code IN "
                    "(SELECT lsoa_code FROM raw.imd ORDER BY lsoa_code LIMIT 2)")
    suites = [s for s in all_suites() if s.table == "raw.imd"]
    with pytest.raises(QualityGateError, match="raw_imd"):
        run_gate("unknown-lsoa", private_copy, suites)
    with duckdb.connect(str(private_copy.warehouse_path), read_only=True) as con:
        failed = con.execute("SELECT failed FROM meta.gx_results WHERE run_id = 'unknown-lsoa' AND NOT success"
                             ).fetchall()
    assert len(failed) == 1
    assert "expect_column_values_to_be_in_reference_set" in failed[0][0] and "E01999999" in failed[0][0]
    assert '"unexpected_count": 2' in failed[0][0]
