"""ONS products under their official column names (ingest/ons_aliases.yml), through the real reader.

The headers are the official ones (IoD2025 File 7; ONSPD/NSPL editions); the data rows are written
here (no ONS file could be fetched into the repository in the time available)."""

from __future__ import annotations

import pytest

from ingest.csv_text import SchemaDriftError
from ingest.feeds.area_profiles import AREA_FILES, _postcode_scope, resolve_header

SPEC = {spec.path: spec for spec in AREA_FILES}

IOD2025_FILE7 = ["LSOA code (2021)", "LSOA name (2021)", "Local Authority District code (2024)",
                 "Local Authority District name (2024)",
                 "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
                 "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
                 "Income Rank (where 1 is most deprived)"]
IOD2019 = ["LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
           "Local Authority District name (2019)", "Index of Multiple Deprivation (IMD) Rank",
           "Index of Multiple Deprivation (IMD) Decile"]


def test_iod2025_file7_official_names_are_accepted():
    positions, extra = resolve_header(IOD2025_FILE7, SPEC["imd.csv"])
    assert positions == {"lsoa_code": 0, "lsoa_name": 1, "lad_code": 2, "lad_name": 3, "imd_rank": 4, "imd_decile": 5}
    assert extra == ["Income Rank (where 1 is most deprived)"]


def test_iod2019_is_refused_for_its_2011_lsoas():
    with pytest.raises(SchemaDriftError, match=r"Indices of Deprivation 2019, which uses 2011 LSOAs.*IoD2025"):
        resolve_header(IOD2019, SPEC["imd.csv"])


@pytest.mark.parametrize("header", [
    ["pcd7", "pcd8", "pcds", "dointr", "doterm", "lad25cd", "wd25cd", "lsoa21cd", "lat", "long"],  # ONSPD 2025
    ["pcd", "pcd2", "pcds", "dointr", "doterm", "oslaua", "osward", "lsoa21", "lat", "long"],      # ONSPD older
    ["pcd", "pcd2", "pcds", "dointr", "doterm", "laua", "ward", "lsoa21", "lat", "long"],          # NSPL
    ["pcds", "lad26cd", "lsoa21cd", "lat", "long"],                                                # minimal
])
def test_onspd_and_nspl_editions_resolve_to_the_same_columns(header):
    positions, _ = resolve_header(header, SPEC["postcodes.csv"])
    assert {"pcds", "lad_code", "lsoa_code", "latitude", "longitude"} <= set(positions)
    assert header[positions["lad_code"]] in ("lad25cd", "oslaua", "laua", "lad26cd")


def test_missing_required_postcode_column_is_drift_naming_the_aliases():
    with pytest.raises(SchemaDriftError,
                       match=r"lsoa21 \(column lsoa_code; header patterns \['lsoa21', 'lsoa21cd'\]\)"):
        resolve_header(["pcds", "oslaua", "lat", "long"], SPEC["postcodes.csv"])


def test_no_grid_reference_is_blank_not_a_bad_latitude():
    row = {"pcds": "GL1 1AA", "lsoa_code": "E01022000", "lad_code": "E07000081", "latitude": "99.999999",
           "longitude": "0.000000"}
    assert _postcode_scope(row, SPEC["postcodes.csv"]) is None
    assert (row["latitude"], row["longitude"]) == ("", "")
    assert SPEC["postcodes.csv"].check(row) is None


@pytest.mark.parametrize(("lsoa", "lad"), [("S01006506", "S12000033"), ("95AA01S1", "N09000003"), ("", "L99999999")])
def test_scottish_and_northern_irish_rows_are_skipped_with_that_reason(lsoa, lad):
    row = {"pcds": "AB10 1AA", "lsoa_code": lsoa, "lad_code": lad, "latitude": "57.1", "longitude": "-2.1"}
    assert _postcode_scope(row, SPEC["postcodes.csv"]).startswith("out of scope: Scottish/Northern Irish")


def test_english_and_welsh_rows_are_in_scope():
    row = {"pcds": "CF10 1AA", "lsoa_code": "W01001900", "lad_code": "W06000015", "latitude": "51.4",
           "longitude": "-3.1"}
    assert _postcode_scope(row, SPEC["postcodes.csv"]) is None


# --- the whole bundle over real HTTP in the official layouts ------------------------------------------------

