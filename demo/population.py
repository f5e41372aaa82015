"""A synthetic resident population per LSOA (sex × age band × ethnic group counts) and census tables.

The population is held as cell counts, shape (LSOA, sex, age band, ethnic group), so England's ~54
million residents cost a few megabytes. Individuals are drawn from the cells only when needed
(survey respondents, volunteers) by binomial thinning, so no cell ever yields more people than live there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from demo.constants import AGE_BANDS, ETHNIC_DOES_NOT_APPLY, ETHNIC_GROUPS, MIXED, N_AGE, N_ETH, N_SEX, SEX
from demo.geography import Geography

_AGE_BASE = np.array([0.185, 0.105, 0.135, 0.19, 0.19, 0.107, 0.088])
_AGE_DEPRIVATION_TILT = np.array([0.18, 0.15, 0.10, 0.0, -0.08, -0.18, -0.25])
_FEMALE_SHARE = np.array([0.487, 0.49, 0.505, 0.506, 0.507, 0.52, 0.575])
_MINORITY_SPLIT = np.array([0.50, 0.20, 0.18, 0.0, 0.12])  # Asian, Black, Mixed, (White), Other


def build_cells(rng: np.random.Generator, geo: Geography) -> np.ndarray:
    """Resident counts per (LSOA, sex, age band, ethnic group); 1,500–1,700 residents per LSOA."""
    n = len(geo.lsoas)
    tilt = ((5.5 - geo.lsoas["imd_decile"].to_numpy()) / 4.5)[:, None]  # +1 most deprived, -1 least
    age = _AGE_BASE[None, :] * (1 + tilt * _AGE_DEPRIVATION_TILT[None, :])
    age = rng.gamma(age * 400) + 1e-9
    age /= age.sum(axis=1, keepdims=True)
    sex = np.stack([_FEMALE_SHARE, 1 - _FEMALE_SHARE])  # (2, 7)
    urban = geo.districts["urban"].to_numpy()[geo.lsoas["district"].to_numpy()]
    white = np.clip(0.92 - 0.12 * tilt[:, 0] - 0.38 * urban**2 + rng.normal(0, 0.05, n), 0.25, 0.995)
    minority = rng.gamma(_MINORITY_SPLIT[None, :] * 40 + 1e-9, size=(n, N_ETH))
    minority[:, 3] = 0
    minority /= minority.sum(axis=1, keepdims=True)
    eth = minority * (1 - white)[:, None]
    eth[:, 3] = white
    joint = age[:, None, :, None] * sex[None, :, :, None] * eth[:, None, None, :]  # (n, 2, 7, 5)
    joint[:, :, 0, MIXED] *= 2.0  # mixed-ethnicity residents skew young
    joint /= joint.sum(axis=(1, 2, 3), keepdims=True)
    totals = rng.integers(1500, 1701, size=n)
    flat = rng.multinomial(totals, joint.reshape(n, -1))
    return flat.reshape(n, N_SEX, N_AGE, N_ETH).astype(np.int32)


def census_age_sex(geo: Geography, cells: np.ndarray) -> pd.DataFrame:
    """Census table: one row per LSOA × sex × age band."""
    n = len(geo.lsoas)
    counts = cells.sum(axis=3)  # (n, 2, 7)
    li, si, ai = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(N_SEX), np.arange(N_AGE), indexing="ij"))
    return pd.DataFrame({
        "Lower layer Super Output Areas Code": geo.lsoas["code"].to_numpy()[li],
        "Lower layer Super Output Areas": geo.lsoas["name"].to_numpy()[li],
        "Sex (2 categories) Code": np.array([c for c, _ in SEX], dtype=object)[si],
        "Sex (2 categories)": np.array([lab for _, lab in SEX], dtype=object)[si],
        "Age (7 categories) Code": np.array([b[0] for b in AGE_BANDS], dtype=object)[ai],
        "Age (7 categories)": np.array([b[1] for b in AGE_BANDS], dtype=object)[ai],
        "Observation": counts.ravel().astype(str).astype(object),
    })


def census_ethnicity(geo: Geography, cells: np.ndarray) -> pd.DataFrame:
    """Census table: one row per LSOA × ethnic group, plus the zero ``-8 Does not apply`` row."""
    n = len(geo.lsoas)
    counts = np.concatenate([np.zeros((n, 1), dtype=np.int64), cells.sum(axis=(1, 2))], axis=1)
    groups = (ETHNIC_DOES_NOT_APPLY, *ETHNIC_GROUPS)
    li, gi = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(len(groups)), indexing="ij"))
    return pd.DataFrame({
        "Lower layer Super Output Areas Code": geo.lsoas["code"].to_numpy()[li],
        "Lower layer Super Output Areas": geo.lsoas["name"].to_numpy()[li],
        "Ethnic group (6 categories) Code": np.array([c for c, _ in groups], dtype=object)[gi],
        "Ethnic group (6 categories)": np.array([lab for _, lab in groups], dtype=object)[gi],
        "Observation": counts.ravel().astype(str).astype(object),
    })


Propensity = Callable[[np.ndarray], np.ndarray]
"""Maps IMD deciles, shape (n,), to relative propensity per cell, shape (n, 2, 7, 5)."""


def sample_people(rng: np.random.Generator, cells: np.ndarray, deciles: np.ndarray, target: int,
                  propensity: Propensity) -> pd.DataFrame:
    """Draw about ``target`` distinct residents, each cell thinned with probability ∝ its propensity.

    Returns one row per person: lsoa, sex (0 female, 1 male), age_band (0..6), eth (0..4).
    """
    weight = propensity(deciles) * cells
    prob = np.minimum(1.0, propensity(deciles) * target / weight.sum())
    drawn = rng.binomial(cells, prob)
    flat = drawn.ravel()
    idx = np.repeat(np.arange(flat.size), flat)
    lsoa, sex, age, eth = np.unravel_index(idx, cells.shape)
    order = rng.permutation(len(idx))
    return pd.DataFrame({"lsoa": lsoa[order], "sex": sex[order].astype(np.int8),
                         "age_band": age[order].astype(np.int8), "eth": eth[order].astype(np.int8)})


def respondent_propensity(deciles: np.ndarray) -> np.ndarray:
    """Response bias: older, female, white and less-deprived residents answer surveys more; no under-16s."""
    age = np.array([-np.inf, -1.1, -0.7, -0.2, 0.25, 0.6, 0.45])
    sex = np.array([0.25, 0.0])
    eth = np.array([-0.35, -0.5, -0.3, 0.2, -0.45])
    dep = 0.09 * (deciles - 5.5)
    logit = (dep[:, None, None, None] + sex[None, :, None, None] + age[None, None, :, None]
             + eth[None, None, None, :])
    return np.exp(logit)


def volunteer_propensity(deciles: np.ndarray) -> np.ndarray:
    """Formal volunteers skew older, female and less deprived; no under-16s."""
    age = np.array([-np.inf, -0.3, -0.6, -0.2, 0.2, 0.7, 0.2])
    sex = np.array([0.2, 0.0])
    eth = np.array([-0.2, -0.2, -0.1, 0.1, -0.2])
    dep = 0.12 * (deciles - 5.5)
    logit = (dep[:, None, None, None] + sex[None, :, None, None] + age[None, None, :, None]
             + eth[None, None, None, :])
    return np.exp(logit)
