"""Publication formats beyond Parquet, written beside the Parquet exports of each publication.

Each module here exports ``EXPORTS``: functions ``export(con, folder) -> list[Path]`` that
``warehouse.publish`` calls with a read-only connection to the verified new published file (marts in
its ``main`` schema) and the per-publication folder, before the ``current`` link is swapped to it.
An exporter whose marts are absent returns ``[]``; one that fails stops the publication.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Exporter = Callable[[Any, Path], list[Path]]


def all_exporters() -> list[Exporter]:
    """Every ``EXPORTS`` list in the modules of this package, in module order."""
    import importlib
    import pkgutil

    exporters: list[Exporter] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        exporters += getattr(importlib.import_module(f"{__name__}.{module}"), "EXPORTS", [])
    return exporters
