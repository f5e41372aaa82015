"""Demo HTTP feed server speaking docs/feeds.md: ``python -m demo.server --data DIR [--port 0]``.

Standard library only (``ThreadingHTTPServer``). Also usable from tests::

    with demo.server.running(data_dir) as base_url:
        requests.get(base_url + "/health")
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from demo.constants import RPDE_LICENSE
from demo.directory_layouts import API_DETAILS, HSDS3_LIST_DETAIL, ORUK1_COUNCIL
from demo.faults import (
    CSV_MODES,
    MODES,
    RECORD_MODES,
    Fault,
    FaultBook,
    FaultError,
    empty_document,
    transform_csv,
    transform_records,
)
from demo.store import MAX_EPOCH, DataStore, NotFound, rpde_start

JSON = "application/json"
CSV_UTF8 = "text/csv; charset=utf-8"
GEOJSON = "application/geo+json"
CSV_UNDECLARED = "text/csv"  # survey exports: the reader must detect the encoding
PER_PAGE_DEFAULT, PER_PAGE_MAX = 50, 500
RPDE_LIMIT_DEFAULT, RPDE_LIMIT_MAX = 100, 1000
AREA_FILES = {"lsoa_lookup.csv", "census_age_sex.csv", "census_ethnicity.csv", "imd.csv", "postcodes.csv",
              "lsoa_centroids.csv"}
SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")
CHUNK = 1 << 20


class BadRequest(ValueError):
    """A request with invalid parameters (400)."""


@dataclass
class Reply:
    """A response: an in-memory body or a file to stream."""

    status: int = 200
    content_type: str = JSON
    body: bytes = b""
    file: Path | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, doc: Any, status: int = 200) -> Reply:
        return cls(status, JSON, json.dumps(doc, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def error(cls, status: int, message: str, **extra: Any) -> Reply:
        return cls.json({"error": message, "status": status, **extra}, status)


# --- feeds -------------------------------------------------------------------------------------------------

def _int_param(query: dict[str, str], name: str, default: int | None, lo: int = 1) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
    if value < lo:
        raise BadRequest(f"{name} must be >= {lo}")
    return value


def _with_faults(fault: Fault | None, raw: list[bytes]) -> list[bytes]:
    """Apply record-level faults to a page of serialised records."""
    if fault is None or fault.mode not in RECORD_MODES:
        return raw
    records = transform_records(fault, [json.loads(r) for r in raw])
    return [json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode("utf-8") for r in records]


def paged(records: list[bytes], query: dict[str, str], version: str, fault: Fault | None, *,
          first_number: int = 1) -> Reply:
    """A page of records in the current (v3) or older (v1) Open Referral envelope; ``first_number`` is the
    page number a v1 envelope reports for ``?page=1`` (0 in ORUK 1 council exports)."""
    page = _int_param(query, "page", 1) or 1
    per_page = min(PER_PAGE_MAX, _int_param(query, "per_page", PER_PAGE_DEFAULT) or PER_PAGE_DEFAULT)
    mode = fault.mode if fault else None
    if mode == "empty":
        records = []
    if mode == "page_loop":
        page = 1  # the server ignores ?page and always serves the first page
    total = len(records)
    total_pages = math.ceil(total / per_page)
    source = page - 1 if mode == "duplicate_page" and page > 1 else page
    contents = _with_faults(fault, records[(source - 1) * per_page: source * per_page])
    first, last = page == 1, page >= total_pages
    if version == "1":
        head = {"totalElements": total, "totalPages": total_pages, "number": page - 1 + first_number,
                "size": per_page,
                "first": first, "last": last}
        key = "content"
    else:
        head = {"total_items": total, "total_pages": total_pages, "page_number": page, "size": per_page,
                "first_page": first, "last_page": last, "empty": not contents}
        key = "contents"
    body = json.dumps(head)[:-1].encode() + f', "{key}": ['.encode() + b",".join(contents) + b"]}"
    return Reply(body=body)


def directory_services(store: DataStore, directory: str, query: dict[str, str], fault: Fault | None) -> Reply:
    """``/directories/{id}/services`` in the directory's own layout (demo/directory_layouts.py)."""
    layout = store.directory_layout(directory)
    records = store.directory_records(directory, "list" if layout == HSDS3_LIST_DETAIL else "full")
    return paged(records, query, store.directory_version(directory), fault,
                 first_number=0 if layout == ORUK1_COUNCIL else 1)


