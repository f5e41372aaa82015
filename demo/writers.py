"""Deterministic file writers (same input → byte-identical output)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd


def write_json(path: Path, doc: Any) -> None:
    """Pretty, UTF-8, stable JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def dumps_compact(doc: Any) -> str:
    """Compact one-line JSON."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def write_json_records(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """A JSON array with exactly one record per line, so a server can page it without parsing it all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("[\n")
        for rec in records:
            fh.write(("," if n else "") + dumps_compact(rec) + "\n")
            n += 1
        fh.write("]\n")
    return n


def read_json_records(path: Path) -> list[bytes]:
    """The raw record lines of a file written by :func:`write_json_records`."""
    lines = path.read_bytes().split(b"\n")
    return [ln[1:] if ln.startswith(b",") else ln for ln in lines[1:] if ln and ln != b"]"]


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """One JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(dumps_compact(rec) + "\n")
            n += 1
    return n


def write_csv(path: Path, frame: pd.DataFrame) -> int:
    """UTF-8 CSV, ``\\n`` line endings, no index; returns data rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return len(frame)
