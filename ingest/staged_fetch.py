"""Fetch outside the writer slot: record every response a source's reader needs, replay it in the load.

A **fetch** needs no warehouse connection. It walks the same requests the source's reader makes
(:mod:`ingest.fetch_walk`) through a :class:`RecordingClient`, which wraps the real HTTP/file client and
keeps every body — and every transport failure (a FeedError: HTTP 500 after retries, a cut body, a
refused redirect) — in a staged folder ``<landing>/fetched/<source>/<run key>/`` with ``manifest.json``
(request url + params, final url, status, bytes, sha256, fetched_at per response). The folder is
written under a temporary name and renamed when complete, so a killed fetch never looks complete.

The **load** (holding the one ``duckdb_writer`` slot) runs the unchanged readers against a
:class:`ReplayClient`: it serves each request from the manifest, verifying the body's checksum and
length; a failure recorded at fetch time is raised again as the same FeedError, so the reader behaves
exactly as it would have live; a request that is not in the manifest is a :class:`ReplayMiss`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.file_client import FileClient, client_for
from ingest.http_client import ClientStats, FeedClient, FeedError, Payload
from ingest.landing import safe_folder_name

FORMAT = 1
MANIFEST = "manifest.json"


class StagedFetchError(RuntimeError):
    """A staged fetch is missing, incomplete or does not match its manifest."""


class ReplayMiss(FeedError):
    """The load asked for a response the staged fetch does not hold."""


def request_key(url: str, params: dict[str, Any] | None) -> str:
    """One request: its absolute URL and its query parameters in a canonical order."""
    return url + ("" if not params else " " + json.dumps(params, sort_keys=True, default=str))


def decode_json(source: str, payload: Payload, what: str = "body") -> Any:
    """Decode a body as the real clients do (a malformed body is a FeedError naming the URL)."""
    try:
        return json.loads(payload.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(source, payload.url, f"{what} is not valid JSON ({exc})") from exc
    except RecursionError as exc:
        raise FeedError(source, payload.url, "JSON body is nested too deeply to parse") from exc


def _what(client: FeedClient | FileClient) -> str:
    return "file" if isinstance(client, FileClient) else "body"


def fetch_root(landing_dir: Path, source: str) -> Path:
    return landing_dir / "fetched" / safe_folder_name(source)


def staged_dir(landing_dir: Path, fetch_id: str) -> Path:
    """The folder of a fetch id (``<source>/<run key>``), refusing ids that would leave the landing folder."""
    source, _, key = fetch_id.partition("/")
    if not source or not key or safe_folder_name(source) != source or safe_folder_name(key) != key:
        raise StagedFetchError(f"not a staged fetch id: {fetch_id!r}")
    return fetch_root(landing_dir, source) / key


@dataclass
class RecordingClient:
    """The reader-facing client interface (``get``, ``get_json``, ``url_for``, ``source``, ``stats``) over
    a real client; every response and transport failure is written into ``folder``."""

    inner: FeedClient | FileClient
    folder: Path
    responses: list[dict[str, Any]] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)  # an incremental feed's pages, in walk order

    @property
    def source(self) -> str:
        return self.inner.source

    @property
    def base_url(self) -> str:
        return self.inner.base_url

    @property
    def stats(self) -> ClientStats:
        return self.inner.stats

    def url_for(self, path_or_url: str) -> str:
        return self.inner.url_for(path_or_url)

    def close(self) -> None:
        self.inner.close()

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> Payload:
        key = request_key(self.url_for(path_or_url), params)
        entry: dict[str, Any] = {"key": key, "request_url": self.url_for(path_or_url), "params": params}
        try:
            payload = self.inner.get(path_or_url, params)
        except FeedError as exc:
            self.responses.append({**entry, "fetched_at": datetime.now(UTC).isoformat(),
                                   "error": {"url": exc.url, "reason": exc.reason}})
            raise
        name = f"{len(self.responses):05d}.body"
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload.content)
        self.responses.append({**entry, "file": name, "url": payload.url, "status": payload.status,
                               "content_type": payload.content_type, "fetched_at": payload.fetched_at.isoformat(),
                               "bytes": payload.size, "sha256": payload.sha256, "attempts": payload.attempts})
        return payload

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> tuple[Any, Payload]:
        payload = self.get(path_or_url, params)
        return decode_json(self.source, payload, _what(self.inner)), payload


@dataclass
class StagedFetch:
    """A complete staged fetch: its folder and manifest."""

    fetch_id: str
    folder: Path
    manifest: dict[str, Any]

    @property
    def keys(self) -> set[str]:
        return {r["key"] for r in self.manifest["responses"]}

    @property
    def chain(self) -> list[str]:
        """The page URLs of an incremental feed's walk, in order (its start first)."""
        return list(self.manifest.get("chain") or [])


def open_staged(landing_dir: Path, fetch_id: str) -> StagedFetch:
    """A complete staged fetch, or StagedFetchError (never half a fetch: the folder exists only once complete)."""
    folder = staged_dir(landing_dir, fetch_id)
    path = folder / MANIFEST
    if not path.is_file():
        raise StagedFetchError(f"staged fetch {fetch_id} not found (no {path}); fetch the source again")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StagedFetchError(f"staged fetch {fetch_id}: unreadable manifest ({exc})") from exc
    if manifest.get("format") != FORMAT or manifest.get("complete") is not True:
        raise StagedFetchError(f"staged fetch {fetch_id}: manifest is not a complete format-{FORMAT} fetch")
    return StagedFetch(fetch_id, folder, manifest)