def rpde_page(store: DataStore, bureau: str, raw_path: str, query: dict[str, str], fault: Fault | None) -> Reply:
    """One RPDE page of the vacancy feed at the current epoch."""
    after_ts = _int_param(query, "afterTimestamp", None, lo=-(2**62))
    after_id = query.get("afterId", "")
    limit = min(RPDE_LIMIT_MAX, _int_param(query, "limit", RPDE_LIMIT_DEFAULT) or RPDE_LIMIT_DEFAULT)
    view = store.rpde(bureau, store.epoch)
    start = rpde_start(view, after_ts, after_id)
    mode = fault.mode if fault else None
    if mode == "duplicate_page":
        start = max(0, start - limit)
    items = [] if mode == "empty" else view.items[start:start + limit]
    keys = view.keys[start:start + len(items)]
    items = _with_faults(fault, items)
    if mode == "rpde_backwards":
        items = items[::-1]
    if items and mode not in ("page_loop", "duplicate_page"):
        modified, last_id = keys[-1]
        suffix = f"&limit={limit}" if "limit" in query else ""
        next_url = f"/bureaus/{bureau}/vacancies?afterTimestamp={modified}&afterId={quote(last_id, safe='')}{suffix}"
    else:
        next_url = raw_path  # the last page (or a looping one) points at itself
    body = (b'{"items": [' + b",".join(items) + b'], "next": ' + json.dumps(next_url).encode()
            + b', "license": ' + json.dumps(RPDE_LICENSE).encode() + b"}")
    return Reply(body=body)


def static_file(store: DataStore, parts: tuple[str, ...], content_type: str, fault: Fault | None) -> Reply:
    """A file from the data folder; streamed unless a fault needs to rewrite it."""
    path = store.path(*parts)
    if fault is not None and content_type != JSON and fault.mode in CSV_MODES:
        return Reply(content_type=content_type, body=transform_csv(fault, path.read_bytes()))
    if fault is not None and content_type == JSON and fault.mode == "empty":
        return Reply.json(empty_document(store.json_doc(*parts)))
    return Reply(content_type=content_type, file=path)


def route(store: DataStore, method: str, path: str, raw_path: str, query: dict[str, str],
          fault: Fault | None) -> Reply:
    """Dispatch a feed request (GET only)."""
    parts = tuple(p for p in path.split("/") if p)
    if method != "GET":
        return Reply.error(405, f"{method} not allowed on {path}")
    if any(not SEGMENT.match(p) for p in parts):
        raise NotFound(path)
    match parts:
        case ("area", name) if name in AREA_FILES:
            return static_file(store, parts, CSV_UTF8, fault)
        case ("area", "boundaries.geojson"):
            return static_file(store, parts, GEOJSON, fault)
        case ("surveys", "index.json") | ("directories", "index.json") | ("bureaus", "index.json"):
            return static_file(store, parts, JSON, fault)
        case ("surveys", _, "questionnaire.json"):
            return static_file(store, parts, JSON, fault)
        case ("surveys", _, "responses.csv"):
            return static_file(store, parts, CSV_UNDECLARED, fault)
        case ("directories", directory, "services"):
            return directory_services(store, directory, query, fault)
        case ("directories", directory) if store.directory_layout(directory) == HSDS3_LIST_DETAIL:
            return Reply.json(API_DETAILS)  # HSDS 3.0 GET /
        case ("directories", directory, "services", sid) if store.directory_layout(directory) == HSDS3_LIST_DETAIL:
            record = store.directory_records(directory, "by_id").get(sid)
            if record is None:
                raise NotFound(path)
            return Reply(body=(_with_faults(fault, [record]) or [record])[0])
        case ("bureaus", bureau, "volunteers"):
            return paged(store.records("bureaus", bureau, "volunteers.json"), query, "3", fault)
        case ("bureaus", bureau, "vacancies"):
            return rpde_page(store, bureau, raw_path, query, fault)
        case ("bureaus", "platform", "activities.json"):  # a Volunteering Data Standard snapshot
            return static_file(store, parts, JSON, fault)
    raise NotFound(path)


# --- HTTP plumbing -------------------------------------------------------------------------------------

