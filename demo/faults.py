"""Fault injection for the demo server: a thread-safe rule book and the body transforms each mode needs.

A rule (``POST /_control/faults``) is ``{"path_prefix": "/directories/council/", "mode": "status",
"count": 2, ...mode parameters}``. Optional keys: ``method`` (e.g. "GET"), ``query`` (a dict of query
parameters that must match, e.g. ``{"page": "3"}``), ``skip`` (let this many matching requests through
first). ``count`` defaults to 1; ``null`` or a negative count means "until cleared". The first matching
rule (in the order added) fires; one fault per request.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any

#: mode → (default parameters, what it does)
MODES: dict[str, tuple[dict[str, Any], str]] = {
    "status": ({"status": 500}, "respond with this HTTP status and a JSON error"),
    "retry_after": ({"seconds": 1}, "429 with a Retry-After header of N seconds"),
    "delay": ({"seconds": 5.0}, "sleep N seconds before responding (read timeouts)"),
    "truncate": ({"fraction": 0.5, "honest": False},
                 "send only the first part of the body; honest=false keeps the full Content-Length and "
                 "drops the connection, honest=true declares the short length (cut JSON/CSV)"),
    "oversize": ({"bytes": 10 * 1024 * 1024}, "a body of exactly N bytes (the real body padded with whitespace)"),
    "page_loop": ({}, "paged: ignore ?page and always serve page 1; RPDE: next points at the same URL"),
    "duplicate_page": ({}, "paged: page N has page N-1's contents; RPDE: this page repeats the previous page"),
    "empty": ({}, "a feed with zero records (CSV: header only)"),
    "drop_column": ({"column": None}, "CSV: remove a column (default the last); JSON records: remove a key"),
    "rename_column": ({"column": None, "new_name": None}, "CSV: rename a header; JSON records: rename a key"),
    "extra_column": ({"column": "extra_column", "value": "x"}, "CSV: add a column; JSON records: add a key"),
    "wrong_type": ({"field": None, "value": None},
                   "CSV: a column's values become 'n/a' (default Observation/last column); JSON records: a "
                   "field becomes a string (default latitude / max_travel_km / hours per week)"),
    "encoding": ({"to": "cp1252"}, "CSV: re-encode the body (cp1252, utf-8-sig, utf-16)"),
    "rpde_backwards": ({}, "RPDE: a page whose modified timestamps go backwards"),
    "duplicate_ids": ({"n": 2}, "repeat the first n records/rows of the page"),
    "long_body": ({"fraction": 0.62}, "declare a Content-Length shorter than the body, then send the whole body"),
    "unclosed_quote": ({"from_end": 40}, "CSV: a quote opens N lines from the end and never closes"),
    "duplicate_header": ({"column": None}, "CSV: the last header becomes a case/whitespace variant of another"),
}
PRE_RESPONSE = {"status", "retry_after", "delay"}
CSV_MODES = {"empty", "drop_column", "rename_column", "extra_column", "wrong_type", "encoding", "duplicate_ids",
             "unclosed_quote", "duplicate_header"}
RECORD_MODES = {"drop_column", "rename_column", "extra_column", "wrong_type", "duplicate_ids"}


class FaultError(ValueError):
    """A fault rule that cannot be accepted."""


@dataclass
class Fault:
    """One fault rule and its remaining budget."""

    id: int
    mode: str
    path_prefix: str = "/"
    count: int | None = 1
    skip: int = 0
    method: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def param(self, name: str) -> Any:
        return self.params.get(name, MODES[self.mode][0].get(name))

    def matches(self, method: str, path: str, query: dict[str, str]) -> bool:
        return (path.startswith(self.path_prefix) and (self.method is None or self.method == method)
                and all(query.get(k) == v for k, v in self.query.items()))

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "mode": self.mode, "path_prefix": self.path_prefix, "count": self.count,
                "skip": self.skip, "method": self.method, "query": self.query, "fired": self.fired,
                **self.params}


class FaultBook:
    """Thread-safe ordered list of fault rules."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._next_id = 1

    def add(self, spec: dict[str, Any]) -> Fault:
        if not isinstance(spec, dict) or spec.get("mode") not in MODES:
            raise FaultError(f"mode must be one of {sorted(MODES)}")
        known = {"mode", "path_prefix", "count", "skip", "method", "query"}
        count = spec.get("count", 1)
        if count is not None and not isinstance(count, int):
            raise FaultError("count must be an integer or null")
        query = spec.get("query") or {}
        if not isinstance(query, dict):
            raise FaultError("query must be an object of parameter values")
        with self._lock:
            rule = Fault(id=self._next_id, mode=spec["mode"], path_prefix=str(spec.get("path_prefix") or "/"),
                         count=None if count is None or count < 0 else count, skip=int(spec.get("skip", 0)),
                         method=(str(spec["method"]).upper() if spec.get("method") else None),
                         query={str(k): str(v) for k, v in query.items()},
                         params={k: v for k, v in spec.items() if k not in known})
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def clear(self) -> int:
        with self._lock:
            n = len(self._rules)
            self._rules.clear()
            return n

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.describe() for r in self._rules]

    def take(self, method: str, path: str, query: dict[str, str]) -> Fault | None:
        """The fault for this request, if any, spending one unit of its budget."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path, query):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    return None
                rule.fired += 1
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                return rule
        return None


# --- record (JSON) transforms -------------------------------------------------------------------------

DEFAULT_WRONG_FIELDS = ("latitude", "max_travel_km", "time_commitment_hours_per_week", "modified")


def _retype(node: Any, key: str, value: Any) -> bool:
    """Replace ``key`` wherever it occurs in a nested record; return True if found."""
    found = False
    if isinstance(node, dict):
        for k in list(node):
            if k == key:
                node[k] = str(node[k]) if value is None else value
                found = True
            else:
                found = _retype(node[k], key, value) or found
    elif isinstance(node, list):
        for item in node:
            found = _retype(item, key, value) or found
    return found


def transform_records(fault: Fault, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply a record-level mode to a page of JSON records (mutates and returns the list)."""
    mode = fault.mode
    if mode == "duplicate_ids":
        return records + [json.loads(json.dumps(r)) for r in records[: int(fault.param("n"))]]
    for rec in records:
        if not isinstance(rec, dict):
            continue
        column = fault.param("column")
        if mode == "drop_column":
            rec.pop(column or "name", None)
        elif mode == "rename_column":
            old = column or "name"
            if old in rec:
                rec[fault.param("new_name") or f"{old}_renamed"] = rec.pop(old)
        elif mode == "extra_column":
            rec[column] = fault.param("value")
        elif mode == "wrong_type":
            fields = [fault.param("field")] if fault.param("field") else DEFAULT_WRONG_FIELDS
            for f in fields:
                if _retype(rec, f, fault.param("value")):
                    break
    return records


