"""Invented but plausible geography: districts, wards, LSOAs with IMD ranks, and an ONSPD-like postcode list."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.constants import ENGLAND_LSOAS
from demo.names import place_names
from demo.scales import Scale

# Rough boxes (lat_min, lat_max, lon_min, lon_max) covering England, for district centres.
_ENGLAND_BOXES = np.array([
    (50.45, 51.20, -4.90, -2.60),  # south west
    (50.75, 51.75, -2.60, 1.30),  # south / south east
    (51.75, 52.95, -2.90, 1.60),  # midlands / east
    (52.95, 53.95, -3.00, -0.10),  # north west / yorkshire
    (53.95, 55.50, -2.90, -1.50),  # north east / cumbria
])
_BOX_WEIGHTS = np.array([0.12, 0.34, 0.26, 0.20, 0.08])
_CENTRES = {"tiny": (51.86, -2.25, 0.15), "county": (51.86, -2.25, 0.30), "region": (52.40, -1.90, 1.00)}
_AREA_FIRST = "ABCDEFGHJKLMNOPRSTUWYZ"
_AREA_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
LAT_RANGE, LON_RANGE = (49.95, 55.80), (-5.70, 1.75)


@dataclass
class Geography:
    """All area tables. Row i of ``lsoas`` is LSOA index i everywhere in the generator."""

    districts: pd.DataFrame  # code, name, unitary, lat, lon, pc_area, dial_code, urban, bureau, service_area
    wards: pd.DataFrame  # code, name, district, lat, lon, outward
    lsoas: pd.DataFrame  # code, name, ward, district, lat, lon, imd_rank, imd_decile
    postcodes: pd.DataFrame  # pcds, pcd, pcd2, lsoa, ward, district, lat, lon, dointr, doterm, live

    def live_postcodes_by_lsoa(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(postcode row index sorted by LSOA, start offset per LSOA, count per LSOA) of live postcodes."""
        live = self.postcodes.index[self.postcodes["live"]].to_numpy()
        lsoa = self.postcodes["lsoa"].to_numpy()[live]
        order = live[np.argsort(lsoa, kind="stable")]
        counts = np.bincount(lsoa, minlength=len(self.lsoas))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return order, starts, counts


def _split(rng: np.random.Generator, total: int, parts: int, minimum: int, shape: float) -> np.ndarray:
    """Split ``total`` into ``parts`` integers of at least ``minimum`` with gamma-distributed sizes."""
    weights = rng.gamma(shape, size=parts)
    extra = rng.multinomial(total - minimum * parts, weights / weights.sum())
    return extra + minimum


def _district_centres(rng: np.random.Generator, scale: Scale) -> tuple[np.ndarray, np.ndarray, float]:
    n = scale.n_districts
    if scale.name == "england":
        box = _ENGLAND_BOXES[rng.choice(len(_ENGLAND_BOXES), size=n, p=_BOX_WEIGHTS)]
        lat = rng.uniform(box[:, 0], box[:, 1])
        lon = rng.uniform(box[:, 2], box[:, 3])
        return lat, lon, 0.06
    lat0, lon0, spread = _CENTRES[scale.name]
    lat = lat0 + rng.uniform(-spread, spread, n)
    lon = lon0 + rng.uniform(-spread, spread, n) * 1.5
    return lat, lon, spread / 4


