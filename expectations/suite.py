"""How a suite is declared: a name, the warehouse table it checks and the expectations to build.

``expectations`` is called when the gate runs, with GX's expectations module and — if it accepts a
second argument — a :class:`SuiteContext` holding reference values read from the warehouse (known
geography codes), so suites can check referential integrity without hard-coding data.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LSOA_REGEX = r"^[EW]01\d{6}$"
WARD_REGEX = r"^[EW]05\d{6}$"
DISTRICT_REGEX = r"^[EW]0[6789]\d{6}$"
HASH_REGEX = r"^[0-9a-f]{64}$"


@dataclass(frozen=True)
class SuiteContext:
    """Reference values for building expectations (read once per gate run)."""

    lsoa_codes: frozenset[str] = frozenset()
    ward_codes: frozenset[str] = frozenset()
    lad_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SuiteSpec:
    """A GX suite as code.

    ``relative_rows``: the table's row count must stay within these multiples of the count at the last
    successful gate run (a feed that suddenly halves or doubles is suspect); None disables the check.
    ``query``: optional SQL producing the frame to validate (default ``SELECT * FROM table``).
    """

    name: str
    table: str
    expectations: Callable[..., list[Any]]
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    relative_rows: tuple[float, float] | None = (0.5, 2.0)
    query: str | None = None

    def build(self, gxe: Any, context: SuiteContext) -> list[Any]:
        if len(inspect.signature(self.expectations).parameters) >= 2:
            return self.expectations(gxe, context)
        return self.expectations(gxe)
