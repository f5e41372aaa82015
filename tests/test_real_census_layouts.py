"""Census 2021 in the two layouts ONS publishes it: the ONS custom dataset (long, "Create a custom dataset") and
the NOMIS bulk CSV (wide, e.g. TS021), under their official headers, through the area bundle's header
resolution. Headers are the products'; rows are written here. Which product supplies sex x age: only a custom
dataset (LSOA x Sex (2 categories) x Age (7 categories)); NOMIS TS007A has age without sex and is refused."""

from __future__ import annotations

import pytest

from ingest.csv_text import CsvRows, SchemaDriftError
from ingest.feeds.area_profiles import AREA_FILES, nomis_wide_to_long, resolve_header

SPEC = {spec.path: spec for spec in AREA_FILES}

CUSTOM_AGE_SEX = ["Lower layer Super Output Areas Code", "Lower layer Super Output Areas", "Sex (2 categories) Code",
                  "Sex (2 categories)", "Age (7 categories) Code", "Age (7 categories)", "Observation"]
CUSTOM_ETHNICITY = ["Lower layer Super Output Areas Code", "Lower layer Super Output Areas",
                    "Ethnic group (6 categories) Code", "Ethnic group (6 categories)", "Observation"]
NOMIS_TS007A = ["date", "geography", "geography code", "Age: Total", "Age: Aged 4 years and under",
                "Age: Aged 5 to 9 years", "Age: Aged 85 years and over"]
NOMIS_TS021 = ["date", "geography", "geography code", "Ethnic group: Total: All usual residents",
               "Ethnic group: Asian, Asian British or Asian Welsh",
               "Ethnic group: Asian, Asian British or Asian Welsh: Bangladeshi",
               "Ethnic group: Black, Black British, Black Welsh, Caribbean or African",
               "Ethnic group: Mixed or Multiple ethnic groups", "Ethnic group: White",
               "Ethnic group: Other ethnic group", "Ethnic group: Other ethnic group: Arab"]


def test_custom_dataset_long_layouts_resolve_every_column():
    positions, extra = resolve_header(CUSTOM_AGE_SEX, SPEC["census_age_sex.csv"])
    assert positions == {"lsoa_code": 0, "lsoa_name": 1, "sex_code": 2, "sex_label": 3, "age_band_code": 4,
                         "age_band_label": 5, "observation": 6} and extra == []
    positions, extra = resolve_header(CUSTOM_ETHNICITY, SPEC["census_ethnicity.csv"])
    assert positions == {"lsoa_code": 0, "lsoa_name": 1, "ethnic_group_code": 2, "ethnic_group_label": 3,
                         "observation": 4} and extra == []


def test_custom_dataset_without_the_optional_label_columns_is_accepted():
    header = ["Lower layer Super Output Areas Code", "Sex (2 categories) Code", "Age (7 categories) Code",
              "Observation"]
    positions, _ = resolve_header(header, SPEC["census_age_sex.csv"])
    assert set(positions) == {"lsoa_code", "sex_code", "age_band_code", "observation"}


def test_nomis_ts021_wide_becomes_the_long_layout_with_the_six_headline_groups():
    parsed = CsvRows(header=NOMIS_TS021, rows=[["2021", "Stroud 001A", "E01022001", "1600", "40", "10", "16", "32",
                                                "1500", "12", "3"]], encoding="utf-8")
    long = nomis_wide_to_long(parsed, SPEC["census_ethnicity.csv"])
    assert long is not None and long.header == CUSTOM_ETHNICITY
    assert [(r[2], r[4]) for r in long.rows] == [("1", "40"), ("2", "16"), ("3", "32"), ("4", "1500"), ("5", "12")]
    positions, _ = resolve_header(long.header, SPEC["census_ethnicity.csv"])
    assert positions["observation"] == 4


def test_nomis_ts007a_is_refused_as_sex_x_age_naming_the_custom_dataset():
    with pytest.raises(SchemaDriftError, match=r"census_age_sex.csv: refused: this file is a NOMIS bulk table of "
                                               r"age without sex \(e.g. TS007A.*Sex \(2 categories\) x Age \(7 "
                                               r"categories\)"):
        resolve_header(NOMIS_TS007A, SPEC["census_age_sex.csv"])


@pytest.mark.parametrize(("header", "path", "named"), [
    ([*CUSTOM_AGE_SEX[:4], "Age (6 categories) Code", "Age (6 categories)", "Observation"], "census_age_sex.csv",
     "another age classification"),
    ([*CUSTOM_ETHNICITY[:2], "Ethnic group (20 categories) Code", "Ethnic group (20 categories)", "Observation"],
     "census_ethnicity.csv", "another ethnic group classification"),
])
def test_other_classifications_are_refused_not_mis_coded(header, path, named):
    with pytest.raises(SchemaDriftError, match=f"{path}: refused: this file uses {named}"):
        resolve_header(header, SPEC[path])
