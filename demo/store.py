"""The server's view of a generated data folder: lazy, cached, thread-safe; plus the feed clock (epoch)."""

from __future__ import annotations

import bisect
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demo.writers import dumps_compact, read_json_records

MAX_EPOCH = 2


class NotFound(LookupError):
    """No such feed or file."""


@dataclass(frozen=True)
class RpdeView:
    """A bureau's vacancy feed at one epoch: sort keys and serialised items, ordered by (modified, id)."""

    keys: list[tuple[int, str]]
    items: list[bytes]


class DataStore:
    """Files under ``root`` loaded on first use and kept in memory (large CSVs are streamed instead)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"demo data folder {self.root} does not exist (run python -m demo.generate)")
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Any] = {}
        self._epoch = 0

    # --- clock ---------------------------------------------------------------------------------------
    @property
    def epoch(self) -> int:
        with self._lock:
            return self._epoch

    def advance(self) -> int:
        with self._lock:
            self._epoch = min(MAX_EPOCH, self._epoch + 1)
            return self._epoch

    def reset(self) -> int:
        with self._lock:
            self._epoch = 0
            return 0

    # --- files ---------------------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        """An existing file under the root (never outside it)."""
        if any(p in ("", ".", "..") or "/" in p or "\\" in p for p in parts):
            raise NotFound("/".join(parts))
        path = self.root.joinpath(*parts)
        if not path.is_file():
            raise NotFound("/".join(parts))
        return path

    def _cached(self, kind: str, key: str, load: Any) -> Any:
        with self._lock:
            if (kind, key) in self._cache:
                return self._cache[(kind, key)]
        value = load()
        with self._lock:
            return self._cache.setdefault((kind, key), value)

    def json_doc(self, *parts: str) -> Any:
        path = self.path(*parts)
        return self._cached("json", str(path), lambda: json.loads(path.read_text(encoding="utf-8")))

    def records(self, *parts: str) -> list[bytes]:
        """Serialised records of a one-record-per-line JSON array file."""
        path = self.path(*parts)
        return self._cached("records", str(path), lambda: read_json_records(path))

    def _directory_entry(self, directory: str) -> dict[str, Any]:
        index = self.json_doc("directories", "index.json")
        for entry in index.get("directories", []):
            if entry.get("id") == directory:
                return entry
        raise NotFound(directory)

    def directory_version(self, directory: str) -> str:
        return str(self._directory_entry(directory).get("api_version", "3"))

    def directory_layout(self, directory: str) -> str:
        """The real partner layout a directory publishes in (demo/directory_layouts.py; "plain" if none)."""
        return str(self._directory_entry(directory).get("layout", "plain"))

    def directory_records(self, directory: str, view: str) -> Any:
        """A directory's records as served: ``"full"`` (lines), ``"list"`` (list-view lines) or ``"by_id"``."""
        from demo.directory_layouts import index_by_id, list_view

        full = self.records("directories", directory, "services.json")
        if view == "full":
            return full
        load = (lambda: list_view(full)) if view == "list" else (lambda: index_by_id(full))
        return self._cached(f"directory_{view}", directory, load)

    def rpde(self, bureau: str, epoch: int) -> RpdeView:
        path = self.path("bureaus", bureau, "vacancy_items.jsonl")
        items = self._cached("rpde", str(path), lambda: _load_items(path))
        return self._cached("rpde_view", f"{path}#{epoch}", lambda: _view(items, epoch))


def _load_items(path: Path) -> list[tuple[int, int, str, bytes]]:
    out = []
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                item = json.loads(line)
                epoch = int(item.pop("epoch", 0))
                out.append((epoch, int(item["modified"]), str(item["id"]), dumps_compact(item).encode()))
    return out


def _view(items: list[tuple[int, int, str, bytes]], epoch: int) -> RpdeView:
    latest: dict[str, tuple[int, str, bytes]] = {}
    for item_epoch, modified, item_id, raw in sorted(items, key=lambda t: (t[0], t[1], t[2])):
        if item_epoch <= epoch:
            latest[item_id] = (modified, item_id, raw)
    ordered = sorted(latest.values(), key=lambda t: (t[0], t[1]))
    return RpdeView(keys=[(m, i) for m, i, _ in ordered], items=[raw for _, _, raw in ordered])


def rpde_start(view: RpdeView, after_timestamp: int | None, after_id: str) -> int:
    """Index of the first item strictly after (afterTimestamp, afterId)."""
    if after_timestamp is None:
        return 0
    return bisect.bisect_right(view.keys, (after_timestamp, after_id))
