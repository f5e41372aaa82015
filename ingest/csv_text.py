"""Decode partner CSV exports and check their headers.

Partners export from Excel and survey tools: UTF-8, UTF-8 with a BOM, or Windows-1252 with no marker
at all. We detect rather than trust: BOM → utf-8-sig; valid UTF-8 → utf-8; otherwise cp1252.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"


class SchemaDriftError(ValueError):
    """A CSV's columns are not the ones the reader was written for."""


def decode_text(content: bytes) -> tuple[str, str]:
    """Return (text, encoding) for a CSV body."""
    if content.startswith(BOM):
        return content[len(BOM):].decode("utf-8"), "utf-8-sig"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace"), "cp1252"


@dataclass
class CsvRows:
    header: list[str]
    rows: list[list[str]]
    encoding: str


def parse_csv(content: bytes) -> CsvRows:
    """Parse a CSV body into a header and rows of strings (blank lines dropped)."""
    text, encoding = decode_text(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return CsvRows(header=[], rows=[], encoding=encoding)
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    return CsvRows(header=header, rows=rows, encoding=encoding)


def map_header(header: Sequence[str], expected: dict[str, str], *, what: str) -> tuple[dict[str, int], list[str]]:
    """Map expected header names to column positions.

    ``expected`` maps the partner's header text to our raw column name. A missing expected column is
    schema drift and raises; extra columns are returned so the caller can note them.
    """
    folded = {h.strip().casefold(): i for i, h in enumerate(header)}
    positions: dict[str, int] = {}
    missing: list[str] = []
    for header_text, column in expected.items():
        index = folded.get(header_text.casefold())
        if index is None:
            missing.append(header_text)
        else:
            positions[column] = index
    if missing:
        raise SchemaDriftError(
            f"{what}: expected column(s) {missing} not found; header was {list(header)}"
        )
    known = {h.casefold() for h in expected}
    extra = [h for h in header if h.strip().casefold() not in known]
    return positions, extra