# --- CSV transforms -------------------------------------------------------------------------------------

def detect_encoding(body: bytes) -> str:
    """utf-8-sig if a BOM, utf-8 if it decodes, else cp1252."""
    if body.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def transform_csv(fault: Fault, body: bytes) -> bytes:
    """Apply a CSV mode to a whole CSV body, keeping its encoding and line endings unless told otherwise."""
    encoding = detect_encoding(body)
    text = body.decode(encoding, errors="replace")
    newline = "\r\n" if "\r\n" in text[:10_000] else "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, data = (rows[0], rows[1:]) if rows else ([], [])
    mode = fault.mode
    if mode == "empty":
        data = []
    elif mode == "duplicate_ids":
        data = data + data[: int(fault.param("n"))]
    elif mode in ("drop_column", "rename_column", "wrong_type") and header:
        default = "Observation" if mode == "wrong_type" and "Observation" in header else header[-1]
        name = fault.param("field" if mode == "wrong_type" else "column") or default
        idx = header.index(name) if name in header else len(header) - 1
        if mode == "drop_column":
            header = header[:idx] + header[idx + 1:]
            data = [r[:idx] + r[idx + 1:] for r in data]
        elif mode == "rename_column":
            header = [*header[:idx], fault.param("new_name") or f"{header[idx]}_renamed", *header[idx + 1:]]
        else:
            value = fault.param("value") or "n/a"
            data = [[*r[:idx], value, *r[idx + 1:]] if len(r) > idx else r for r in data]
    elif mode == "extra_column":
        header = [*header, fault.param("column")]
        data = [[*r, str(fault.param("value"))] for r in data]
    elif mode == "duplicate_header" and len(header) > 1:
        copied = fault.param("column") or header[-2]
        header = [*header[:-1], f" {copied.lower()} "]
    if mode == "encoding":
        encoding = str(fault.param("to"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(data)
    text = out.getvalue()
    if mode == "unclosed_quote":
        lines = text.split(newline)
        at = max(1, len(lines) - 1 - int(fault.param("from_end")))
        lines[at] = lines[at].replace(",", ',"', 1)
        text = newline.join(lines)
    return text.encode(encoding, errors="replace")


def empty_document(doc: Any) -> Any:
    """A JSON document with every top-level list emptied (e.g. ``{"surveys": []}``)."""
    if isinstance(doc, dict):
        return {k: ([] if isinstance(v, list) else v) for k, v in doc.items()}
    return [] if isinstance(doc, list) else doc
