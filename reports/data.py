"""Read the published marts (read-only) into frames the pages are drawn from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

MARTS = ("area_boundaries", "area_profiles", "quality_of_life", "survey_representation", "survey_overlap",
         "service_coverage", "service_map", "volunteering_by_area", "volunteer_vacancies", "consultation_summary")


@dataclass
class Published:
    """The marts the site needs, plus what the publication record says about the file."""

    tables: dict[str, pd.DataFrame]
    all_tables: dict[str, int]
    record: dict

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def level(value: str) -> str:
    """One spelling per level: ward, lad, partnership."""
    return {"authority": "lad", "district": "lad"}.get(value, value)


def load(published_path: Path) -> Published:
    """Every mart the site uses, from the published file opened read-only; a missing mart is an error."""
    con = duckdb.connect(str(published_path), read_only=True)
    try:
        present = {r[0]: r[1] for r in con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        missing = [m for m in MARTS if m not in present]
        if missing:
            raise ValueError(f"{published_path} lacks mart(s) {missing}; cannot build the site")
        tables = {m: con.execute(f"SELECT * FROM main.{m}").df() for m in MARTS}
        counts = {t: int(con.execute(f"SELECT count(*) FROM main.{t}").fetchone()[0]) for t in sorted(present)}
    finally:
        con.close()
    for name, frame in tables.items():
        # pandas 3's Arrow-backed "str" columns make every row filter, take and itertuples several times
        # slower than plain Python objects (measured: most of the build); the values and missing (NaN) are the same
        text = [c for c, d in frame.dtypes.items() if str(d) == "str"]
        if text:
            tables[name] = frame = frame.astype({c: object for c in text})
        if "area_level" in frame.columns:
            frame["area_level"] = frame["area_level"].map(level)
    record_path = published_path.parent / "PUBLISHED.json"
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    return Published(tables=tables, all_tables=counts, record=record)
