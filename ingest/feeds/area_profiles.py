"""Area profiles: ONS-style geography, census tables, IMD and the postcode lookup (CSV files)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ingest.checks import DISTRICT, LSOA, WARD, code_problem, float_problem, int_problem
from ingest.csv_text import CsvRows, SchemaDriftError, map_header, parse_csv
from ingest.http_client import FeedClient
from ingest.landing import Landing, LoadContext, QuarantineRecord, RawTable, strings_table, with_provenance
from ingest.sources import Source

Row = dict[str, str]


@dataclass(frozen=True)
class AreaFile:
    """One CSV of the bundle: its URL path, header → raw column map, raw table and row checks."""

    path: str
    table: str
    columns: dict[str, str]
    key: tuple[str, ...]
    check: Callable[[Row], str | None]


def _first(*problems: str | None) -> str | None:
    return next((p for p in problems if p), None)


def _check_lookup(r: Row) -> str | None:
    return _first(
        code_problem(r["lsoa_code"], LSOA, "LSOA code"),
        code_problem(r["ward_code"], WARD, "ward code"),
        code_problem(r["lad_code"], DISTRICT, "district code"),
        float_problem(r["latitude"], "latitude", 49.0, 61.0),
        float_problem(r["longitude"], "longitude", -8.7, 2.0),
    )


def _check_observation(r: Row) -> str | None:
    return _first(code_problem(r["lsoa_code"], LSOA, "LSOA code"),
                  int_problem(r["observation"], "Observation", lo=0))


def _check_imd(r: Row) -> str | None:
    return _first(
        code_problem(r["lsoa_code"], LSOA, "LSOA code"),
        int_problem(r["imd_rank"], "IMD rank", lo=1, hi=33755),
        int_problem(r["imd_decile"], "IMD decile", lo=1, hi=10),
    )


def _check_postcode(r: Row) -> str | None:
    from ingest.pseudonymise import normalise_postcode

    if normalise_postcode(r["pcds"]) is None:
        return f"postcode {r['pcds']!r} is malformed"
    return _first(
        code_problem(r["lsoa_code"], LSOA, "LSOA code"),
        float_problem(r["latitude"], "latitude", 49.0, 61.0, required=False),
        float_problem(r["longitude"], "longitude", -8.7, 2.0, required=False),
    )


_OBS_BY_LSOA = {
    "Lower layer Super Output Areas Code": "lsoa_code",
    "Lower layer Super Output Areas": "lsoa_name",
}

# statistics must describe an LSOA of the lookup; the postcode file may legitimately reach beyond it
LOOKUP_CHECKED = frozenset({"census_age_sex", "census_ethnicity", "imd"})

AREA_FILES: tuple[AreaFile, ...] = (
    AreaFile("lsoa_lookup.csv", "ons_lsoa_lookup", {
        "LSOA21CD": "lsoa_code", "LSOA21NM": "lsoa_name", "WD24CD": "ward_code", "WD24NM": "ward_name",
        "LAD24CD": "lad_code", "LAD24NM": "lad_name", "LAT": "latitude", "LONG": "longitude",
    }, ("lsoa_code",), _check_lookup),
    AreaFile("census_age_sex.csv", "census_age_sex", {
        **_OBS_BY_LSOA,
        "Sex (2 categories) Code": "sex_code", "Sex (2 categories)": "sex_label",
        "Age (7 categories) Code": "age_band_code", "Age (7 categories)": "age_band_label",
        "Observation": "observation",
    }, ("lsoa_code", "sex_code", "age_band_code"), _check_observation),
    AreaFile("census_ethnicity.csv", "census_ethnicity", {
        **_OBS_BY_LSOA,
        "Ethnic group (6 categories) Code": "ethnic_group_code",
        "Ethnic group (6 categories)": "ethnic_group_label",
        "Observation": "observation",
    }, ("lsoa_code", "ethnic_group_code"), _check_observation),
    AreaFile("imd.csv", "imd", {
        "LSOA code (2021)": "lsoa_code", "LSOA name (2021)": "lsoa_name",
        "Local Authority District code (2024)": "lad_code", "Local Authority District name (2024)": "lad_name",
        "Index of Multiple Deprivation (IMD) Rank": "imd_rank",
        "Index of Multiple Deprivation (IMD) Decile": "imd_decile",
    }, ("lsoa_code",), _check_imd),
    AreaFile("postcodes.csv", "ons_postcodes", {
        "pcd": "pcd", "pcd2": "pcd2", "pcds": "pcds", "dointr": "date_introduced", "doterm": "date_terminated",
        "oslaua": "lad_code", "osward": "ward_code", "lsoa21": "lsoa_code", "lat": "latitude", "long": "longitude",
    }, ("pcds",), _check_postcode),
)


ALIASES_FILE = Path(__file__).resolve().parent.parent / "ons_aliases.yml"


@cache
def aliases() -> dict[str, dict[str, Any]]:
    """The declarative ONS header alias table (ingest/ons_aliases.yml)."""
    return yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8")) or {}


def resolve_header(header: Sequence[str], spec: AreaFile) -> tuple[dict[str, int], list[str]]:
    """Column positions for ``spec`` from the alias patterns of its product (exact demo names otherwise);
    a header of an out-of-scope product is refused with its reason, a missing required column is drift."""
    table = aliases().get(spec.path) or {}
    if not table.get("columns"):
        return map_header(header, spec.columns, what=spec.path)
    folded = [h.strip().casefold() for h in header]
    for rule in table.get("refuse") or []:
        if any(re.fullmatch(rule["pattern"], h) for h in folded):
            raise SchemaDriftError(f"{spec.path}: refused: this file {rule['reason']}")
    positions: dict[str, int] = {}
    missing = []
    for column, patterns in table["columns"].items():
        index = next((i for pattern in patterns for i, h in enumerate(folded) if re.fullmatch(pattern, h)), None)
        if index is not None:
            positions[column] = index
        elif column not in (table.get("optional") or []):
            official = next((h for h, c in spec.columns.items() if c == column), column)
            missing.append(f"{official} (column {column}; header patterns {patterns})")
    if missing:
        raise SchemaDriftError(f"{spec.path}: expected column(s) {missing} not found; header was {list(header)}")
    used = set(positions.values())
    return positions, [h for i, h in enumerate(header) if i not in used]


def nomis_wide_to_long(parsed: CsvRows, spec: AreaFile) -> CsvRows | None:
    """A NOMIS bulk CSV (one row per area, one column per category, e.g. TS021) as the long layout of the
    ONS custom dataset the reader maps (one row per area × category); None if the file is not that layout."""
    wide = (aliases().get(spec.path) or {}).get("nomis_wide")
    folded = [h.strip().casefold() for h in parsed.header]
    if not wide or wide["geography_code"] not in folded:
        return None
    code_at, name_at = folded.index(wide["geography_code"]), folded.index(wide.get("geography_name", ""))
    missing = [c["column"] for c in wide["categories"] if c["column"] not in folded]
    if missing:
        raise SchemaDriftError(f"{spec.path}: NOMIS wide layout lacks the category column(s) {missing}")
    long_header = list(spec.columns)
    rows = []
    for cells in parsed.rows:
        def cell(i: int, cells: list[str] = cells) -> str:
            return cells[i] if i < len(cells) else ""
        for category in wide["categories"]:
            observation = cell(folded.index(category["column"])) if len(cells) == len(parsed.header) else ""
            rows.append([cell(code_at), cell(name_at), category["code"], category["label"], observation])
    return CsvRows(header=long_header, rows=rows, encoding=parsed.encoding)


def _postcode_scope(row: Row, spec: AreaFile) -> str | None:
    """ONSPD/NSPL rows: "no grid reference" coordinates blanked; Scottish / Northern Irish / Crown
    dependency rows skipped with that reason (valid, but outside England and Wales)."""
    table = aliases().get(spec.path) or {}
    blank = table.get("no_grid_reference") or {}
    if blank and all(row.get(c) == v for c, v in blank.items()):
        for c in blank:
            row[c] = ""
    pattern = table.get("out_of_scope_codes")
    codes = [row.get(c) or "" for c in ("lsoa_code", "lad_code")]
    if pattern and any(re.match(pattern, c) for c in codes if c) and not any(c[:1] in "EW" for c in codes if c):
        return (f"out of scope: Scottish/Northern Irish/Crown dependency area code {next(c for c in codes if c)!r} "
                "(England and Wales only)")
    return None


def _lookup_placement(positions: dict[str, int], declared: bool, landing: Landing) -> dict[str, int]:
    """The lookup's columns, its own LAT/LONG dropped when a centroid file is declared; a lookup with
    neither is refused (its LSOAs would have no location, and 0,0 is never assumed)."""
    own = {"latitude", "longitude"} & set(positions)
    if declared:
        if own:
            landing.notes.append("lsoa_lookup.csv: its own LAT/LONG ignored; centroids come from the declared "
                                 "centroid file")
        return {c: i for c, i in positions.items() if c not in own}
    if len(own) < 2:
        raise SchemaDriftError(
            "lsoa_lookup.csv: refused: the lookup has no centroid columns (LAT/LONG) and the source declares no "
            "centroid file — ONS publishes LSOA centroids separately (\"LSOA (Dec 2021) Population Weighted "
            "Centroids\"): add it to the bundle and name it in the source's options (centroids: lsoa_centroids.csv)")
    return positions


def read_area_bundle(client: FeedClient, source: Source, context: LoadContext) -> Landing:
    """Fetch every file of the bundle; rows failing checks, repeating a key or (census, IMD) naming an
    LSOA missing from the bundle's own LSOA lookup go to quarantine."""
    from ingest.feeds.area_centroids import CENTROIDS, read_centroids

    landing = Landing(context=context, received=0, loaded=0)
    known_lsoas: set[str] = set()
    centroids = read_centroids(client, source, landing)
    for spec in AREA_FILES:
        payload = client.get(f"{source.path.rstrip('/')}/{spec.path}")
        landing.payloads.append(payload)
        parsed = parse_csv(payload.content)
        long = nomis_wide_to_long(parsed, spec)
        if long is not None:
            landing.notes.append(f"{spec.path}: NOMIS wide layout, {len(parsed.rows)} area row(s) → "
                                 f"{len(long.rows)} long row(s)")
            parsed = long
        positions, extra = resolve_header(parsed.header, spec)
        if spec.table == "ons_lsoa_lookup":
            positions = _lookup_placement(positions, centroids is not None, landing)
        if extra:
            landing.notes.append(f"{spec.path}: ignored extra column(s) {extra}")
        if parsed.encoding != "utf-8":
            landing.notes.append(f"{spec.path}: decoded as {parsed.encoding}")
        good: list[Row] = []
        seen: set[tuple[str, ...]] = set()
        for line_no, cells in enumerate(parsed.rows, start=2):
            landing.received += 1
            row = {col: "" for col in spec.columns.values()}
            row.update({col: (cells[i].strip() if i < len(cells) else "") for col, i in positions.items()})
            reason = None
            if centroids is not None and spec.table == "ons_lsoa_lookup":
                row["latitude"], row["longitude"] = centroids.get(row["lsoa_code"].upper(), ("", ""))
                if not row["latitude"]:
                    reason = f"no centroid for this LSOA in the declared centroid file {CENTROIDS.path}"
            if len(cells) != len(parsed.header):
                reason = f"row has {len(cells)} cells, header has {len(parsed.header)}"
            if reason is None and spec.table == "ons_postcodes":
                reason = _postcode_scope(row, spec)
            reason = reason or spec.check(row)
            if reason is None and spec.table in LOOKUP_CHECKED and row["lsoa_code"].upper() not in known_lsoas:
                reason = f"LSOA code {row['lsoa_code']!r} is not in the LSOA lookup"
            key = tuple(row[k].strip().upper() for k in spec.key)
            if reason is None and key in seen:
                reason = f"duplicate key {dict(zip(spec.key, key, strict=True))}"
            if reason:
                landing.quarantine.append(QuarantineRecord(
                    entity=spec.table, reason=reason, record={"line": line_no, **row},
                    record_key=f"{spec.path}:{line_no}", payload_sha256=payload.sha256,
                ))
                continue
            seen.add(key)
            good.append(row)
            if spec.table == "ons_lsoa_lookup":
                known_lsoas.add(row["lsoa_code"].upper())
        rows = strings_table(good, list(spec.columns.values()))
        landing.tables.append(RawTable(spec.table, with_provenance(rows, context, payload.fetched_at,
                                                                   payload.sha256)))
        landing.loaded += len(good)
    return landing
