"""Raking: weights meet census margins, cope with unknown and empty categories, and are trimmed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.raking import kish_effective_n, rake, weight_residents


def sample(n: int = 2000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "sex": rng.choice(["1", "2"], size=n, p=[0.65, 0.35]),  # women over-represented
        "age": rng.choice(["2", "3", "4", "5"], size=n, p=[0.05, 0.15, 0.3, 0.5]),
    })


def shares(frame: pd.DataFrame, weights: np.ndarray, column: str) -> pd.Series:
    return pd.Series(weights).groupby(frame[column].to_numpy()).sum() / weights.sum()


def test_weights_meet_every_margin():
    frame = sample()
    margins = {"sex": pd.Series({"1": 510, "2": 490}),
               "age": pd.Series({"2": 150, "3": 200, "4": 300, "5": 350})}
    result = rake(frame, margins, bounds=(0.01, 100))
    assert result.converged and result.max_share_error < 1e-6
    assert np.isclose(result.weights.mean(), 1.0)
    assert np.allclose(shares(frame, result.weights, "sex"), [0.51, 0.49], atol=1e-6)
    assert np.allclose(shares(frame, result.weights, "age"), [0.15, 0.2, 0.3, 0.35], atol=1e-6)
    again = rake(frame, margins, bounds=(0.01, 100))
    assert np.array_equal(result.weights, again.weights)  # deterministic


def test_unknown_category_keeps_its_weight_and_known_shares_are_met():
    frame = sample(500)
    frame.loc[:49, "sex"] = None  # 50 "prefer not to say"
    result = rake(frame, {"sex": pd.Series({"1": 1, "2": 1})}, bounds=(0.01, 100))
    assert np.allclose(result.weights[:50], result.weights[0])
    known = frame["sex"].notna().to_numpy()
    got = shares(frame[known], result.weights[known], "sex")
    assert np.allclose(got, [0.5, 0.5], atol=1e-6)


def test_category_without_respondents_is_dropped_and_reported():
    frame = pd.DataFrame({"eth": ["4"] * 90 + ["1"] * 10})
    result = rake(frame, {"eth": pd.Series({"1": 20, "2": 5, "4": 75})})
    assert result.dropped == {"eth": ["2"]}
    assert np.allclose(shares(frame, result.weights, "eth"), [20 / 95, 75 / 95], atol=1e-6)


def test_trimming_caps_extreme_weights():
    frame = pd.DataFrame({"g": ["a"] * 995 + ["b"] * 5})
    result = rake(frame, {"g": pd.Series({"a": 50, "b": 50})}, bounds=(0.2, 5.0))
    ratio = result.weights / result.weights.mean()
    assert ratio.max() <= 5.0 + 1e-6 and ratio.min() >= 0.2 - 1e-6
    untrimmed = rake(frame, {"g": pd.Series({"a": 50, "b": 50})}, bounds=(0.001, 1000))
    assert untrimmed.weights.max() > 50


def test_kish_effective_n():
    assert kish_effective_n(np.ones(40)) == 40
    assert kish_effective_n(np.array([1.0, 3.0])) == 16 / 10
    assert kish_effective_n(np.array([])) == 0


def test_weight_residents_per_authority_and_unplaced_left_out():
    residents = pd.DataFrame({
        "resident_key": [f"R{i}" for i in range(6)], "period": "2026",
        "lad_code": ["L1", "L1", "L1", "L2", "L2", None],
        "sex_code": ["1", "2", "2", "1", None, "1"], "age_band_code": ["3", "3", "3", "4", "4", "4"],
        "ethnic_group_code": ["4", "4", "1", None, "4", "4"], "imd_decile": [1, 2, 10, 5, 5, None],
    })
    rows = []
    for lad in ("L1", "L2"):
        rows += [("lad", lad, "age_sex", "1_3", 50), ("lad", lad, "age_sex", "2_3", 50),
                 ("lad", lad, "age_sex", "1_4", 50), ("lad", lad, "ethnic_group", "4", 80),
                 ("lad", lad, "ethnic_group", "1", 20), ("lad", lad, "imd_quintile", "1", 40),
                 ("lad", lad, "imd_quintile", "3", 30), ("lad", lad, "imd_quintile", "5", 30)]
    margins = pd.DataFrame(rows, columns=["area_level", "area_code", "dimension", "category_code", "population"])
    weights = weight_residents(residents, margins)
    assert sorted(weights["resident_key"]) == ["R0", "R1", "R2", "R3", "R4"]
    assert weights.groupby("lad_code")["weight"].mean().round(9).tolist() == [1.0, 1.0]
    l1 = weights[weights["lad_code"] == "L1"].set_index("resident_key")["weight"]
    assert np.isclose(l1["R0"], l1["R1"] + l1["R2"], rtol=0.05)  # sex shares 50/50 among L1's three
