"""Simulated answers: a latent attitude per person and concept, thresholded into each agency's scale.

Each person has four correlated factors (place, civic, wellbeing, trust). A concept's latent mixes one
factor, a person-specific part, area deprivation and demographics, so the same resident answering the
same concept for two agencies mostly agrees with themself, and answers vary with deprivation.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from demo.questionnaires import Question

FACTORS = ("place", "civic", "wellbeing", "trust")
#: concept → (factor, loading, deprivation effect, age-band effects (7), female effect)
CONCEPTS: dict[str, tuple[str, float, float, tuple[float, ...], float]] = {
    "satisfaction_local_area": ("place", 0.75, 0.45, (0, 0, -0.05, 0, 0.05, 0.15, 0.2), 0.0),
    "satisfaction_council": ("trust", 0.6, 0.25, (0, 0.1, 0, -0.1, -0.1, 0.05, 0.15), 0.0),
    "cohesion_get_on_well": ("place", 0.6, 0.35, (0, 0.1, 0.05, 0, 0, -0.05, -0.1), 0.0),
    "belonging_neighbourhood": ("place", 0.6, 0.2, (0, -0.35, -0.25, -0.05, 0.15, 0.35, 0.5), 0.05),
    "influence_decisions": ("civic", 0.6, 0.15, (0, 0.1, 0.05, 0, -0.05, -0.05, -0.1), 0.0),
    "formal_volunteering": ("civic", 0.8, 0.3, (0, 0.05, -0.25, -0.05, 0.05, 0.3, 0.0), 0.05),
    "safe_after_dark": ("place", 0.5, 0.4, (0, 0.05, 0.1, 0.05, 0, -0.1, -0.35), -0.5),
    "asb_problem": ("place", 0.5, 0.55, (0, -0.05, -0.05, 0, 0.05, 0.1, 0.15), 0.0),
    "agencies_deal_with_asb": ("trust", 0.7, 0.2, (0, 0.1, 0, -0.05, -0.05, 0.05, 0.15), 0.0),
    "police_confidence": ("trust", 0.75, 0.2, (0, 0.05, -0.05, -0.05, 0, 0.1, 0.2), 0.05),
    "crime_victim": ("place", 0.4, 0.4, (0, -0.2, -0.1, 0, 0.05, 0.2, 0.25), 0.0),
    "satisfaction_repairs": ("trust", 0.3, 0.0, (0, -0.1, -0.1, 0, 0.05, 0.15, 0.2), 0.0),
    "wellbeing_life_satisfaction": ("wellbeing", 0.8, 0.3, (0, 0.1, 0, -0.1, -0.1, 0.15, 0.05), 0.0),
    "wellbeing_worthwhile": ("wellbeing", 0.75, 0.2, (0, -0.05, 0, 0, 0.05, 0.15, 0.05), 0.05),
    "wellbeing_happy_yesterday": ("wellbeing", 0.7, 0.2, (0, 0.05, -0.05, -0.1, -0.05, 0.15, 0.1), 0.0),
    "wellbeing_anxious_yesterday": ("wellbeing", 0.6, 0.15, (0, -0.1, -0.1, -0.1, 0, 0.15, 0.15), -0.15),
    "general_health": ("wellbeing", 0.4, 0.5, (0, 0.5, 0.4, 0.2, -0.1, -0.35, -0.7), 0.0),
    "loneliness": ("wellbeing", 0.5, 0.2, (0, -0.3, -0.1, 0.05, 0.05, 0.1, -0.2), 0.0),
}
RESPONSE_NOISE = 0.35
_N = NormalDist()


def person_latents(rng: np.random.Generator, persons: pd.DataFrame, decile: np.ndarray) -> dict[str, np.ndarray]:
    """Standardised latent attitude per person for every concept (positive = favourable)."""
    n = len(persons)
    common = rng.normal(size=n)
    factors = {f: 0.4 * common + np.sqrt(1 - 0.16) * rng.normal(size=n) for f in FACTORS}
    dep = (decile - 5.5) / 4.5
    age = persons["age_band"].to_numpy()
    female = (persons["sex"].to_numpy() == 0).astype(float)
    out: dict[str, np.ndarray] = {}
    for concept, (factor, loading, dep_eff, age_eff, fem_eff) in CONCEPTS.items():
        raw = (loading * factors[factor] + np.sqrt(1 - loading**2) * rng.normal(size=n) + dep_eff * dep
               + np.asarray(age_eff)[age] + fem_eff * female)
        out[concept] = ((raw - raw.mean()) / (raw.std() or 1.0)).astype(np.float32)
    return out


def _thresholds(shares: tuple[float, ...]) -> np.ndarray:
    """Cut points (descending) on N(0, 1 + noise²) giving these shares, most favourable first."""
    sd = float(np.sqrt(1 + RESPONSE_NOISE**2))
    cum = np.cumsum(shares)[:-1]
    return np.array([_N.inv_cdf(min(max(1 - c, 1e-9), 1 - 1e-9)) * sd for c in cum])


def substantive_index(rng: np.random.Generator, q: Question, latent: np.ndarray) -> np.ndarray:
    """Index into ``q.options`` (display order) for each response, from the person's latent."""
    noisy = latent + rng.normal(0, RESPONSE_NOISE, len(latent))
    k = len(q.options)
    shares = q.dist if q.positive_first else tuple(reversed(q.dist))
    favour_rank = (noisy[:, None] < _thresholds(shares)[None, :]).sum(axis=1)  # 0 = most favourable
    return favour_rank if q.positive_first else k - 1 - favour_rank


def scale_value(rng: np.random.Generator, q: Question, latent: np.ndarray) -> np.ndarray:
    """Integer answers on q.scale = (min, max, mean, sd)."""
    lo, hi, mean, sd = q.scale or (0, 10, 5.0, 2.0)
    noisy = latent + rng.normal(0, RESPONSE_NOISE, len(latent))
    sign = 1.0 if q.positive_first else -1.0
    return np.clip(np.rint(mean + sign * sd * noisy / np.sqrt(1 + RESPONSE_NOISE**2)), lo, hi).astype(np.int64)


def age_group_index(q: Question, age: np.ndarray) -> np.ndarray:
    """Index of the age-group option whose lower bound is the largest not above ``age``."""
    return np.searchsorted(np.asarray(q.mapping), age, side="right") - 1


COMMENTS = (
    "More police on the streets please", "The buses are terrible, especially on Sundays",
    "Potholes on the High Street need fixing", "Love living here, friendly neighbours",
    "Not enough for young people to do", "Street lighting is poor, I don't go out after dark",
    "Dog fouling, litter and fly-tipping are getting worse", "Thank you to the library staff",
    'The "community hub" closed and nothing replaced it', "Parking near the school is dangerous",
    "Too many surveys! Why not one survey for everyone?", "Rents are too high, my children can't afford to stay",
    "Speeding traffic on the main road, someone will get hurt", "Good parks but the toilets are always locked",
    "I feel lonely since my husband died.\nA lunch club would help", "GP appointments impossible to get",
    "Council never replies to emails; I've given up", "Great food bank volunteers, but why do we need one?",
)
