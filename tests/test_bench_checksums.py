"""bench.checksums: equal for the same rows in any order, different when one value changes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.checksums import checksums


def _warehouse(path: Path, rows: list[tuple[str, float | None]]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.t (code VARCHAR, value DOUBLE)")
    con.executemany("INSERT INTO marts.t VALUES (?, ?)", rows)
    con.close()
    return path


def test_checksum_ignores_row_order_and_sees_a_changed_value(tmp_path: Path) -> None:
    rows = [("a", 1.0), ("b", None), ("c", 2.5)]
    first = checksums(_warehouse(tmp_path / "one.duckdb", rows))
    reordered = checksums(_warehouse(tmp_path / "two.duckdb", rows[::-1]))
    changed = checksums(_warehouse(tmp_path / "three.duckdb", [("a", 1.0), ("b", None), ("c", 2.5000001)]))
    assert first == reordered
    assert first["marts.t"]["rows"] == 3
    assert changed["marts.t"]["checksum"] != first["marts.t"]["checksum"]
