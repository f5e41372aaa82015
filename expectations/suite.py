"""How a suite is declared: a name, the warehouse table it checks and a list of expectations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LSOA_REGEX = r"^[EW]01\d{6}$"
WARD_REGEX = r"^[EW]05\d{6}$"
DISTRICT_REGEX = r"^[EW]0[6789]\d{6}$"


@dataclass(frozen=True)
class SuiteSpec:
    """A GX suite as code. ``expectations`` builds GX expectation objects when called (GX imported late)."""

    name: str
    table: str
    expectations: Callable[[Any], list[Any]]
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
