"""Give sampled residents an identity: exact age, date of birth, names, email, home postcode."""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.constants import AGE_BANDS, ASIAN, BLACK, MIXED, OTHER, REFERENCE_DATE, WHITE
from demo.geography import Geography
from demo.names import (
    EMAIL_DOMAINS,
    FIRST_NAMES_FEMALE,
    FIRST_NAMES_MALE,
    SURNAMES_ASIAN,
    SURNAMES_BLACK,
    SURNAMES_GENERAL,
    ascii_fold,
)

#: Detailed (ONS 19-category) ethnic groups: (key, broad group index, share within the broad group).
ETHNIC_DETAIL = (
    ("indian", ASIAN, 0.33), ("pakistani", ASIAN, 0.28), ("bangladeshi", ASIAN, 0.12),
    ("chinese", ASIAN, 0.09), ("other_asian", ASIAN, 0.18),
    ("african", BLACK, 0.60), ("caribbean", BLACK, 0.27), ("other_black", BLACK, 0.13),
    ("white_black_caribbean", MIXED, 0.30), ("white_black_african", MIXED, 0.13),
    ("white_asian", MIXED, 0.28), ("other_mixed", MIXED, 0.29),
    ("white_british", WHITE, 0.876), ("white_irish", WHITE, 0.015), ("gypsy_traveller", WHITE, 0.004),
    ("roma", WHITE, 0.005), ("other_white", WHITE, 0.10),
    ("arab", OTHER, 0.33), ("any_other", OTHER, 0.67),
)


def _detail(rng: np.random.Generator, eth: np.ndarray) -> np.ndarray:
    out = np.empty(len(eth), dtype=np.int8)
    for group in range(5):
        rows = np.flatnonzero(eth == group)
        idx = [i for i, d in enumerate(ETHNIC_DETAIL) if d[1] == group]
        p = np.array([ETHNIC_DETAIL[i][2] for i in idx])
        out[rows] = np.array(idx)[rng.choice(len(idx), size=len(rows), p=p / p.sum())]
    return out


def _ages(rng: np.random.Generator, band: np.ndarray) -> np.ndarray:
    lo = np.array([b[2] for b in AGE_BANDS])[band]
    hi = np.array([b[3] for b in AGE_BANDS])[band]
    age = rng.integers(lo, hi + 1)
    oldest = band == len(AGE_BANDS) - 1
    age[oldest] = np.minimum(99, 75 + rng.exponential(7.0, oldest.sum()).astype(np.int64))
    return age


def _dobs(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Dates of birth giving exactly ``age`` on the reference date."""
    start = pd.to_datetime(pd.DataFrame({"year": REFERENCE_DATE.year - age - 1, "month": REFERENCE_DATE.month,
                                         "day": REFERENCE_DATE.day + 1}))
    return (start + pd.to_timedelta(rng.integers(0, 365, len(age)), unit="D")).to_numpy()


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(words, dtype=object)[rng.integers(0, len(words), n)]


def _surnames(rng: np.random.Generator, eth: np.ndarray) -> np.ndarray:
    out = _pick(rng, SURNAMES_GENERAL, len(eth))
    u = rng.random(len(eth))
    asian, black = (eth == ASIAN) & (u < 0.75), (eth == BLACK) & (u < 0.5)
    out[asian] = _pick(rng, SURNAMES_ASIAN, int(asian.sum()))
    out[black] = _pick(rng, SURNAMES_BLACK, int(black.sum()))
    return out


def _emails(rng: np.random.Generator, first: np.ndarray, surname: np.ndarray, dob: np.ndarray) -> np.ndarray:
    n = len(first)
    sep = np.array([".", "_", "", "."], dtype=object)[rng.integers(0, 4, n)]
    year = pd.DatetimeIndex(dob).year.to_numpy() % 100
    suffix = np.where(rng.random(n) < 0.35, np.char.zfill(year.astype(str), 2), "").astype(object)
    domain = _pick(rng, EMAIL_DOMAINS, n)
    local = np.array([ascii_fold(f) + s + ascii_fold(x) for f, s, x in zip(first, sep, surname, strict=True)],
                     dtype=object) + suffix
    base = pd.Series(local + "@" + domain)
    dup = base.groupby(base).cumcount().to_numpy()
    local = np.where(dup > 0, local + (dup + 1).astype(str).astype(object), local)
    return local + "@" + domain


def make_people(rng: np.random.Generator, geo: Geography, people: pd.DataFrame, first_id: int = 1) -> pd.DataFrame:
    """Add person_id, age, dob, ethnic detail, names, email, postcode and a previous ("moved from") postcode."""
    n = len(people)
    out = people.reset_index(drop=True).copy()
    out.insert(0, "person_id", [f"P{i:07d}" for i in range(first_id, first_id + n)])
    out["eth_detail"] = _detail(rng, out["eth"].to_numpy())
    out["age"] = _ages(rng, out["age_band"].to_numpy())
    out["dob"] = _dobs(rng, out["age"].to_numpy())
    female = out["sex"].to_numpy() == 0
    first = _pick(rng, FIRST_NAMES_MALE, n)
    first[female] = _pick(rng, FIRST_NAMES_FEMALE, int(female.sum()))
    out["first_name"] = first
    out["surname"] = _surnames(rng, out["eth"].to_numpy())
    out["email"] = _emails(rng, first, out["surname"].to_numpy(), out["dob"].to_numpy())
    out["postcode"] = postcodes_in(rng, geo, out["lsoa"].to_numpy())
    districts = geo.lsoas["district"].to_numpy()
    first_lsoa = np.searchsorted(districts, np.arange(len(geo.districts)))
    n_lsoa = np.bincount(districts, minlength=len(geo.districts))
    d = districts[out["lsoa"].to_numpy()]
    previous = first_lsoa[d] + (rng.random(n) * n_lsoa[d]).astype(np.int64)
    out["previous_postcode"] = postcodes_in(rng, geo, previous)
    return out


def postcodes_in(rng: np.random.Generator, geo: Geography, lsoa: np.ndarray) -> np.ndarray:
    """A random live postcode (canonical ``pcds``) in each given LSOA."""
    order, starts, counts = geo.live_postcodes_by_lsoa()
    pick = order[starts[lsoa] + (rng.random(len(lsoa)) * counts[lsoa]).astype(np.int64)]
    return geo.postcodes["pcds"].to_numpy()[pick]
