"""The cell-key perturbation table (ONS Census 2021 method) written to ``dbt_project/seeds/disclosure/``.

Row (pcv, ckey) gives the adjustment added to a count of pcv people whose cell key is ckey (0-255).
Keys are uniform, so the share of keys with an adjustment is its probability. Counts of 1 and 2 go to
0 or 3 with the mean kept (1 -> 0 w.p. 2/3, 3 w.p. 1/3; 2 -> 0 w.p. 1/3, 3 w.p. 2/3): no published 1 or 2.
A count of 3 goes to 0, 3, 4 or 5 w.p. 0.18, 0.42, 0.25, 0.15 (mean 3.01). Counts of 4 or more move by
-2..+2 with probabilities 0.05, 0.20, 0.50, 0.20, 0.05 (mean 0, variance 0.8); from 4, -2 becomes -1.
Counts above MAX_PCV use row MAX_PCV (the dbt var cell_key_ptable_max).
Run ``python -m analytics.ptable`` to rewrite the seed.
"""

from __future__ import annotations

import csv
from pathlib import Path

MAX_PCV = 20
KEYS = 256
SPREAD = [(-2, 0.05), (-1, 0.20), (0, 0.50), (1, 0.20), (2, 0.05)]
SEED = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "disclosure" / "disclosure_ptable.csv"


def _pick(u: float, spread: list[tuple[int, float]]) -> int:
    total = 0.0
    for adjustment, p in spread:
        total += p
        if u < total:
            return adjustment
    return spread[-1][0]


def adjustment(pcv: int, ckey: int) -> int:
    u = (ckey + 0.5) / KEYS
    if pcv == 1:
        return _pick(u, [(-1, 2 / 3), (2, 1 / 3)])
    if pcv == 2:
        return _pick(u, [(-2, 1 / 3), (1, 2 / 3)])
    if pcv == 3:
        return _pick(u, [(-3, 0.18), (0, 0.42), (1, 0.25), (2, 0.15)])
    d = _pick(u, SPREAD)
    return 3 - pcv if pcv + d in (1, 2) else d


def rows() -> list[tuple[int, int, int]]:
    return [(pcv, ckey, adjustment(pcv, ckey)) for pcv in range(1, MAX_PCV + 1) for ckey in range(KEYS)]


def write(path: Path = SEED) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["pcv", "ckey", "adjustment"])
        writer.writerows(rows())


if __name__ == "__main__":
    write()
