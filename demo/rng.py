"""Deterministic random streams and id helpers (one independent stream per named component)."""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, component: str) -> np.random.Generator:
    """A generator that depends only on (seed, component), so components never disturb each other."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(component.encode())]))


def hex_ids(rng: np.random.Generator, n: int, width: int = 8) -> np.ndarray:
    """``n`` distinct lowercase hex strings of ``width`` characters (width <= 15)."""
    space = 16**width
    values = rng.choice(space, size=n, replace=False) if space < 4 * n else _distinct(rng, n, space)
    return np.array([f"{v:0{width}x}" for v in values], dtype=object)


def uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct UUID4-shaped strings."""
    hi = rng.integers(0, 2**62, size=n, dtype=np.int64)
    lo = _distinct(rng, n, 2**62)
    out = []
    for a, b in zip(hi.tolist(), lo.tolist(), strict=True):
        h = f"{a:016x}{b:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[b % 4]}{h[17:20]}-{h[20:32]}")
    return np.array(out, dtype=object)


def _distinct(rng: np.random.Generator, n: int, space: int) -> np.ndarray:
    """Distinct integers in [0, space) for a large space (redraw the rare collisions)."""
    values = np.unique(rng.integers(0, space, size=n + n // 10 + 16, dtype=np.int64))
    while len(values) < n:  # pragma: no cover - astronomically rare for large spaces
        values = np.unique(np.concatenate([values, rng.integers(0, space, size=n, dtype=np.int64)]))
    return rng.permutation(values)[:n]
