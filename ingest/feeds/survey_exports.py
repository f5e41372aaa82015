"""Survey-tool export layouts → the one-header CSV the survey reader maps against its questionnaire.

A questionnaire may declare its export layout (``"export": {...}``, docs/feeds.md §2):

- ``tool``: ``csv`` (default: the file is used as-is), ``surveymonkey`` (two header rows: question text,
  then "Response" or the option/sub-question), ``google_forms``, ``microsoft_forms``, ``spss`` (.sav, via
  pyreadstat) or ``xlsx`` (first sheet, via openpyxl);
- ``ignore_columns``: tool columns to drop (e.g. SurveyMonkey ``Collector ID``, ``IP Address``);
- ``dates``: ``{column: strptime format}`` rewritten to ISO 8601 (e.g. ``%m/%d/%Y %I:%M:%S %p`` for
  SurveyMonkey and US-locale Microsoft Forms);
- ``multi_select``: ``{column: {"options": [...], "separator": ";"}}`` — a Microsoft Forms / Google Forms
  checkbox answer (``Library;Leisure centre;``) becomes one column per option, ``<column> - <option>``, holding
  the option when ticked (the SurveyMonkey layout, so the questionnaire maps each option as a question);
  answers outside the listed options go to ``<column> - Other``;
- ``derive_response_id``: name of a response-id column to add, a hash of the row's own cells (Google
  Forms exports have none; the same row gets the same id in every re-export, and an exact repeat is then
  quarantined as a duplicate).

A binary file is recognised by its signature and never parsed as CSV: an SPSS or Excel file without the
matching ``tool`` is refused naming what it is.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingest.csv_text import SchemaDriftError, parse_csv

SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"$FL2", "spss", "an SPSS .sav file"),
    (b"$FL3", "spss", "an SPSS .zsav file"),
    (b"PK\x03\x04", "xlsx", "a ZIP container (.xlsx / .docx / .zip)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls", "an OLE2 file (legacy .xls / .doc)"),
    (b"%PDF", "pdf", "a PDF document"),
    (b"\x1f\x8b", "gzip", "a gzip archive"),
)
BINARY_NULS = 16  # NUL bytes in the first 4 KiB from which an unrecognised file is taken as binary
TOOLS = ("csv", "surveymonkey", "google_forms", "microsoft_forms", "spss", "xlsx")


def sniff(content: bytes) -> tuple[str, str] | None:
    """(kind, description) of a binary file recognised by its first bytes; None for text."""
    for magic, kind, what in SIGNATURES:
        if content.startswith(magic):
            return kind, what
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text with its BOM: decoded by parse_csv
        return None
    # A stray NUL in one cell is a text file with a bad row (quarantined by the reader); many NULs are binary.
    head = content[:4096]
    return ("binary", "a binary file (NUL bytes)") if head.count(b"\x00") >= BINARY_NULS else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _spss_rows(content: bytes) -> tuple[list[str], list[list[str]]]:
    import pyreadstat

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "responses.sav"
        path.write_bytes(content)
        frame, _meta = pyreadstat.read_sav(str(path))
    header = [str(c) for c in frame.columns]
    rows = [[_cell(None if v != v else v) for v in record] for record in frame.itertuples(index=False)]  # NaN → ""
    return header, rows


def _xlsx_rows(content: bytes) -> tuple[list[str], list[list[str]]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        values = [[_cell(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    values = [row for row in values if any(c.strip() for c in row)]
    return ([c.strip() for c in values[0]], values[1:]) if values else ([], [])


def _surveymonkey_header(top: list[str], sub: list[str]) -> list[str]:
    """Row 1 names a question once (blank over its further columns), row 2 says "Response" / "Open-Ended
    Response" for a single column or names the option / sub-question."""
    header, current = [], ""
    for i, text in enumerate(top):
        current = text.strip() or current
        detail = sub[i].strip() if i < len(sub) else ""
        if not detail or detail.casefold() in ("response", "open-ended response"):
            header.append(current)
        else:
            header.append(f"{current} - {detail}")
    return header


