"""Survey-tool export layouts → the one-header CSV the survey reader maps against its questionnaire.

A questionnaire may declare its export layout (``"export": {...}``, docs/feeds.md §2):

- ``tool``: ``csv`` (default: the file is used as-is), ``surveymonkey`` (two header rows: question text,
  then "Response" or the option/sub-question), ``google_forms``, ``microsoft_forms``, ``spss`` (.sav, via
  pyreadstat: codes are read, the file's value labels become the options of questions that list none —
  ``with_spss_labels``) or ``xlsx`` (first sheet, via openpyxl);
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
import json
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingest.csv_text import SchemaDriftError, parse_csv
from ingest.feeds.export_widths import reconcile_widths

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


def _code(value: Any) -> str:
    return _cell(value).strip()


def spss_labels(content: bytes) -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, set[str]]]:
    """(variable labels, value labels as code → label, user-missing codes) of a .sav file, from its metadata."""
    import pyreadstat

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "responses.sav"
        path.write_bytes(content)
        _frame, meta = pyreadstat.read_sav(str(path), metadataonly=True, user_missing=True)
    variables = {str(k): str(v) for k, v in (meta.column_names_to_labels or {}).items() if v}
    values = {str(var): {_code(code): str(label) for code, label in labels.items()}
              for var, labels in (meta.variable_value_labels or {}).items()}
    missing: dict[str, set[str]] = {}
    for var, ranges in (meta.missing_ranges or {}).items():
        missing[str(var)] = {_code(r["lo"]) for r in ranges if r.get("lo") == r.get("hi")}
    return variables, values, missing


def with_spss_labels(doc: dict[str, Any], content: bytes, *, what: str) -> tuple[dict[str, Any], list[str]]:
    """The questionnaire completed from the .sav file's own dictionary: a question column (``id`` = the SPSS
    variable name) without ``options`` gets the variable's value labels as options (codes declared user-missing
    are left out: those answers are read as blank), one without ``text`` its variable label. Declared options
    whose label differs from the file's label for the same code are refused (the codes would change meaning)."""
    variables, values, missing = spss_labels(content)
    doc = json.loads(json.dumps(doc))
    filled, conflicts = [], []
    for col in doc.get("columns") or []:
        var = str(col.get("id"))
        if not col.get("text") and var in variables:
            col["text"] = variables[var]
        labels = {c: lab for c, lab in values.get(var, {}).items() if c not in missing.get(var, set())}
        if col.get("role") != "question" or not labels:
            continue
        declared = {str(o.get("code")).strip(): str(o.get("label") or "") for o in col.get("options") or []}
        if not declared:
            col["options"] = [{"code": c, "label": lab} for c, lab in labels.items()]
            col.setdefault("type", "single")
            filled.append(var)
        conflicts += [f"{var} code {c}: questionnaire {declared[c]!r}, file {lab!r}" for c, lab in labels.items()
                      if c in declared and declared[c].strip().casefold() != lab.strip().casefold()]
    if conflicts:
        raise SchemaDriftError(f"{what}: the questionnaire's options disagree with the SPSS value labels "
                               f"({'; '.join(conflicts[:5])}); refusing to guess which is right")
    notes = [f"options of {filled} taken from the SPSS value labels"] if filled else []
    dropped = sorted(f"{v}={c}" for v, codes in missing.items() for c in codes if c in values.get(v, {}))
    if dropped:
        notes.append(f"SPSS user-missing codes read as not answered: {dropped}")
    return doc, notes


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
    return read_export(content, export, what=what).body


@dataclass
class Export:
    """A normalised export: the one-header CSV body, and the records left out of it with their reason
    (1-based record number → (reason, further physical lines the record swallowed)) for the reader to
    quarantine, so every record of the file is counted."""

    body: bytes
    dropped: dict[int, tuple[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_export(content: bytes, export: dict[str, Any] | None, *, what: str) -> Export:
    """``normalise_export`` with its accounting: rows with a structural problem (invalid bytes, NUL, an
    unclosed quote), rows whose width cannot be reconciled (``ingest.feeds.export_widths``) and records with
    no value outside ``ignore_columns`` (or a .sav case whose every value is missing) are left out of the
    body and listed in ``dropped``."""
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
        return Export(content)
    problems: dict[int, str] = {}
    swallowed: dict[int, int] = {}
    if tool == "spss":
        header, rows = _spss_rows(content)
    elif tool == "xlsx":
        header, rows = _xlsx_rows(content)
    else:
        # SurveyMonkey's first header row leaves sub-answer columns blank: the combined header is checked
        # for duplicates when the reader parses this function's output
        parsed = parse_csv(content, check_headers=tool != "surveymonkey")
        header, rows = parsed.header, parsed.rows
        problems, swallowed = dict(parsed.row_problems), dict(parsed.swallowed)
        if tool == "surveymonkey":
            if not rows:
                raise SchemaDriftError(f"{what}: a SurveyMonkey export has two header rows; the second is missing")
            if 0 in problems:
                raise SchemaDriftError(f"{what}: the second SurveyMonkey header row is malformed ({problems[0]})")
            header, rows = _surveymonkey_header(header, rows[0]), rows[1:]
            problems = {i - 1: p for i, p in problems.items()}
            swallowed = {i - 1: n for i, n in swallowed.items()}
    fitted = reconcile_widths(rows, len(header), problems, pad=bool(export.get("pad_short_rows")))
    result = Export(b"", notes=[f"{n} row(s) {what_} to the header's width ({why})" for n, what_, why in (
        (fitted.padded, "padded with empty cells", "export.pad_short_rows: trailing empty columns trimmed by the tool"),
        (fitted.trimmed, "trimmed of empty trailing cells", "beyond the header")) if n])
    for i, reason in fitted.problems.items():
        result.dropped[i + 1] = (reason, swallowed.get(i, 0))
    ignore = {c.strip().casefold() for c in export.get("ignore_columns") or []}
    keep = [i for i, h in enumerate(header) if h.strip().casefold() not in ignore]
    header = [header[i] for i in keep]
    rows = []
    for index, row in zip(fitted.kept, fitted.rows, strict=True):
        new = [row[i] for i in keep]
        if not any(c.strip() for c in new) and (tool == "spss" or any(c.strip() for c in row)):
            result.dropped[index + 1] = ("record holds no value outside the columns the export layout ignores "
                                         "(export.ignore_columns): no response id, no answers", 0)
        else:
            rows.append(new)
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
    result.body = out.getvalue().encode("utf-8")
    result.dropped = dict(sorted(result.dropped.items()))
    return result