def _csv(header: list[str], *rows: list[str]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def test_official_layouts_load_through_the_bundle_reader_over_http():
    from ingest.feeds.area_profiles import read_area_bundle
    from ingest.http_client import FeedClient
    from ingest.landing import LoadContext
    from ingest.sources import Source
    from tests.fixture_server import serve

    lsoas = ["E01022001", "E01022002"]
    ts021 = ["date", "geography", "geography code", "Ethnic group: Total: All usual residents",
             "Ethnic group: Asian, Asian British or Asian Welsh", "Ethnic group: Asian, Asian British or Asian Welsh: "
             "Indian", "Ethnic group: Black, Black British, Black Welsh, Caribbean or African",
             "Ethnic group: Mixed or Multiple ethnic groups", "Ethnic group: White", "Ethnic group: Other ethnic group"]
    files = {
        "lsoa_lookup.csv": _csv(["LSOA21CD", "LSOA21NM", "WD25CD", "WD25NM", "LAD25CD", "LAD25NM", "LAT", "LONG"],
                                *[[c, f"Stroud {c[-3:]}", "E05010001", "Central", "E07000082", "Stroud", "51.7",
                                   "-2.2"] for c in lsoas]),
        "census_age_sex.csv": _csv(["Lower layer Super Output Areas Code", "Lower layer Super Output Areas",
                                    "Sex (2 categories) Code", "Sex (2 categories)", "Age (7 categories) Code",
                                    "Age (7 categories)", "Observation"],
                                   *[[c, "x", "1", "Female", "2", "Aged 16 to 24 years", "40"] for c in lsoas]),
        "census_ethnicity.csv": _csv(ts021, *[["2021", f"Stroud {c[-3:]}", c, "100", "10", "7", "5", "5", "75", "5"]
                                              for c in lsoas]),
        "imd.csv": _csv(IOD2025_FILE7, *[[c, "x", "E07000082", "Stroud", "12000", "4", "9000"] for c in lsoas]),
        "postcodes.csv": _csv(["pcd7", "pcd8", "pcds", "dointr", "doterm", "lad25cd", "wd25cd", "lsoa21cd", "lat",
                               "long"],
                              ["GL5 1AA", "GL5  1AA", "GL5 1AA", "198001", "", "E07000082", "E05010001", lsoas[0],
                               "51.74", "-2.21"],
                              ["GL5 1AB", "GL5  1AB", "GL5 1AB", "198001", "", "E07000082", "E05010001", lsoas[1],
                               "99.999999", "0.000000"],
                              ["AB101AA", "AB10 1AA", "AB10 1AA", "198001", "", "S12000033", "S13002842",
                               "S01006506", "57.14", "-2.09"]),
    }
    src = Source(id="ons_real", family="area_profiles", protocol="ons_area_bundle", path="/area", conn_id="x",
                 max_bytes=1 << 24, connect_timeout=5, read_timeout=10, max_pages=1, archive_payloads=False)
    with serve({f"/area/{name}": body for name, body in files.items()}) as (base, _), \
            FeedClient(src.id, base) as client:
        landing = read_area_bundle(client, src, LoadContext(src.id, src.family, "ons_real@t"))
    tables = {t.name: t.rows.to_pylist() for t in landing.tables}
    assert [q.reason for q in landing.quarantine] == [
        "out of scope: Scottish/Northern Irish/Crown dependency area code 'S01006506' (England and Wales only)"]
    ethnicity = {(r["lsoa_code"], r["ethnic_group_code"]): r["observation"] for r in tables["census_ethnicity"]}
    assert len(ethnicity) == 10 and ethnicity[(lsoas[0], "4")] == "75" and ethnicity[(lsoas[1], "1")] == "10"
    assert [(r["imd_rank"], r["imd_decile"]) for r in tables["imd"]] == [("12000", "4")] * 2
    postcodes = {r["pcds"]: (r["lad_code"], r["latitude"]) for r in tables["ons_postcodes"]}
    assert postcodes == {"GL5 1AA": ("E07000082", "51.74"), "GL5 1AB": ("E07000082", "")}
    assert any("NOMIS wide layout, 2 area row(s) → 10 long row(s)" in n for n in landing.notes)
    assert landing.received == landing.loaded + landing.quarantined
