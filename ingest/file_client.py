"""A file-based partner source with the FeedClient interface (``get``, ``get_json``, ``url_for``, ``stats``).

For agencies that share an export as a file instead of hosting a feed: the source's connection (or base URL)
is ``file:///path/to/landing/folder`` and its ``path`` names a file inside it, e.g. a survey index with its
questionnaires and responses beside it. Paths never leave the folder; the byte cap applies as over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ingest.http_client import ClientStats, FeedClient, FeedError, Payload


@dataclass
class FileClient:
    """Reads bodies from one landing folder (``file://`` base URL)."""

    source: str
    base_url: str
    max_bytes: int = 512 * 1024 * 1024
    stats: ClientStats = field(default_factory=ClientStats)

    @property
    def root(self) -> Path:
        return Path(unquote(urlsplit(self.base_url).path)).resolve()

    def close(self) -> None:
        return None

    def __enter__(self) -> FileClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url_for(self, path_or_url: str) -> str:
        if path_or_url.startswith("file://"):
            return path_or_url
        return (self.root / path_or_url.lstrip("/")).as_uri()

    def _path(self, url: str) -> Path:
        path = Path(unquote(urlsplit(url).path)).resolve()
        if path != self.root and self.root not in path.parents:
            raise FeedError(self.source, url, f"path is outside the source's folder {self.root}")
        return path

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> Payload:
        """Read one file (``params`` are not meaningful for files and must be absent)."""
        url = self.url_for(path_or_url)
        if params:
            raise FeedError(self.source, url, f"a file source cannot take query parameters {sorted(params)}")
        path = self._path(url)
        self.stats.requests += 1
        if not path.is_file():
            raise FeedError(self.source, url, "file not found")
        size = path.stat().st_size
        if size > self.max_bytes:
            raise FeedError(self.source, url, f"file of {size} bytes exceeds the cap of {self.max_bytes}")
        content = path.read_bytes()
        self.stats.bytes += len(content)
        return Payload(url=url, status=200, content=content, content_type=mimetypes.guess_type(path.name)[0] or "",
                       fetched_at=datetime.now(UTC), sha256=hashlib.sha256(content).hexdigest(), attempts=1)

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> tuple[Any, Payload]:
        payload = self.get(path_or_url, params)
        try:
            return json.loads(payload.content.decode("utf-8-sig")), payload
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FeedError(self.source, payload.url, f"file is not valid JSON ({exc})") from exc


def client_for(source: str, base_url: str, **http_options: Any) -> FeedClient | FileClient:
    """The client for a base URL: a FileClient for ``file://`` folders, else the HTTP FeedClient."""
    if base_url.startswith("file://"):
        return FileClient(source=source, base_url=base_url, max_bytes=http_options.get("max_bytes", 512 << 20))
    return FeedClient(source=source, base_url=base_url, **http_options)
