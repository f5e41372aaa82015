"""The one HTTP client, against the real demo server and its fault modes."""

from __future__ import annotations

import time

import pytest
import requests

from ingest.http_client import FeedClient, FeedError
from tests.conftest import reset_server


@pytest.fixture
def server(demo_url):
    reset_server(demo_url)
    yield demo_url
    reset_server(demo_url)


def fault(base: str, **rule) -> None:
    requests.post(f"{base}/_control/faults", json=rule, timeout=5).raise_for_status()


def client(base: str, **kw) -> FeedClient:
    return FeedClient(source="test", base_url=base, backoff_seconds=0.05, **kw)


def test_500_then_recovery_is_retried(server):
    fault(server, path_prefix="/area/imd.csv", mode="status", status=503, count=2)
    with client(server) as c:
        payload = c.get("/area/imd.csv")
    assert payload.status == 200 and payload.attempts == 3 and c.stats.retries == 2
    assert payload.content.startswith(b"LSOA code")


def test_persistent_500_fails_clearly_after_the_retry_budget(server):
    fault(server, path_prefix="/area/imd.csv", mode="status", status=500, count=-1)
    with client(server, max_retries=2) as c, pytest.raises(FeedError, match=r"HTTP 500 after 3 attempt"):
        c.get("/area/imd.csv")


def test_429_honours_retry_after(server):
    fault(server, path_prefix="/area/imd.csv", mode="retry_after", seconds=1, count=1)
    started = time.monotonic()
    with client(server) as c:
        payload = c.get("/area/imd.csv")
    assert payload.attempts == 2
    assert time.monotonic() - started >= 0.95


def test_404_is_not_retried(server):
    with client(server) as c, pytest.raises(FeedError, match="HTTP 404 after 1 attempt"):
        c.get("/no/such/feed")
    assert c.stats.requests == 1


def test_read_timeout(server):
    fault(server, path_prefix="/area/imd.csv", mode="delay", seconds=2, count=1)
    with client(server, read_timeout=0.3) as c, pytest.raises(FeedError, match="no response within"):
        c.get("/area/imd.csv")


def test_connection_refused(unused_port):
    with client(f"http://127.0.0.1:{unused_port}") as c, pytest.raises(FeedError, match="connection failed"):
        c.get("/area/imd.csv")


def test_truncated_body_is_an_error(server):
    fault(server, path_prefix="/directories/council/services", mode="truncate", fraction=0.5, honest=False)
    with client(server) as c, pytest.raises(FeedError, match=r"cut short|connection lost"):
        c.get("/directories/council/services")


def test_cut_json_is_an_error(server):
    fault(server, path_prefix="/directories/council/services", mode="truncate", fraction=0.5, honest=True)
    with client(server) as c, pytest.raises(FeedError, match="not valid JSON"):
        c.get_json("/directories/council/services")


def test_byte_cap(server):
    fault(server, path_prefix="/area/imd.csv", mode="oversize", bytes=2_000_000)
    with client(server, max_bytes=1_000_000) as c, pytest.raises(FeedError, match="exceeds the cap"):
        c.get("/area/imd.csv")


def test_payload_provenance(server):
    with client(server) as c:
        payload = c.get("/area/lsoa_lookup.csv")
    import hashlib

    assert payload.sha256 == hashlib.sha256(payload.content).hexdigest()
    assert payload.fetched_at.tzinfo is not None
    assert payload.url.endswith("/area/lsoa_lookup.csv")


def test_proxy_from_the_environment_is_still_used(monkeypatch):
    """The client reads proxy settings once per origin, not per request: HTTP_PROXY must still route it."""
    from tests.fixture_server import serve

    # a forward proxy receives the absolute URL; the fixture server routes by its path and records it
    with serve({"/a.json": b"via proxy", "/b.json": b"via proxy"}) as (proxy_url, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with client("http://feeds.partner.invalid/") as c:
            first = c.get("/a.json")
            second = c.get("/b.json")
    assert first.content == second.content == b"via proxy"
    assert seen == ["http://feeds.partner.invalid/a.json", "http://feeds.partner.invalid/b.json"]
