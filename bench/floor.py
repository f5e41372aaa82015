"""The fair floor: the least work any pipeline over these inputs must do, timed in isolation.

Two parts, each in its own process (``bench.run`` times them with ``run_stage``):

- ``load``: every raw input file the generator wrote loaded into DuckDB *tables* (not merely counted) —
  the area CSVs, the boundaries GeoJSON, every survey export, every directory, every bureau's volunteers
  and vacancy feed;
- ``splink``: the respondent linkage alone — ``analytics.respondent_linkage.link_respondents`` (the very
  function the dbt model calls, so the same Splink settings, blocking, training and clustering) on the
  same respondents the pipeline linked (read from the built private warehouse).

Alongside, a *peer* figure rather than a floor: ``pandas_area_profiles`` builds the census and
deprivation columns of the ``area_profiles`` mart from the raw CSVs with a plain pandas script — what a
one-off analyst script costs for one mart, with no ledger, quarantine, tests or publication.
"""

from __future__ import annotations

import glob
import json
import time
from pathlib import Path
from typing import Any


def load_raw(data_dir: str) -> dict[str, Any]:
    """Load every raw input into an in-memory DuckDB table; returns rows loaded and seconds per kind."""
    import duckdb

    con = duckdb.connect()
    rows = 0
    tables = 0
    started = time.perf_counter()

    def load(sql: str, path: str) -> None:
        nonlocal rows, tables
        tables += 1
        con.execute(f"CREATE TABLE t{tables} AS {sql}", [path])
        rows += con.execute(f"SELECT count(*) FROM t{tables}").fetchall()[0][0]

    for path in sorted(glob.glob(data_dir + "/area/*.csv")):
        load("SELECT * FROM read_csv(?, all_varchar=true)", path)
    for path in sorted(glob.glob(data_dir + "/area/*.geojson")):
        load("SELECT * FROM read_json(?, maximum_object_size=2000000000)", path)  # one row per feature
    for path in sorted(glob.glob(data_dir + "/surveys/*/responses.csv")):
        # DuckDB reads UTF-8 only here; the Windows-1252 export is loaded with invalid rows skipped
        load("SELECT * FROM read_csv(?, all_varchar=true, ignore_errors=true)", path)
    for path in sorted(glob.glob(data_dir + "/directories/*/services.json")) + \
            sorted(glob.glob(data_dir + "/bureaus/*/volunteers.json")):
        load("SELECT * FROM read_json(?, format='array', maximum_object_size=100000000)", path)
    for path in sorted(glob.glob(data_dir + "/bureaus/*/vacancy_items.jsonl")):
        load("SELECT * FROM read_json(?, format='newline_delimited')", path)
    con.close()
    return {"rows": int(rows), "tables": tables, "seconds": time.perf_counter() - started}


def splink_alone(private_path: str) -> dict[str, Any]:
    """Link the pipeline's respondents with the pipeline's own linkage function, timing only the linkage."""
    import duckdb

    from analytics.respondent_linkage import link_respondents

    con = duckdb.connect(private_path, read_only=True)
    respondents = con.execute("SELECT * FROM staging.stg_surveys__respondents").df()
    con.close()
    started = time.perf_counter()
    result = link_respondents(respondents)
    seconds = time.perf_counter() - started
    return {"rows": len(respondents), "linkage_seconds": seconds,
            "residents": int(result.clusters["resident_key"].nunique())}


def pandas_area_profiles(data_dir: str) -> dict[str, Any]:
    """Peer: area_profiles' geography, census and deprivation columns from the raw CSVs in pandas."""
    import pandas as pd

    area = Path(data_dir) / "area"
    # values cast as the staging models do (safe casts: an unparseable count is missing, not an error)
    # the ONS layout: the lookup names the areas, the centroids come from their own file (x = longitude)
    lsoas = pd.read_csv(area / "lsoa_lookup.csv", dtype=str).rename(columns={
        "LSOA21CD": "lsoa_code", "LSOA21NM": "lsoa_name", "WD24CD": "ward_code", "WD24NM": "ward_name",
        "LAD24CD": "lad_code", "LAD24NM": "lad_name"})[["lsoa_code", "lsoa_name", "ward_code", "ward_name",
                                                       "lad_code", "lad_name"]]
    centroids = pd.read_csv(area / "lsoa_centroids.csv", dtype=str).rename(columns={
        "LSOA21CD": "lsoa_code", "y": "latitude", "x": "longitude"})[["lsoa_code", "latitude", "longitude"]]
    lsoas = lsoas.merge(centroids, on="lsoa_code", how="left")
    age = pd.read_csv(area / "census_age_sex.csv", dtype=str)
    age = age.set_axis(["lsoa_code", "lsoa_name", "sex_code", "sex", "age_band_code", "age_band", "population"],
                       axis=1)
    age["population"] = pd.to_numeric(age["population"], errors="coerce")
    population = age.groupby("lsoa_code").agg(population_total=("population", "sum"))
    population["population_16_plus"] = age[age["age_band_code"] != "1"].groupby("lsoa_code")["population"].sum()
    older = age[age["age_band_code"].isin(["6", "7"])].groupby("lsoa_code")["population"].sum()
    population["pct_aged_65_plus"] = (100.0 * older / population["population_total"]).round(1)
    eth = pd.read_csv(area / "census_ethnicity.csv", dtype=str)
    eth = eth.set_axis(["lsoa_code", "lsoa_name", "ethnic_group_code", "ethnic_group", "population"], axis=1)
    eth["population"] = pd.to_numeric(eth["population"], errors="coerce")
    eth = eth[eth["ethnic_group_code"] != "-8"]
    not_white = eth[eth["ethnic_group_code"] != "4"].groupby("lsoa_code")["population"].sum()
    population["pct_ethnic_minority"] = (100.0 * not_white / eth.groupby("lsoa_code")["population"].sum()).round(1)
    imd = pd.read_csv(area / "imd.csv", dtype=str)
    imd = imd.iloc[:, [0, 4, 5]].set_axis(["lsoa_code", "imd_rank", "imd_decile"], axis=1)
    imd[["imd_rank", "imd_decile"]] = imd[["imd_rank", "imd_decile"]].apply(pd.to_numeric, errors="coerce")
    lsoas[["latitude", "longitude"]] = lsoas[["latitude", "longitude"]].apply(pd.to_numeric, errors="coerce")
    out = lsoas.merge(population.reset_index(), on="lsoa_code", how="left").merge(imd, on="lsoa_code", how="left")
    out.to_parquet(Path(data_dir).parent / "pandas_area_profiles.parquet", index=False)
    return {"rows": len(out)}


if __name__ == "__main__":  # python -m bench.floor load|splink|pandas PATH
    import sys

    part, path = sys.argv[1], sys.argv[2]
    fn = {"load": load_raw, "splink": splink_alone, "pandas": pandas_area_profiles}[part]
    print("RESULT:" + json.dumps(fn(path)))