def _area_codes(rng: np.random.Generator, n: int) -> list[str]:
    singles = list("BEGLMNSW")
    doubles = [a + b for a in _AREA_FIRST for b in _AREA_SECOND]
    pool = [str(x) for x in rng.permutation(np.array(doubles, dtype=object))]
    n_single = min(len(singles), max(1, n // 40))
    chosen = [str(x) for x in rng.choice(singles, size=n_single, replace=False)] + pool[: n - n_single]
    return [str(x) for x in rng.permutation(np.array(chosen, dtype=object))]


def build_geography(rng: np.random.Generator, scale: Scale) -> Geography:
    """Districts → wards → LSOAs → postcodes, with spatially clustered deprivation."""
    nd, nw, nl = scale.n_districts, scale.n_wards, scale.n_lsoa
    names = place_names(rng, nd + nw)
    lat, lon, ward_spread = _district_centres(rng, scale)
    unitary = np.zeros(nd, dtype=bool)
    unitary[rng.choice(nd, size=scale.n_unitary, replace=False)] = True
    numbers = rng.choice(np.arange(100, 999), size=nd, replace=False)
    codes = [f"E06000{n:03d}" if u else f"E07000{n:03d}" for n, u in zip(numbers, unitary, strict=True)]
    dial = rng.choice(np.arange(1200, 1999), size=nd, replace=False)
    districts = pd.DataFrame({
        "code": codes, "name": names[:nd], "unitary": unitary, "lat": lat, "lon": lon,
        "pc_area": _area_codes(rng, nd), "dial_code": [f"0{d}" for d in dial],
        "urban": rng.beta(2, 2, nd),
    })
    districts["bureau"] = np.where(districts["lat"] >= districts["lat"].median(), "north", "south")
    order = np.argsort(districts["lon"].to_numpy(), kind="stable")
    area = np.empty(nd, dtype=np.int64)
    area[order] = np.arange(nd) * scale.n_service_areas // nd
    districts["service_area"] = area

    wards_per_district = _split(rng, nw, nd, 2, 3.0)
    ward_district = np.repeat(np.arange(nd), wards_per_district)
    wards = pd.DataFrame({
        "code": [f"E05{n:06d}" for n in 10_000 + np.sort(rng.choice(90_000, size=nw, replace=False))],
        "name": names[nd:], "district": ward_district,
        "lat": lat[ward_district] + rng.normal(0, ward_spread, nw),
        "lon": lon[ward_district] + rng.normal(0, ward_spread * 1.5, nw),
    })
    wards["outward"] = wards.groupby("district").cumcount() + 1
    if wards["outward"].max() > 99:
        raise ValueError("too many wards in one district for postcode outward codes")

    lsoas_per_ward = _split(rng, nl, nw, 1, 3.0)
    lsoa_ward = np.repeat(np.arange(nw), lsoas_per_ward)
    lsoa_district = ward_district[lsoa_ward]
    start = 1 if scale.name == "england" else int(rng.integers(1, ENGLAND_LSOAS - nl))
    lsoas = pd.DataFrame({
        "code": [f"E01{n:06d}" for n in range(start, start + nl)], "ward": lsoa_ward,
        "district": lsoa_district,
        "lat": wards["lat"].to_numpy()[lsoa_ward] + rng.normal(0, 0.012, nl),
        "lon": wards["lon"].to_numpy()[lsoa_ward] + rng.normal(0, 0.018, nl),
    })
    lsoas["lat"] = lsoas["lat"].clip(*LAT_RANGE)
    lsoas["lon"] = lsoas["lon"].clip(*LON_RANGE)
    within = lsoas.groupby("district").cumcount().to_numpy()
    dname = districts["name"].to_numpy()[lsoa_district]
    lsoas["name"] = [f"{d} {w // 5 + 1:03d}{'ABCDE'[w % 5]}" for d, w in zip(dname, within, strict=True)]

    deprivation = (rng.normal(0, 0.6, nd)[lsoa_district] + rng.normal(0, 0.6, nw)[lsoa_ward]
                   + rng.normal(0, 0.5, nl) + 0.8 * districts["urban"].to_numpy()[lsoa_district])
    ranks = (np.arange(1, nl + 1) if scale.name == "england"
             else np.sort(rng.choice(ENGLAND_LSOAS, size=nl, replace=False) + 1))
    imd_rank = np.empty(nl, dtype=np.int64)
    imd_rank[np.argsort(-deprivation, kind="stable")] = ranks
    lsoas["imd_rank"] = imd_rank
    lsoas["imd_decile"] = np.ceil(imd_rank * 10 / ENGLAND_LSOAS).astype(np.int64)
    geo = Geography(districts, wards, lsoas, pd.DataFrame())
    geo.postcodes = _postcodes(rng, geo)
    return geo


def _postcodes(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    """About 15 postcodes per LSOA, ~5 % terminated, unique within England-style format."""
    lsoas, wards, districts = geo.lsoas, geo.wards, geo.districts
    per_lsoa = rng.integers(12, 19, size=len(lsoas))
    lsoa = np.repeat(np.arange(len(lsoas)), per_lsoa)
    n = len(lsoa)
    ward = lsoas["ward"].to_numpy()[lsoa]
    district = lsoas["district"].to_numpy()[lsoa]
    j = pd.Series(ward).groupby(ward).cumcount().to_numpy()
    salt = rng.integers(0, 4000, size=len(wards))[ward]
    k = (j * 173 + salt) % 4000  # a bijection on 0..3999, so inward codes are unique within a ward
    letters = np.array([a + b for a in _INWARD_LETTERS for b in _INWARD_LETTERS], dtype=object)
    inward = (k % 10).astype(str).astype(object) + letters[k // 10]
    outward = (districts["pc_area"].to_numpy()[district].astype(object)
               + wards["outward"].to_numpy()[ward].astype(str).astype(object))
    pcds = outward + " " + inward
    pad4 = np.array([" " * (4 - len(o)) for o in outward], dtype=object)
    live = rng.random(n) >= 0.05
    live[np.searchsorted(lsoa, np.arange(len(lsoas)))] = True  # every LSOA keeps a live postcode
    intro_year = rng.integers(1980, 2026, size=n)
    intro_month = rng.integers(1, 13, size=n)
    term_year = np.minimum(2026, intro_year + rng.integers(1, 30, size=n))
    term_month = np.where(term_year == 2026, rng.integers(1, 9, size=n), rng.integers(1, 13, size=n))
    return pd.DataFrame({
        "pcds": pcds, "pcd": outward + pad4 + inward, "pcd2": outward + pad4 + " " + inward,
        "lsoa": lsoa, "ward": ward, "district": district,
        "lat": np.clip(lsoas["lat"].to_numpy()[lsoa] + rng.normal(0, 0.004, n), *LAT_RANGE),
        "lon": np.clip(lsoas["lon"].to_numpy()[lsoa] + rng.normal(0, 0.006, n), *LON_RANGE),
        "dointr": intro_year * 100 + intro_month,
        "doterm": np.where(live, 0, term_year * 100 + term_month), "live": live,
    })
