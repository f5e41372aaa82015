"""RPDE 1.0 as publishers write it (openactive/realtime-paged-data-exchange 1.0 example), plus the issue-12
cases: modified = 2^70, a feed restarted with lower modified values, a ``next`` link to another host."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest.feeds.volunteering import harvest_vacancies
from ingest.http_client import FeedClient, FeedError
from ingest.landing import LoadContext
from ingest.sources import Source
from tests.fixture_server import serve

REAL = Path(__file__).parent / "fixtures" / "real" / "rpde" / "spec_1.0_example.json"
SRC = Source(id="rpde_real", family="volunteering", protocol="rpde_vacancies", path="/feed", conn_id="x",
             max_bytes=1 << 20, connect_timeout=5, read_timeout=10, max_pages=20, archive_payloads=False)


def harvest(con, base: str, run: str) -> dict:
    with FeedClient(source=SRC.id, base_url=base, max_retries=0) as client:
        return harvest_vacancies(client, SRC, LoadContext(SRC.id, "volunteering", f"{SRC.id}@{run}"), con)


def item(vid, modified, title="Driver"):
    return {"state": "updated", "kind": "VolunteerOpportunity", "id": vid, "modified": modified,
            "data": {"title": title}}


def reasons(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT reason FROM raw.quarantine ORDER BY reason").fetchall()]


def state(con) -> tuple:
    return con.execute("SELECT next_url, after_timestamp, after_id FROM meta.feed_state").fetchone()


def test_spec_example_as_published_is_refused_for_its_next_link_to_another_host():
    """The real example's ``next`` is http://www.example.com/…: never followed nor stored."""
    con = duckdb.connect()
    with serve({"/feed": json.loads(REAL.read_text(encoding="utf-8"))}) as (base, _), \
            pytest.raises(FeedError, match=r"RPDE 'next' points at another origin .*www\.example\.com"):
        harvest(con, base, "1")
    assert con.execute("SELECT count(*) FROM meta.feed_state").fetchone()[0] == 0


def test_spec_example_on_our_host_loads_string_ids_and_tombstones():
    doc = json.loads(REAL.read_text(encoding="utf-8"))
    doc["next"] = "/feed?afterTimestamp=1453931925&afterId=%7Bd97f73fb-4718-48ee-a6a9-9c7d717ebd85%7D"
    con = duckdb.connect()
    end = {"items": [], "next": doc["next"]}
    with serve({"/feed": doc, doc["next"]: end}) as (base, _):
        load = harvest(con, base, "1")
    # the example's session has no title (OpenActive ``name``): quarantined with that reason, tombstone applied
    assert (load["received"], load["loaded"], load["quarantined"]) == (2, 1, 1)
    assert reasons(con) == ["vacancy has no title"]
    assert state(con)[1:] == (1453931925, "{d97f73fb-4718-48ee-a6a9-9c7d717ebd85}")


def test_integer_and_string_ids_and_modified_keep_feed_order_within_a_modified_value():
    con = duckdb.connect()
    page = {"items": [item(9, "100"), item(11, 100), item("12", 100), item(3, 101)], "next": "/p2"}
    with serve({"/feed": page, "/p2": {"items": [item(13, 101)], "next": "/p3"},
                "/p3": {"items": [], "next": "/p3"}}) as (base, _):
        load = harvest(con, base, "1")
    assert (load["received"], load["loaded"], load["quarantined"]) == (5, 5, 0)
    ids = {r[0] for r in con.execute("SELECT vacancy_id FROM raw.bureau_vacancies").fetchall()}
    assert ids == {"9", "11", "12", "3", "13"}
    assert state(con)[1:] == (101, "13")


def test_modified_beyond_64_bits_is_quarantined_and_the_next_run_is_not_stuck():
    con = duckdb.connect()
    with serve({"/feed": {"items": [item("a", 5), item("b", 2**70)], "next": "/p2"},
                "/p2": {"items": [], "next": "/p2"}}) as (base, _):
        first = harvest(con, base, "1")
        second = harvest(con, base, "2")
    assert (first["loaded"], first["quarantined"]) == (1, 1)
    assert reasons(con) == [f"modified {2**70} is outside the 64-bit range 0..{2**63 - 1} this feed's position "
                            "is kept in"]
    assert state(con)[1:] == (5, "a") and second["received"] == 0


def test_feed_restarted_with_lower_modified_values_is_refused_loudly():
    con = duckdb.connect()
    old = {"/feed": {"items": [item("a", 1000), item("b", 1001)], "next": "/feed?afterTimestamp=1001&afterId=b"},
           "/feed?afterTimestamp=1001&afterId=b": {"items": [], "next": "/feed?afterTimestamp=1001&afterId=b"}}
    with serve(old) as (base, _):
        harvest(con, base, "1")
        assert harvest(con, base, "2")["received"] == 0  # healthy and unchanged: the probe finds nothing wrong
    restarted = {"/feed": {"items": [item("x", 3), item("a", 4)], "next": "/feed?afterTimestamp=4&afterId=a"},
                 "/feed?afterTimestamp=1001&afterId=b": {"items": [], "next": "/feed?afterTimestamp=1001&afterId=b"}}
    with serve(restarted) as (base, _), pytest.raises(FeedError, match=r"RPDE feed restarted: .* id x modified 3, "
                                                                      r"never seen"):
        harvest(con, base, "3")
    assert state(con)[1:] == (1001, "b")  # the stored position is not silently moved


def test_a_replayed_item_at_the_high_water_mark_is_not_applied_twice():
    con = duckdb.connect()
    with serve({"/feed": {"items": [item("a", 7), item("b", 7)], "next": "/p2"},
                "/p2": {"items": [item("b", 7), item("c", 7)], "next": "/p3"},
                "/p3": {"items": [], "next": "/p3"}}) as (base, _):
        load = harvest(con, base, "1")
    assert (load["loaded"], load["quarantined"]) == (3, 1)
    assert reasons(con) == ["modified 7/b goes backwards: not after the high-water mark 7/b (already applied)"]