@dataclass
class ReplayClient:
    """Serves a source's requests from a staged fetch; the same interface as the real clients."""

    staged: StagedFetch
    stats: ClientStats = field(default_factory=ClientStats)
    _urls: FeedClient | FileClient = field(init=False, repr=False)
    _served: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._urls = client_for(self.source, self.base_url)  # URL resolution only; it never fetches
        self._by_key: dict[str, list[dict[str, Any]]] = {}
        for entry in self.staged.manifest["responses"]:
            self._by_key.setdefault(entry["key"], []).append(entry)

    @property
    def source(self) -> str:
        return str(self.staged.manifest["source"])

    @property
    def base_url(self) -> str:
        return str(self.staged.manifest["base_url"])

    def url_for(self, path_or_url: str) -> str:
        return self._urls.url_for(path_or_url)

    def close(self) -> None:
        self._urls.close()

    def __enter__(self) -> ReplayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has(self, path_or_url: str, params: dict[str, Any] | None = None) -> bool:
        return request_key(self.url_for(path_or_url), params) in self._by_key

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> Payload:
        url = self.url_for(path_or_url)
        key = request_key(url, params)
        entries = self._by_key.get(key)
        if not entries and self.staged.manifest.get("stopped"):  # the fetch ended at an error before this request
            stopped = self.staged.manifest["stopped"]
            raise FeedError(self.source, url, f"not fetched: the fetch stopped early: {stopped}")
        if not entries:
            raise ReplayMiss(self.source, url, f"request {key} is not in staged fetch {self.staged.fetch_id} "
                                               "(the fetch walk and the reader disagree, or the fetch stopped "
                                               "early); fetch the source again")
        n = self._served.get(key, 0)
        self._served[key] = n + 1
        entry = entries[min(n, len(entries) - 1)]  # repeated requests get the responses in fetch order
        self.stats.requests += 1
        if "error" in entry:
            raise FeedError(self.source, entry["error"]["url"], entry["error"]["reason"])
        content = verified_body(self.staged, entry, url)
        digest = entry["sha256"]
        self.stats.bytes += len(content)
        return Payload(url=entry["url"], status=entry["status"], content=content, content_type=entry["content_type"],
                       fetched_at=datetime.fromisoformat(entry["fetched_at"]), sha256=digest,
                       attempts=entry["attempts"])

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> tuple[Any, Payload]:
        payload = self.get(path_or_url, params)
        return decode_json(self.source, payload, "file" if isinstance(self._urls, FileClient) else "body"), payload


def verified_body(fetched: StagedFetch, entry: dict[str, Any], url: str | None = None) -> bytes:
    """One recorded body, refused (StagedFetchError) unless its length and sha256 match the manifest."""
    try:
        content = (fetched.folder / entry["file"]).read_bytes()
    except OSError as exc:
        raise StagedFetchError(f"staged fetch {fetched.fetch_id}: body {entry['file']} unreadable ({exc})") from exc
    digest = hashlib.sha256(content).hexdigest()
    if len(content) != entry["bytes"] or digest != entry["sha256"]:
        raise StagedFetchError(f"staged fetch {fetched.fetch_id}: body {entry['file']} of {url or entry['url']} does "
                               f"not match its manifest ({len(content)} bytes sha256 {digest[:12]}…, manifest "
                               f"says {entry['bytes']} bytes sha256 {entry['sha256'][:12]}…); refusing it")
    return content


def begin(landing_dir: Path, source: str) -> Path:
    """A fresh private temporary folder for one fetch (removing leftovers of killed fetches of this source)."""
    root = fetch_root(landing_dir, source)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for leftover in root.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    folder = root / f".tmp-{uuid.uuid4().hex}"
    folder.mkdir(mode=0o700)
    return folder


def commit(folder: Path, landing_dir: Path, fetch_id: str, manifest: dict[str, Any]) -> StagedFetch:
    """Write the manifest, then rename the folder to its final name: only then is the fetch complete."""
    manifest = {**manifest, "format": FORMAT, "complete": True, "fetch_id": fetch_id,
                "finished_at": datetime.now(UTC).isoformat()}
    fd = os.open(folder / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    final = staged_dir(landing_dir, fetch_id)
    if final.exists():  # a rerun under the same key replaces its own earlier fetch
        shutil.rmtree(final)
    folder.rename(final)
    return StagedFetch(fetch_id, final, manifest)


def discard(landing_dir: Path, fetch_id: str) -> None:
    """Remove a staged fetch once its load committed (the bodies may be personal data)."""
    shutil.rmtree(staged_dir(landing_dir, fetch_id), ignore_errors=True)


def write_json_atomic(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(doc, default=str), encoding="utf-8")
    tmp.replace(path)


def cursor_hint_path(landing_dir: Path, source: str) -> Path:
    return landing_dir / "fetched" / "_cursors" / f"{safe_folder_name(source)}.json"


def read_cursor_hint(landing_dir: Path, source: str) -> dict[str, Any] | None:
    """Where the last committed incremental load left off (a hint for the fetch; the warehouse is the truth)."""
    try:
        doc = json.loads(cursor_hint_path(landing_dir, source).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("next_url"), str) else None


def write_cursor_hint(landing_dir: Path, source: str, state: dict[str, Any] | None, load_id: str) -> None:
    """Record the warehouse's high-water mark after a committed load (removed when there is none)."""
    path = cursor_hint_path(landing_dir, source)
    if not state or not state.get("next_url"):
        path.unlink(missing_ok=True)
        return
    write_json_atomic(path, {**state, "load_id": load_id, "written_at": datetime.now(UTC).isoformat()})
