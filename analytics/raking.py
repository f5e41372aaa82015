"""Raking (iterative proportional fitting) of respondent weights to census margins.

Why our own ~80 lines rather than a library: the PyPI raking packages either work on aggregate
contingency tables rather than unit weights (``ipfn``) or pull in a large modelling stack
(``balance``, ``samplics``); we need unit-level weights with missing answers, weight trimming and
convergence diagnostics, and adding a dependency to the shared lock for this is not worth it.

Method. Start from weight 1. For each margin in turn, scale the weights of respondents in each
category so that the weighted *shares* among respondents whose category is known equal the
population shares; respondents with an unknown category (e.g. "prefer not to say") keep their weight
at that step. Categories with no respondents cannot be reached: they are dropped and the remaining
population shares renormalised (reported in ``dropped``). Sweep until every margin is within ``tol``
(largest absolute share difference) or ``max_iter`` sweeps. Then trim: cap weights to
[``bounds[0]``, ``bounds[1]``] × mean and rake again (rake–trim–rake, up to ``trim_rounds`` times), so
a handful of respondents cannot dominate a small-area estimate. If the margins and the bounds cannot
both hold, the bounds win (the last round ends with trimming) and ``converged`` is False with the
remaining gap in ``max_share_error``. Final weights have mean 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class RakeResult:
    weights: np.ndarray
    converged: bool
    iterations: int
    max_share_error: float
    dropped: dict[str, list[str]] = field(default_factory=dict)


def _shares(targets: pd.Series, present: set[str]) -> tuple[pd.Series, list[str]]:
    targets = targets[targets > 0]
    kept = targets[[c in present for c in targets.index.astype(str)]]
    dropped = sorted(set(targets.index.astype(str)) - set(kept.index.astype(str)))
    total = kept.sum()
    return (kept / total if total > 0 else kept), dropped


# Each margin as row positions, computed once per rake (the codes never change between sweeps):
# (positions of rows whose code is a target category, [(category, target share, positions), ...]).
# Summing ``weights[positions]`` adds the same elements in the same order as a boolean mask would, so
# the weights are bit-for-bit those of comparing the code column on every sweep, only much faster.
Margin = tuple[np.ndarray, list[tuple[str, float, np.ndarray]]]


def _margin_rows(codes: dict[str, np.ndarray], shares: dict[str, pd.Series]) -> dict[str, Margin]:
    rows: dict[str, Margin] = {}
    for name, share in shares.items():
        column = codes[name]
        known = np.flatnonzero(np.isin(column, share.index.to_numpy()))
        rows[name] = (known, [(category, target, np.flatnonzero(column == category))
                              for category, target in share.items()])
    return rows


def _max_error(weights: np.ndarray, margins: dict[str, Margin]) -> float:
    worst = 0.0
    for known, categories in margins.values():
        total = weights[known].sum()
        if total <= 0:
            continue
        for _, target, rows in categories:
            got = weights[rows].sum() / total
            worst = max(worst, abs(got - target))
    return worst


def rake(frame: pd.DataFrame, margins: Mapping[str, pd.Series], *, tol: float = 1e-6, max_iter: int = 200,
         bounds: tuple[float, float] = (0.2, 5.0), trim_rounds: int = 5) -> RakeResult:
    """Weights for the rows of ``frame`` so each column in ``margins`` matches its population shares.

    ``margins[column]`` is a Series of population counts indexed by category code (text); the column's
    values are category codes or missing.
    """
    n = len(frame)
    if n == 0:
        return RakeResult(np.zeros(0), True, 0, 0.0)
    codes = {name: frame[name].astype("string").fillna("\0").to_numpy(dtype=object) for name in margins}
    shares: dict[str, pd.Series] = {}
    dropped: dict[str, list[str]] = {}
    for name, targets in margins.items():
        targets = pd.Series(targets, dtype="float64")
        targets.index = targets.index.astype(str)
        shares[name], lost = _shares(targets, set(codes[name]))
        if lost:
            dropped[name] = lost
    rows = _margin_rows(codes, shares)
    weights = np.ones(n)
    iterations = 0
    for _ in range(trim_rounds + 1):
        for _ in range(max_iter):
            iterations += 1
            _sweep(weights, rows)
            if _max_error(weights, rows) < tol:
                break
        if _within(weights, bounds):
            break
        weights = _trim(weights, bounds)  # the last round ends trimmed: bounds win over margins
    weights = weights / weights.mean()
    error = _max_error(weights, rows)
    return RakeResult(weights, error < tol, iterations, error, dropped)


def _within(weights: np.ndarray, bounds: tuple[float, float]) -> bool:
    ratio = weights / weights.mean()
    return bool(ratio.min() >= bounds[0] * (1 - 1e-9) and ratio.max() <= bounds[1] * (1 + 1e-9))


def _trim(weights: np.ndarray, bounds: tuple[float, float], rounds: int = 100) -> np.ndarray:
    """Cap weights to bounds × mean; repeat, as capping moves the mean."""
    for _ in range(rounds):
        mean = weights.mean()
        weights = np.clip(weights, bounds[0] * mean, bounds[1] * mean)
        if _within(weights, bounds):
            break
    return weights


def _sweep(weights: np.ndarray, margins: dict[str, Margin]) -> None:
    """One pass over every margin, scaling each category to its target share (in place)."""
    for known, categories in margins.values():
        total = weights[known].sum()
        if total <= 0:
            continue
        for _, target, rows in categories:
            current = weights[rows].sum()
            if current > 0:
                weights[rows] *= target * total / current


def kish_effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw²."""
    weights = np.asarray(weights, dtype="float64")
    square_sum = float((weights ** 2).sum())
    return float(weights.sum() ** 2 / square_sum) if square_sum > 0 else 0.0


