"""The source registry (config/sources.yml): which partner feeds exist and how to read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FAMILIES = ("area_profiles", "surveys", "service_maps", "volunteering")
# Families whose loads place postcodes in an LSOA through raw.ons_postcodes (landed by area profiles), so
# they load after it. Service directories are placed in dbt, which only builds once every family has loaded.
NEEDS_POSTCODE_LOOKUP = frozenset({"surveys", "volunteering"})
PROTOCOLS = ("ons_area_bundle", "survey_index", "hsds_services", "rpde_vacancies", "paged_volunteers",
             "vds_activities", "area_boundaries")


class RegistryError(ValueError):
    """config/sources.yml is malformed."""


@dataclass(frozen=True)
class Source:
    id: str
    family: str
    protocol: str
    path: str
    conn_id: str
    max_bytes: int
    connect_timeout: float
    read_timeout: float
    max_pages: int
    archive_payloads: bool
    max_shrink: float = 0.5
    page_size: int | None = None  # records per page (per_page / RPDE limit); None: the feed's default
    options: dict[str, Any] = field(default_factory=dict)  # reader-specific settings (docs/feeds.md)
    fetch_deadline: float = 900.0  # seconds one HTTP body may take in total (a trickling body fails)
    retired: tuple[str, ...] = ()  # sub-sources (e.g. survey ids) retired by an explicit decision
    accept_relabelled: tuple[str, ...] = ()  # surveys whose changed option labels were reviewed and accepted


def load_sources(path: Path) -> list[Source]:
    """Parse and validate the registry."""
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    defaults = doc.get("defaults", {})
    sources: list[Source] = []
    seen: set[str] = set()
    for entry in doc.get("sources", []):
        merged = {**defaults, **entry}
        missing = [k for k in ("id", "family", "protocol", "path", "conn_id") if not merged.get(k)]
        if missing:
            raise RegistryError(f"{path}: source {entry!r} lacks {', '.join(missing)}")
        if merged["family"] not in FAMILIES:
            raise RegistryError(f"{path}: source {merged['id']}: unknown family {merged['family']!r}")
        if merged["protocol"] not in PROTOCOLS:
            raise RegistryError(f"{path}: source {merged['id']}: unknown protocol {merged['protocol']!r}")
        if merged["id"] in seen:
            raise RegistryError(f"{path}: duplicate source id {merged['id']!r}")
        seen.add(merged["id"])
        sources.append(Source(
            id=merged["id"], family=merged["family"], protocol=merged["protocol"], path=merged["path"],
            conn_id=merged["conn_id"], max_bytes=int(merged.get("max_bytes", 512 * 1024 * 1024)),
            connect_timeout=float(merged.get("connect_timeout", 5)),
            read_timeout=float(merged.get("read_timeout", 120)),
            max_pages=int(merged.get("max_pages", 10000)),
            archive_payloads=bool(merged.get("archive_payloads", True)),
            max_shrink=float(merged.get("max_shrink", 0.5)),
            page_size=int(merged["page_size"]) if merged.get("page_size") else None,
            options=dict(merged.get("options") or {}),
            fetch_deadline=float(merged.get("fetch_deadline", 900)),
            retired=_retired(path, merged, "retired"),
            accept_relabelled=_retired(path, merged, "accept_relabelled"),
        ))
    return sources


def _retired(path: Path, merged: dict[str, Any], key: str) -> tuple[str, ...]:
    value = merged.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RegistryError(f"{path}: source {merged['id']}: '{key}' must be a list of ids")
    return tuple(value)


def sources_for(path: Path, family: str) -> list[Source]:
    return [s for s in load_sources(path) if s.family == family]
