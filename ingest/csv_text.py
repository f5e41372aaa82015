"""Decode partner CSV exports, parse them with structural checks, and check their headers.

Partners export from Excel and survey tools: UTF-8, UTF-8 with a BOM, UTF-16 with a BOM, or Windows-1252
with no marker at all. Decoding is decided per file and named in the outcome:

- ``utf-8`` / ``utf-8-sig`` / ``utf-16``: the file decodes cleanly;
- ``cp1252``: the file is not UTF-8 and holds no UTF-8 multi-byte sequence at all (a Windows export);
- ``utf-8 (N row(s) with invalid bytes)``: a UTF-8 file with a few invalid bytes. It is **not** re-decoded
  as cp1252 (that would silently change every accented name and break linkage); the rows holding the
  bad bytes are reported in ``row_problems`` so the reader quarantines them.

Structure is reconciled too: every physical line of the body is accounted for as part of a parsed row.
A quoted field that never closes (and so swallows the rows after it) is detected — a cell spanning
lines that look like CSV rows, or a quote still open at the end of the file — and its lines are reported
in ``swallowed`` rather than vanishing into one giant cell. Cells are NFKC-normalised (full-width digits
become ASCII digits); NUL bytes make a row a problem. Duplicate or near-duplicate headers (same text after
case, whitespace and NFKC folding) are refused: with two ``Observation`` columns one silently wins.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_INVALID = re.compile("[\udc80-\udcff]")
FIELD_LIMIT = min(sys.maxsize, 1 << 30)  # a 200 KB free-text answer is data, not an error

csv.field_size_limit(FIELD_LIMIT)


class SchemaDriftError(ValueError):
    """A CSV's columns are not the ones the reader was written for."""