def _explode(header: list[str], rows: list[list[str]], column: str, spec: dict[str, Any],
             what: str) -> tuple[list[str], list[list[str]]]:
    index = next((i for i, h in enumerate(header) if h.strip().casefold() == column.casefold()), None)
    if index is None:
        raise SchemaDriftError(f"{what}: multi-select column {column!r} (export.multi_select) is not in the file")
    options = [str(o) for o in spec.get("options") or []]
    folded = {o.strip().casefold(): o for o in options}
    separator = spec.get("separator", ";")
    new_header = header[:index] + [f"{column} - {o}" for o in options] + [f"{column} - Other"] + header[index + 1:]
    out = []
    for row in rows:
        cell = row[index] if index < len(row) else ""
        ticked = [t.strip() for t in cell.split(separator) if t.strip()]
        known = {folded[t.casefold()] for t in ticked if t.casefold() in folded}
        other = separator.join(t for t in ticked if t.casefold() not in folded)
        out.append(row[:index] + [o if o in known else "" for o in options] + [other] + row[index + 1:])
    return new_header, out


def normalise_export(content: bytes, export: dict[str, Any] | None, *, what: str) -> bytes:
    """The export as a one-header UTF-8 CSV (unchanged bytes for a plain CSV with no declared layout)."""
    export = export or {}
    tool = export.get("tool", "csv")
    if tool not in TOOLS:
        raise SchemaDriftError(f"{what}: unknown export tool {tool!r} (one of {', '.join(TOOLS)})")
    binary = sniff(content)
    if binary and binary[0] != tool:
        raise SchemaDriftError(f"{what}: the file is {binary[1]}, not a CSV; it was not parsed — declare its layout "
                               "in the questionnaire (export.tool: spss / xlsx) if it is a survey export")
    if not binary and tool in ("spss", "xlsx"):
        raise SchemaDriftError(f"{what}: export.tool is {tool} but the file has no {tool} signature")
    if tool == "csv" and not export:
        return content
    if tool == "spss":
        header, rows = _spss_rows(content)
    elif tool == "xlsx":
        header, rows = _xlsx_rows(content)
    else:
        # SurveyMonkey's first header row leaves sub-answer columns blank: the combined header is checked
        # for duplicates when the reader parses this function's output
        parsed = parse_csv(content, check_headers=tool != "surveymonkey")
        header, rows = parsed.header, parsed.rows
        if tool == "surveymonkey":
            if not rows:
                raise SchemaDriftError(f"{what}: a SurveyMonkey export has two header rows; the second is missing")
            header, rows = _surveymonkey_header(header, rows[0]), rows[1:]
    ignore = {c.strip().casefold() for c in export.get("ignore_columns") or []}
    keep = [i for i, h in enumerate(header) if h.strip().casefold() not in ignore]
    header = [header[i] for i in keep]
    rows = [[row[i] if i < len(row) else "" for i in keep] for row in rows]
    for column, fmt in (export.get("dates") or {}).items():
        index = next((i for i, h in enumerate(header) if h.strip().casefold() == column.casefold()), None)
        if index is None:
            raise SchemaDriftError(f"{what}: date column {column!r} named in export.dates is not in the file")
        for row in rows:
            value = row[index].strip()
            if value:
                with contextlib.suppress(ValueError):  # left as is: the reader quarantines "is not a date"
                    row[index] = datetime.strptime(value, fmt).isoformat()
    for column, spec in (export.get("multi_select") or {}).items():
        header, rows = _explode(header, rows, column, spec, what)
    derived = export.get("derive_response_id")
    if derived:
        header = [derived, *header]
        rows = [[hashlib.sha256("\x1f".join(row).encode("utf-8")).hexdigest()[:16], *row] for row in rows]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