RESIDENT_MARGINS = {"age_sex": "age_sex", "ethnic_group": "ethnic_group_code", "imd_quintile": "imd_quintile"}
WEIGHT_COLUMNS = ["resident_key", "period", "lad_code", "weight", "raking_converged", "raking_iterations",
                  "raking_max_share_error", "raking_dropped_categories"]


def weight_residents(residents: pd.DataFrame, margins: pd.DataFrame) -> pd.DataFrame:
    """Rake each (period, local authority) group of placed residents to its census margins.

    ``residents``: resident_key, period, lad_code, sex_code, age_band_code, ethnic_group_code,
    imd_decile. ``margins``: int_survey_population_margins (area_level, area_code, dimension,
    category_code, population). Residents without an authority get no weight (they are in no area).
    """
    frame = residents.copy()
    age_sex = frame["sex_code"].astype("string") + "_" + frame["age_band_code"].astype("string")
    frame["age_sex"] = age_sex
    decile = pd.to_numeric(frame["imd_decile"], errors="coerce")
    frame["imd_quintile"] = ((decile + 1) // 2).astype("Int64").astype("string")
    lad_margins = margins[margins["area_level"] == "lad"]
    out: list[pd.DataFrame] = []
    placed = frame[frame["lad_code"].notna()]
    by_lad = {code: rows for code, rows in lad_margins.groupby("area_code", sort=False)}  # row order kept
    for (period, lad), group in placed.groupby(["period", "lad_code"], sort=True):
        group = group.sort_values("resident_key", kind="stable")
        these = by_lad.get(lad, lad_margins.iloc[0:0])
        targets = {dimension: these[these["dimension"] == dimension].set_index("category_code")["population"]
                   for dimension in RESIDENT_MARGINS}
        result = rake(group.rename(columns={v: k for k, v in RESIDENT_MARGINS.items() if k != v}), targets)
        out.append(pd.DataFrame({
            "resident_key": group["resident_key"].to_numpy(), "period": period, "lad_code": lad,
            "weight": result.weights, "raking_converged": result.converged,
            "raking_iterations": result.iterations, "raking_max_share_error": result.max_share_error,
            "raking_dropped_categories": "; ".join(f"{k}: {','.join(v)}" for k, v in result.dropped.items()) or None,
        }))
    if not out:
        return pd.DataFrame(columns=WEIGHT_COLUMNS)
    return pd.concat(out, ignore_index=True)[WEIGHT_COLUMNS]