def decode_text(content: bytes) -> tuple[str, str]:
    """Return (text, encoding outcome) for a CSV body; see the module docstring for the outcomes.

    Invalid bytes of a mostly-UTF-8 file are kept as lone surrogates (``surrogateescape``) so the rows
    that hold them can be found and quarantined.
    """
    if content.startswith(BOM):
        try:
            return content[len(BOM):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return content[len(BOM):].decode("utf-8", errors="surrogateescape"), "utf-8-sig (invalid bytes)"
    if content.startswith(UTF16_BOMS):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        if _UTF8_MULTIBYTE.search(content):
            return content.decode("utf-8", errors="surrogateescape"), "utf-8 (invalid bytes)"
        return content.decode("cp1252", errors="surrogateescape"), "cp1252"


def fold_header(text: str) -> str:
    """Header identity: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass
class CsvRows:
    header: list[str]
    rows: list[list[str]]
    encoding: str
    #: index into ``rows`` → problem (invalid bytes, NUL byte, unclosed quote …); the row must be quarantined
    row_problems: dict[int, str] = field(default_factory=dict)
    #: index into ``rows`` → physical lines swallowed by an unclosed quote in that row (beyond its first line)
    swallowed: dict[int, int] = field(default_factory=dict)
    physical_lines: int = 0  # non-blank lines after the header
    normalised_cells: int = 0  # cells changed by NFKC (e.g. full-width digits)

    @property
    def records(self) -> int:
        """Records the body holds: parsed rows plus the lines an unclosed quote swallowed."""
        return len(self.rows) + sum(self.swallowed.values())


def _normalise(cell: str) -> str:
    return cell if cell.isascii() else unicodedata.normalize("NFKC", cell)


def parse_csv(content: bytes, *, check_headers: bool = True) -> CsvRows:
    """Parse a CSV body into a header and rows of strings (blank lines dropped), with structural checks.

    ``check_headers=False`` only for a tool's raw multi-row header that is rebuilt and checked afterwards.
    """
    text, encoding = decode_text(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [_normalise(h).strip() for h in next(reader)]
    except StopIteration:
        return CsvRows(header=[], rows=[], encoding=encoding)
    folded = [fold_header(h) for h in header]
    duplicates = sorted({header[i] for i, f in enumerate(folded) if folded.count(f) > 1})
    if duplicates and check_headers:
        raise SchemaDriftError(f"duplicate or near-duplicate column header(s) {duplicates}: refusing to guess "
                               "which one holds the data")
    width = len(header)
    out = CsvRows(header=header, rows=[], encoding=encoding)
    # whole-body checks first (C speed): a body with no bad bytes, NULs or non-ASCII text skips those
    # per-cell checks, with the same result (a 1 M-row export spent most of its parse in them)
    may_be_invalid = _INVALID.search(text) is not None or "\x00" in text
    may_need_normalising = not text.isascii()
    for row in reader:
        if not "".join(row).strip():  # blank: no cell holds anything but whitespace
            continue
        index = len(out.rows)
        problem = _row_problem(row, width) if may_be_invalid else None
        spanned = _swallowed_lines(row, width) if len(row) != width else 0
        if spanned:
            out.swallowed[index] = spanned
            problem = (f"a quoted field never closes and swallowed the next {spanned} line(s)"
                       if problem is None else problem)
        if may_need_normalising and not "".join(row).isascii():  # an ASCII row is NFKC-normal already
            normalised = [_normalise(cell) for cell in row]
            out.normalised_cells += sum(1 for a, b in zip(row, normalised, strict=True) if a != b)
            row = normalised
        if problem:
            out.row_problems[index] = problem
        out.rows.append(row)
    last = len(out.rows) - 1
    if last >= 0 and out.rows[last] and "\n" in out.rows[last][-1] and text.count('"') % 2 \
            and last not in out.swallowed:
        out.row_problems.setdefault(last, "a quoted field is still open at the end of the file")
        out.swallowed[last] = len([line for line in out.rows[last][-1].split("\n")[1:] if line.strip()])
        if not out.swallowed[last]:
            del out.swallowed[last]
    out.physical_lines = sum(1 for line in text.split("\n")[1:] if line.strip())
    bad = sum(1 for i in out.row_problems if "invalid" in out.row_problems[i])
    if bad:
        out.encoding = f"{encoding.split(' ')[0]} ({bad} row(s) with invalid bytes)"
    return out


def _row_problem(row: list[str], width: int) -> str | None:
    for position, cell in enumerate(row, start=1):
        if _INVALID.search(cell):
            return f"column {position} holds invalid bytes for the file's encoding"
        if "\x00" in cell:
            return f"column {position} holds a NUL byte"
    return None


def _swallowed_lines(row: list[str], width: int) -> int:
    """Lines inside one cell that look like whole CSV rows (an unclosed quote), else 0.

    Only asked of rows whose width is wrong (or, below, of the last row when a quote is still open at the
    end of the file): a well-formed multi-line cell keeps its row the header's width.
    """
    if width < 2:
        return 0
    for cell in row:
        if "\n" not in cell:
            continue
        inner = cell.split("\n")[1:]
        row_like = [line for line in inner if line.count(",") >= width - 1]
        if row_like and len(row_like) * 2 >= len([line for line in inner if line.strip()]):
            return len([line for line in inner if line.strip()])
    return 0


def map_header(header: Sequence[str], expected: dict[str, str], *, what: str) -> tuple[dict[str, int], list[str]]:
    """Map expected header names to column positions.

    ``expected`` maps the partner's header text to our raw column name. A missing expected column is
    schema drift and raises; extra columns are returned so the caller can note them.
    """
    folded = {fold_header(h): i for i, h in enumerate(header)}
    positions: dict[str, int] = {}
    missing: list[str] = []
    for header_text, column in expected.items():
        index = folded.get(fold_header(header_text))
        if index is None:
            missing.append(header_text)
        else:
            positions[column] = index
    if missing:
        raise SchemaDriftError(
            f"{what}: expected column(s) {missing} not found; header was {list(header)}"
        )
    known = {fold_header(h) for h in expected}
    extra = [h for h in header if fold_header(h) not in known]
    return positions, extra
