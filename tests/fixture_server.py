"""A real HTTP server for tests: serves fixed bodies by path (and query string), in a background thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@contextmanager
def serve(routes: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``routes`` ({"/path" or "/path?a=1": body}; a dict/list body is sent as JSON) on localhost;
    yields (base URL, list of requested paths). Query parameters are matched in any order; a
    ``"/path?*"`` route answers that path with any query string (as the ORUK validator's mock API does)."""
    requested: list[str] = []

    def key(target: str) -> str:
        if target.endswith("?*"):  # any query string
            return target
        parts = urlsplit(target)
        query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query)))
        return parts.path + (f"?{query}" if query else "")

    table = {key(k): v for k, v in routes.items()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            body = table.get(key(self.path), table.get(urlsplit(self.path).path + "?*"))
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
