"""One HTTP client for every partner feed.

Explicit connect/read timeouts, an overall deadline per body (a body trickling in just under the read
timeout still fails), retries with exponential backoff on 429 and 5xx only (honouring ``Retry-After``), a
byte cap on every body, and errors that name the source and URL.

Origins are pinned: redirects are followed only to the source's own origin (scheme, host and port of its
base URL), and an absolute URL given to :meth:`FeedClient.get` (a paging ``next`` link, an index entry)
must be on that origin too — a 302 to another host is refused, never accepted as the partner's data.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

log = logging.getLogger(__name__)

RETRYABLE = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
USER_AGENT = "CommonGround/0.1 (+https://github.com/common-ground)"


class FeedError(RuntimeError):
    """A feed could not be read; the message says which source, which URL and why."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        super().__init__(f"[{source}] {reason} ({url})")
        self.source = source
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class Payload:
    """One fetched HTTP body with its provenance."""

    url: str
    status: int
    content: bytes
    content_type: str
    fetched_at: datetime
    sha256: str
    attempts: int

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    bytes: int = 0
    waited_seconds: float = 0.0


@dataclass
class FeedClient:
    """Fetches bodies from one source's base URL."""

    source: str
    base_url: str
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_bytes: int = 512 * 1024 * 1024
    max_retries: int = 4
    backoff_seconds: float = 0.5
    max_wait_seconds: float = 30.0
    deadline_seconds: float = 900.0
    stats: ClientStats = field(default_factory=ClientStats)
    _session: requests.Session = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._settle_environment()

    def _settle_environment(self) -> None:
        """Read proxies, CA bundle and ~/.netrc once for the source's origin.

        requests re-reads them on every request (scanning the whole environment: ~14 % of the client's CPU
        in an 8,000-request directory fetch). Every request goes to this one origin (``check_origin``;
        redirects elsewhere are refused), so settling them once gives each request the same settings.
        """
        session = self._session
        settings = session.merge_environment_settings(self.base_url, {}, None, None, None)
        netrc_auth = requests.utils.get_netrc_auth(self.base_url)
        session.trust_env = False
        session.proxies = settings["proxies"]
        session.verify = settings["verify"]
        if settings.get("cert"):
            session.cert = settings["cert"]
        if netrc_auth:
            session.auth = netrc_auth

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> FeedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url_for(self, path_or_url: str) -> str:
        return urljoin(self.base_url.rstrip("/") + "/", path_or_url.lstrip("/")) if "://" not in path_or_url \
            else path_or_url

    def origin(self, url: str) -> tuple[str, str, int | None]:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        return parts.scheme, (parts.hostname or "").lower(), port

    def check_origin(self, url: str) -> str:
        """Return ``url`` if it is on the source's origin, else raise FeedError."""
        if self.origin(url) != self.origin(self.base_url):
            raise FeedError(self.source, url, f"refusing a URL outside the source's origin "
                                              f"{self.base_url}")
        return url

    def _request(self, url: str, params: dict[str, Any] | None) -> requests.Response:
        """One GET, following same-origin redirects only."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._session.get(url, params=params, stream=True, allow_redirects=False,
                                         timeout=(self.connect_timeout, self.read_timeout))
            if response.status_code not in REDIRECTS:
                return response
            location = response.headers.get("Location", "")
            response.close()
            target = urljoin(response.url, location)
            if self.origin(target) != self.origin(self.base_url):
                raise FeedError(self.source, response.url,
                                f"HTTP {response.status_code} redirect to another origin ({target}) refused")
            url, params = target, None
        raise FeedError(self.source, url, f"more than {MAX_REDIRECTS} redirects")

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> Payload:
        """GET a body, retrying 429/5xx with backoff; raise FeedError on anything else."""
        url = self.check_origin(self.url_for(path_or_url))
        attempt = 0
        while True:
            attempt += 1
            self.stats.requests += 1
            try:
                response = self._request(url, params)
            except requests.ConnectTimeout as exc:
                raise FeedError(self.source, url, f"connection timed out after {self.connect_timeout}s") from exc
            except requests.ReadTimeout as exc:
                raise FeedError(self.source, url, f"no response within {self.read_timeout}s") from exc
            except requests.ConnectionError as exc:
                raise FeedError(self.source, url, f"connection failed: {exc}") from exc
            full_url = response.url
            if response.status_code in RETRYABLE and attempt <= self.max_retries:
                wait = self._wait_seconds(response, attempt)
                response.close()
                log.warning("[%s] HTTP %s from %s; retry %d in %.1fs",
                            self.source, response.status_code, full_url, attempt, wait)
                self.stats.retries += 1
                self.stats.waited_seconds += wait
                time.sleep(wait)
                continue
            if response.status_code != 200:
                response.close()
                raise FeedError(self.source, full_url, f"HTTP {response.status_code} after {attempt} attempt(s)")
            content = self._read_capped(response, full_url)
            self.stats.bytes += len(content)
            return Payload(
                url=full_url,
                status=response.status_code,
                content=content,
                content_type=response.headers.get("Content-Type", ""),
                fetched_at=datetime.now(UTC),
                sha256=hashlib.sha256(content).hexdigest(),
                attempts=attempt,
            )

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> tuple[Any, Payload]:
        """GET and decode JSON; a truncated or malformed body is a FeedError."""
        payload = self.get(path_or_url, params)
        try:
            return json.loads(payload.content.decode("utf-8-sig")), payload
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FeedError(self.source, payload.url, f"body is not valid JSON ({exc})") from exc
        except RecursionError as exc:
            raise FeedError(self.source, payload.url, "JSON body is nested too deeply to parse") from exc

    def _wait_seconds(self, response: requests.Response, attempt: int) -> float:
        header = response.headers.get("Retry-After")
        wait = self.backoff_seconds * (2 ** (attempt - 1))
        if header:
            try:
                wait = float(header)
            except ValueError:
                when = email.utils.parsedate_to_datetime(header) if header else None
                if when is not None:
                    wait = (when - datetime.now(UTC)).total_seconds()
        return max(0.0, min(wait, self.max_wait_seconds))

    def _read_capped(self, response: requests.Response, url: str) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise FeedError(self.source, url, f"body of {declared} bytes exceeds the cap of {self.max_bytes}")
        chunks: list[bytes] = []
        total = 0
        expired = threading.Event()
        sock = _socket_of(response) if declared and declared.isdigit() else None
        watchdog = threading.Timer(self.deadline_seconds, _abort, (response, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            for chunk in response.iter_content(chunk_size=1 << 16):
                if expired.is_set():
                    break
                total += len(chunk)
                if total > self.max_bytes:
                    raise FeedError(self.source, url, f"body exceeds the cap of {self.max_bytes} bytes")
                chunks.append(chunk)
        except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError) as exc:
            if not expired.is_set():
                kind = "body was cut short" if isinstance(exc, requests.exceptions.ChunkedEncodingError) \
                    else "connection lost while reading body"
                raise FeedError(self.source, url, f"{kind} ({exc})") from exc
        finally:
            watchdog.cancel()
            leftover = _bytes_after_body(sock) if not expired.is_set() else bool(sock and sock.close())
            response.close()
        if expired.is_set():
            raise FeedError(self.source, url, f"body not complete within the overall deadline of "
                                              f"{self.deadline_seconds:g}s ({total} bytes so far)")
        content = b"".join(chunks)
        if declared and declared.isdigit() and len(content) < int(declared):
            raise FeedError(self.source, url, f"body was cut short: {len(content)} of {declared} bytes")
        if declared and declared.isdigit() and leftover:
            raise FeedError(self.source, url, f"Content-Length {declared} is shorter than the body the server sent "
                                              "(more bytes followed it): the body would be silently cut")
        return content


def _abort(response: requests.Response, expired: threading.Event) -> None:
    """Deadline reached: shut the socket so a read blocked on a trickling body returns at once."""
    expired.set()
    try:
        sock = response.raw._fp.fp.raw._sock
        sock.shutdown(socket.SHUT_RDWR)
    except (AttributeError, OSError):
        pass


def _socket_of(response: requests.Response) -> socket.socket | None:
    """A duplicate of the connection's socket, so it can still be inspected after the body is read."""
    try:
        original = response.raw._fp.fp.raw._sock
        return socket.socket(fileno=os.dup(original.fileno()))
    except (AttributeError, OSError, ValueError):
        return None


def _bytes_after_body(sock: socket.socket | None) -> bool:
    """True if the server sent bytes beyond the declared Content-Length (they would be silently dropped).

    After a length-delimited body nothing more may arrive before the next request; a non-blocking peek
    at the connection's socket tells whether it did.
    """
    if sock is None:
        return False
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:  # BlockingIOError: nothing more was sent
        return False
    finally:
        sock.close()
