"""How the same person's identifying fields drift between systems: case, typos, formats, spacing."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _where(mask: np.ndarray, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    return np.where(mask, new, old).astype(object)


def _typo(rng: np.random.Generator, word: str) -> str:
    """Swap two adjacent letters, drop one, or double one."""
    if len(word) < 4:
        return word + word[-1]
    i = int(rng.integers(1, len(word) - 2))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def vary_surname(rng: np.random.Generator, surname: np.ndarray, upper_share: float) -> np.ndarray:
    """Typos (~3 %), hyphen/space swaps, apostrophe styles, UPPER CASE, stray spaces, blanks."""
    out = surname.astype(object).copy()
    n = len(out)
    u = rng.random((n, 6))
    typo = np.flatnonzero(u[:, 0] < 0.03)
    out[typo] = [_typo(rng, s) for s in out[typo]]
    hyph = np.char.find(out.astype(str), "-") >= 0
    out = _where(hyph & (u[:, 1] < 0.4), np.char.replace(out.astype(str), "-", " "), out)
    curly = np.char.find(out.astype(str), "’") >= 0
    out = _where(curly & (u[:, 2] < 0.35), np.char.replace(out.astype(str), "’", "'"), out)
    out = _where(curly & (u[:, 2] > 0.85), np.char.replace(out.astype(str), "’", ""), out)
    out = _where(u[:, 3] < upper_share, np.char.upper(out.astype(str)), out)
    out = _where(u[:, 4] < 0.01, np.char.add(out.astype(str), " "), out)
    return _where(u[:, 5] < 0.012, np.full(n, "", dtype=object), out)


def vary_email(rng: np.random.Generator, email: np.ndarray, share: float) -> np.ndarray:
    """Missing for (1 - share); otherwise sometimes Capitalised, UPPER, another domain, or padded."""
    n = len(email)
    u = rng.random((n, 4))
    out = email.astype(object).copy()
    cap = np.array([e[:1].upper() + e[1:] for e in out], dtype=object)
    out = _where(u[:, 1] < 0.08, cap, out)
    out = _where(u[:, 1] > 0.97, np.char.upper(out.astype(str)), out)
    other = np.array([e.split("@", 1)[0] + "@outlook.com" if not e.endswith("@outlook.com")
                      else e.split("@", 1)[0] + "@gmail.com" for e in email], dtype=object)
    out = _where(u[:, 2] < 0.03, other, out)
    out = _where(u[:, 3] < 0.01, np.char.add(out.astype(str), " "), out)
    return _where(u[:, 0] >= share, np.full(n, "", dtype=object), out)


JUNK_DOBS = np.array(["n/k", "00/00/0000", "31/02/1970", "unknown", "1/1/19"], dtype=object)


def format_dob(rng: np.random.Generator, dob: np.ndarray, formats: tuple[tuple[str, float], ...]) -> np.ndarray:
    """Dates of birth in the agency's export format(s); ~0.3 % junk, ~0.3 % day/month swapped, ~2 % blank."""
    n = len(dob)
    idx = pd.DatetimeIndex(dob)
    shares = np.array([s for _, s in formats])
    which = rng.choice(len(formats), size=n, p=shares / shares.sum())
    out = np.empty(n, dtype=object)
    for i, (fmt, _) in enumerate(formats):
        rows = which == i
        out[rows] = idx[rows].strftime(fmt).to_numpy()
    u = rng.random((n, 3))
    swappable = (idx.day <= 12) & (idx.day != idx.month)
    swap = np.flatnonzero((u[:, 1] < 0.003) & swappable)
    if len(swap):
        swapped = pd.to_datetime(pd.DataFrame({"year": idx.year[swap], "month": idx.day[swap],
                                               "day": idx.month[swap]}))
        out[swap] = pd.DatetimeIndex(swapped).strftime(formats[0][0]).to_numpy()
    out = _where(u[:, 0] < 0.003, JUNK_DOBS[rng.integers(0, len(JUNK_DOBS), n)], out)
    return _where(u[:, 2] < 0.02, np.full(n, "", dtype=object), out)


def vary_postcode(rng: np.random.Generator, postcode: np.ndarray) -> np.ndarray:
    """Lower case, no space, double space, padding; ~1.5 % blank."""
    n = len(postcode)
    s = postcode.astype(str)
    u = rng.random(n)
    out = postcode.astype(object).copy()
    out = _where(u < 0.06, np.char.lower(s), out)
    out = _where((u >= 0.06) & (u < 0.16), np.char.replace(s, " ", ""), out)
    out = _where((u >= 0.16) & (u < 0.18), np.char.replace(s, " ", "  "), out)
    out = _where((u >= 0.18) & (u < 0.20), np.char.lower(np.char.replace(s, " ", "")), out)
    out = _where((u >= 0.20) & (u < 0.215), np.char.add(" ", s), out)
    return _where(rng.random(n) < 0.015, np.full(n, "", dtype=object), out)


def vary_first_name(rng: np.random.Generator, first: np.ndarray) -> np.ndarray:
    """Accents dropped sometimes (Zoë → Zoe), occasional lower case."""
    import unicodedata

    n = len(first)
    u = rng.random(n)
    plain = np.array(["".join(c for c in unicodedata.normalize("NFKD", f) if not unicodedata.combining(c))
                      for f in first], dtype=object)
    out = _where(u < 0.3, plain, first)
    return _where(u > 0.98, np.char.lower(out.astype(str)), out)
