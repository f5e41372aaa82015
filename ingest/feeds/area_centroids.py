"""LSOA centroids from their own ONS file, joined to the LSOA lookup on the LSOA code.

The ONS LSOA → ward → LAD lookup carries no coordinates; ONS publishes the population-weighted
centroids separately ("LSOA (Dec 2021) Population Weighted Centroids", ``FID,LSOA21CD,GlobalID,x,y``).
The area bundle names that file in its source options (``options.centroids: lsoa_centroids.csv``,
docs/feeds.md §1). ``x``/``y`` are British National Grid easting/northing (the layer's own grid) or, in a
download re-projected to WGS84, longitude/latitude: one reference system per file, told apart by range
and named in the notes; a row outside that system's range is quarantined, never read as 0,0.
"""

from __future__ import annotations

from ingest.checks import LSOA, code_problem, float_problem
from ingest.csv_text import SchemaDriftError, parse_csv
from ingest.feeds.area_profiles import AreaFile, Row, resolve_header
from ingest.grid import is_grid, wgs84_from_grid
from ingest.http_client import FeedClient
from ingest.landing import Landing, QuarantineRecord, RawTable, strings_table, with_provenance
from ingest.sources import Source

GRID, DEGREES = "EPSG:27700", "EPSG:4326"
COLUMNS = ["lsoa_code", "x", "y", "crs", "latitude", "longitude"]
CENTROIDS = AreaFile("lsoa_centroids.csv", "ons_lsoa_centroids", {"LSOA21CD": "lsoa_code", "x": "x", "y": "y"},
                     ("lsoa_code",), lambda r: None)


def centroid_path(source: Source) -> str | None:
    """The declared centroid file's path (relative names are inside the bundle's path), or None."""
    name = source.options.get("centroids")
    if not name:
        return None
    name = str(name)
    return name if name.startswith(("/", "http://", "https://", "file://")) else f"{source.path.rstrip('/')}/{name}"


def _crs(rows: list[list[str]], positions: dict[str, int]) -> str:
    """The file's reference system: that of most rows whose coordinates are plausible in one of the two
    (a 0,0 placeholder or a wild value never decides it; grid when none is)."""
    votes = {GRID: 0, DEGREES: 0}
    for cells in rows:
        try:
            x, y = float(cells[positions["x"]]), float(cells[positions["y"]])
        except (IndexError, ValueError):
            continue
        if is_grid(x, y):
            votes[GRID] += 1
        elif -8.7 <= x <= 2.0 and 49.0 <= y <= 61.0:
            votes[DEGREES] += 1
    return DEGREES if votes[DEGREES] > votes[GRID] else GRID


def _place(row: Row, crs: str) -> str | None:
    """Fill latitude/longitude from x/y in ``crs``; the problem if the row cannot be placed."""
    try:
        placeholder = float(row["x"]) == 0 and float(row["y"]) == 0
    except ValueError:
        placeholder = False
    if placeholder:
        return "x/y 0,0 is a placeholder, not a centroid"
    if crs == GRID:
        problem = (float_problem(row["x"], "easting (x)", 0, 700_000)
                   or float_problem(row["y"], "northing (y)", 0, 1_300_000))
        if problem:
            return f"{problem} (the file's other rows are British National Grid eastings/northings)"
        lat, lon = wgs84_from_grid(float(row["x"]), float(row["y"]))
        row["latitude"], row["longitude"] = f"{lat:.6f}", f"{lon:.6f}"
    else:
        row["latitude"], row["longitude"] = row["y"], row["x"]
    return (float_problem(row["latitude"], "latitude", 49.0, 61.0)
            or float_problem(row["longitude"], "longitude", -8.7, 2.0))


def read_centroids(client: FeedClient, source: Source, landing: Landing) -> dict[str, tuple[str, str]] | None:
    """Land the declared centroid file as ``raw.ons_lsoa_centroids`` (bad rows quarantined) and return
    LSOA code → (latitude, longitude) in WGS84; None when the source declares no centroid file."""
    path = centroid_path(source)
    if path is None:
        return None
    payload = client.get(path)
    landing.payloads.append(payload)
    parsed = parse_csv(payload.content)
    if not parsed.header:
        raise SchemaDriftError(f"{CENTROIDS.path}: the declared centroid file is empty")
    positions, extra = resolve_header(parsed.header, CENTROIDS)
    crs = _crs(parsed.rows, positions)
    landing.notes.append(f"{CENTROIDS.path}: coordinates read as {'British National Grid' if crs == GRID else 'WGS84'}"
                         f" ({crs}){f'; ignored extra column(s) {extra}' if extra else ''}")
    good: list[Row] = []
    seen: set[str] = set()
    for line_no, cells in enumerate(parsed.rows, start=2):
        landing.received += 1
        row = {c: "" for c in COLUMNS}
        row.update({c: (cells[i].strip() if i < len(cells) else "") for c, i in positions.items()})
        row["lsoa_code"], row["crs"] = row["lsoa_code"].upper(), crs
        reason = parsed.row_problems.get(line_no - 2)
        if reason is None and len(cells) != len(parsed.header):
            reason = f"row has {len(cells)} cells, header has {len(parsed.header)}"
        reason = reason or code_problem(row["lsoa_code"], LSOA, "LSOA code") or _place(row, crs)
        if reason is None and row["lsoa_code"] in seen:
            reason = f"duplicate key {{'lsoa_code': {row['lsoa_code']!r}}}"
        if reason:
            landing.quarantine.append(QuarantineRecord(
                entity=CENTROIDS.table, reason=reason, record={"line": line_no, **row},
                record_key=f"{CENTROIDS.path}:{line_no}", payload_sha256=payload.sha256))
            continue
        seen.add(row["lsoa_code"])
        good.append(row)
    landing.tables.append(RawTable(CENTROIDS.table, with_provenance(
        strings_table(good, COLUMNS), landing.context, payload.fetched_at, payload.sha256)))
    landing.loaded += len(good)
    return {r["lsoa_code"]: (r["latitude"], r["longitude"]) for r in good}
