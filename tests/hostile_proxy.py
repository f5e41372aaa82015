"""A hostile HTTP proxy for tests: forwards to a real upstream (the demo server) and rewrites what it is told.

Rules are keyed by exact request path. A rule is a dict:
- ``body``: bytes to serve instead of the upstream body, or ``transform``: ``callable(bytes) -> bytes``;
- ``status`` / ``headers``: override the status or add headers (e.g. a 302 ``Location``);
- ``declare_length``: the Content-Length to declare (may be shorter than the body sent);
- ``trickle``: (chunk bytes, seconds between chunks) — a body trickling in under any read timeout.
Paths without a rule are forwarded unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        server: HostileProxy = self.server  # type: ignore[assignment]
        path = self.path.split("?", 1)[0]
        rule = server.rules.get(path, {})
        status, headers, body = 200, {"Content-Type": "application/octet-stream"}, b""
        if "body" in rule:
            body = rule["body"]
        elif rule.get("status") not in (301, 302, 303, 307, 308):
            upstream = requests.get(server.upstream + self.path, timeout=30)
            status, body = upstream.status_code, upstream.content
            headers["Content-Type"] = upstream.headers.get("Content-Type", headers["Content-Type"])
        if "transform" in rule:
            body = rule["transform"](body)
        status = rule.get("status", status)
        headers.update(rule.get("headers", {}))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(rule.get("declare_length", len(body))))
        if "declare_length" in rule or "trickle" in rule:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            if "trickle" in rule:
                size, pause = rule["trickle"]
                for start in range(0, len(body), size):
                    self.wfile.write(body[start:start + size])
                    self.wfile.flush()
                    time.sleep(pause)
            else:
                self.wfile.write(body)
        except OSError:  # the client gave up (deadline, refused body)
            pass


class HostileProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream.rstrip("/")
        self.rules: dict[str, dict[str, Any]] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def hostile_proxy(upstream: str) -> Iterator[HostileProxy]:
    proxy = HostileProxy(upstream)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)
