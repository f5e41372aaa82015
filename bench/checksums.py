"""Order-independent checksums of every mart (and, optionally, intermediate) table in a warehouse.

``python -m bench.checksums PATH [--schema marts] [--out FILE]``: one line per table, ``rows`` and a
checksum that does not depend on row order (sum of per-row hashes), so two builds can be compared
exactly — before/after an optimisation, or an incremental publication against a full rebuild.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def checksums(path: Path, schemas: tuple[str, ...] = ("marts",)) -> dict[str, dict[str, int]]:
    """{schema.table: {"rows": n, "checksum": h}} for every table in ``schemas``."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        placeholders = ", ".join("?" for _ in schemas)
        tables = con.execute(
            f"SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ({placeholders})"
            " ORDER BY 1, 2", list(schemas)).fetchall()
        out: dict[str, dict[str, int]] = {}
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            # hash of each row's text form (doubles rounded to 12 significant digits would hide real change:
            # they are hashed as stored), summed modulo 2^64 so the order rows come in does not matter
            rows, digest = con.execute(
                f"SELECT count(*), coalesce(sum(hash(t::VARCHAR))::HUGEINT % 18446744073709551616, 0) "
                f"FROM {name} AS t").fetchone()
            out[f"{schema}.{table}"] = {"rows": int(rows), "checksum": int(digest)}
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--schema", action="append", dest="schemas")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = checksums(args.path, tuple(args.schemas or ["marts"]))
    text = json.dumps(result, indent=1, sort_keys=True)
    if args.out:
        args.out.write_text(text)
    for table, value in result.items():
        print(f"{table:<60}{value['rows']:>10} {value['checksum']:>22}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