class DemoHandler(BaseHTTPRequestHandler):
    """Request handler; the server instance carries ``store``, ``faults`` and ``verbose``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: DemoHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._request_body = self.rfile.read(length) if length > 0 else b""  # keep the connection in sync
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        path = split.path
        fault = None
        try:
            if path == "/health" or path.startswith("/_control"):
                reply = self._control(method, path)
            else:
                fault = self.server.faults.take(method, path, query)
                reply = None
                if fault is not None and fault.mode in ("status", "retry_after"):
                    reply = self._pre_fault(fault)
                elif fault is not None and fault.mode == "delay":
                    time.sleep(float(fault.param("seconds")))
                if reply is None:
                    reply = route(self.server.store, method, path, self.path, query, fault)
        except NotFound:
            reply = Reply.error(404, "not found", path=path)
        except (BadRequest, FaultError, json.JSONDecodeError) as exc:
            reply = Reply.error(400, str(exc))
        except Exception as exc:
            reply = Reply.error(500, f"{type(exc).__name__}: {exc}")
        try:
            self._send(reply, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    @staticmethod
    def _pre_fault(fault: Fault) -> Reply:
        if fault.mode == "retry_after":
            reply = Reply.error(429, "too many requests (injected)")
            reply.headers["Retry-After"] = str(fault.param("seconds"))
            return reply
        return Reply.error(int(fault.param("status")), "injected fault")

    def _control(self, method: str, path: str) -> Reply:
        store, faults = self.server.store, self.server.faults
        if path == "/health" and method == "GET":
            return Reply.json({"status": "ok", "epoch": store.epoch, "max_epoch": MAX_EPOCH})
        if path == "/_control/advance" and method == "POST":
            return Reply.json({"epoch": store.advance(), "max_epoch": MAX_EPOCH})
        if path == "/_control/reset" and method == "POST":
            faults.clear()
            return Reply.json({"epoch": store.reset(), "max_epoch": MAX_EPOCH, "faults": []})
        if path == "/_control/faults":
            if method == "POST":
                spec = json.loads(self._request_body) if self._request_body.strip() else {}
                return Reply.json({"fault": faults.add(spec).describe()}, 201)
            if method == "DELETE":
                return Reply.json({"cleared": faults.clear()})
            if method == "GET":
                return Reply.json({"faults": faults.list(),
                                   "modes": {m: {"defaults": d, "doc": doc} for m, (d, doc) in MODES.items()}})
        if path in ("/health", "/_control/advance", "/_control/reset"):
            return Reply.error(405, f"{method} not allowed on {path}")
        raise NotFound(path)

    def _send(self, reply: Reply, fault: Fault | None) -> None:
        size = reply.file.stat().st_size if reply.file else len(reply.body)
        mode = fault.mode if fault else None
        declared, sent = size, size
        if mode == "truncate":
            sent = int(size * float(fault.param("fraction")))
            declared = sent if fault.param("honest") else size
        elif mode == "oversize":
            declared = sent = int(fault.param("bytes"))
        elif mode == "long_body":
            declared = int(size * float(fault.param("fraction")))
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(declared))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if sent != declared:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._write_body(reply, min(sent, size))
        if sent > size:  # oversize: pad with whitespace (still valid JSON; blank lines in CSV)
            pad = b"\n" if reply.content_type.startswith("text/csv") else b" "
            remaining = sent - size
            block = pad * min(CHUNK, remaining)
            while remaining > 0:
                self.wfile.write(block[:remaining])
                remaining -= min(len(block), remaining)
        self.wfile.flush()

    def _write_body(self, reply: Reply, n: int) -> None:
        if reply.file is None:
            self.wfile.write(reply.body[:n])
            return
        with reply.file.open("rb") as fh:
            if n >= reply.file.stat().st_size:
                shutil.copyfileobj(fh, self.wfile, CHUNK)
                return
            remaining = n
            while remaining > 0:
                chunk = fh.read(min(CHUNK, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)


class DemoHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the data store and the fault book."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> None:
        self.store = DataStore(data_dir)
        self.faults = FaultBook()
        self.verbose = verbose
        super().__init__((host, port), DemoHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@contextlib.contextmanager
def running(data_dir: Path | str, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``data_dir`` from a background thread; yields the base URL, stops cleanly on exit."""
    server = DemoHTTPServer(Path(data_dir), host, port)
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder written by python -m demo.generate")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--ready-file", type=Path, help="write the base URL here once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    server = DemoHTTPServer(args.data, args.host, args.port, args.verbose)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    if args.ready_file:
        tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
        tmp.write_text(server.base_url + "\n", encoding="utf-8")
        os.replace(tmp, args.ready_file)
    print(f"READY {server.base_url}", flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
