"""Write the area files in the ONS products' official layouts (docs/feeds.md §1), including a few
quarantine-worthy census rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from demo.geography import Geography
from demo.population import census_age_sex, census_ethnicity
from demo.writers import write_csv

BAD_OBSERVATIONS = np.array(["x", "c", "n/a", "-", ".."], dtype=object)


def _fmt(values: np.ndarray, places: int = 6) -> np.ndarray:
    return np.char.mod(f"%.{places}f", values).astype(object)


def lsoa_lookup(geo: Geography) -> pd.DataFrame:
    """The ONS "LSOA (2021) to Electoral Ward (2024) to LAD (2024)" lookup layout: no coordinates."""
    lsoas, wards, districts = geo.lsoas, geo.wards, geo.districts
    ward, district = lsoas["ward"].to_numpy(), lsoas["district"].to_numpy()
    return pd.DataFrame({
        "LSOA21CD": lsoas["code"], "LSOA21NM": lsoas["name"],
        "WD24CD": wards["code"].to_numpy()[ward], "WD24NM": wards["name"].to_numpy()[ward],
        "LAD24CD": districts["code"].to_numpy()[district], "LAD24NM": districts["name"].to_numpy()[district],
        "ObjectId": np.arange(1, len(lsoas) + 1),
    })


def lsoa_centroids(geo: Geography) -> pd.DataFrame:
    """The ONS "LSOA (Dec 2021) Population Weighted Centroids" layout (its own file), x/y as WGS84
    longitude/latitude (a download re-projected to WGS84; the reader also takes the grid's eastings/northings)."""
    lsoas = geo.lsoas
    n = len(lsoas)
    return pd.DataFrame({
        "FID": np.arange(1, n + 1), "LSOA21CD": lsoas["code"],
        "GlobalID": np.array([f"{{{i:08X}-0000-4000-8000-{i:012X}}}" for i in range(1, n + 1)], dtype=object),
        "x": _fmt(lsoas["lon"].to_numpy()), "y": _fmt(lsoas["lat"].to_numpy()),
    })


def imd(geo: Geography) -> pd.DataFrame:
    lsoas, districts = geo.lsoas, geo.districts
    district = lsoas["district"].to_numpy()
    return pd.DataFrame({
        "LSOA code (2021)": lsoas["code"], "LSOA name (2021)": lsoas["name"],
        "Local Authority District code (2024)": districts["code"].to_numpy()[district],
        "Local Authority District name (2024)": districts["name"].to_numpy()[district],
        # IoD2025 File 7 official names
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": lsoas["imd_rank"],
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": lsoas["imd_decile"],
    })


def postcodes(geo: Geography) -> pd.DataFrame:
    """ONSPD in its current column names (pcd7/pcd8, ladNNcd, wdNNcd, lsoa21cd)."""
    pc = geo.postcodes
    return pd.DataFrame({
        "pcd7": pc["pcd"], "pcd8": pc["pcd2"], "pcds": pc["pcds"], "dointr": pc["dointr"].astype(str),
        "doterm": np.where(pc["live"], "", pc["doterm"].astype(str)),
        "lad25cd": geo.districts["code"].to_numpy()[pc["district"].to_numpy()],
        "wd25cd": geo.wards["code"].to_numpy()[pc["ward"].to_numpy()],
        "lsoa21cd": geo.lsoas["code"].to_numpy()[pc["lsoa"].to_numpy()],
        "lat": _fmt(pc["lat"].to_numpy()), "long": _fmt(pc["lon"].to_numpy()),
    })


def _malformed(code: str, kind: int) -> str:
    return (code[:-1], code.replace("E01", "E0l", 1), code.lower(), code[:3] + " " + code[3:])[kind % 4]


def with_bad_rows(rng: np.random.Generator, table: pd.DataFrame, per_kind: int) -> tuple[pd.DataFrame, dict]:
    """Insert copies of real rows with a malformed LSOA code or a non-numeric Observation after their source."""
    code_col = table.columns[0]
    src = rng.choice(len(table), size=2 * per_kind, replace=False)
    extra = table.iloc[src].copy()
    codes = extra[code_col].to_numpy().copy()
    obs = extra["Observation"].to_numpy().copy()
    for i in range(per_kind):
        codes[i] = _malformed(str(codes[i]), int(rng.integers(0, 4)))
    obs[per_kind:] = BAD_OBSERVATIONS[rng.integers(0, len(BAD_OBSERVATIONS), per_kind)]
    extra[code_col], extra["Observation"] = codes, obs
    key = np.concatenate([np.arange(len(table), dtype=float), src + 0.5])
    combined = pd.concat([table, extra], ignore_index=True).iloc[np.argsort(key, kind="stable")]
    return combined.reset_index(drop=True), {"malformed_lsoa_code": per_kind, "non_numeric_observation": per_kind}


def write_area(rng: np.random.Generator, geo: Geography, cells: np.ndarray, out: Path) -> dict[str, Any]:
    """Write area/*.csv; return the manifest section."""
    folder = out / "area"
    per_kind = max(2, len(geo.lsoas) // 250)
    age_sex, bad_age = with_bad_rows(rng, census_age_sex(geo, cells), per_kind)
    ethnicity, bad_eth = with_bad_rows(rng, census_ethnicity(geo, cells), per_kind)
    rows = {
        "lsoa_lookup.csv": write_csv(folder / "lsoa_lookup.csv", lsoa_lookup(geo)),
        "lsoa_centroids.csv": write_csv(folder / "lsoa_centroids.csv", lsoa_centroids(geo)),
        "census_age_sex.csv": write_csv(folder / "census_age_sex.csv", age_sex),
        "census_ethnicity.csv": write_csv(folder / "census_ethnicity.csv", ethnicity),
        "imd.csv": write_csv(folder / "imd.csv", imd(geo)),
        "postcodes.csv": write_csv(folder / "postcodes.csv", postcodes(geo)),
    }
    return {
        "rows": rows,
        "bad_rows": {"census_age_sex.csv": bad_age, "census_ethnicity.csv": bad_eth},
        "lsoas": len(geo.lsoas), "wards": len(geo.wards), "districts": len(geo.districts),
        "unitary_districts": int(geo.districts["unitary"].sum()), "residents": int(cells.sum()),
        "postcodes": len(geo.postcodes), "terminated_postcodes": int((~geo.postcodes["live"]).sum()),
    }
