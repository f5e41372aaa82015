"""Incremental RPDE harvesting: high-water mark, updates, deletions, resume after a failure or a crash."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
import requests

from ingest.harvest import HarvestError, get_source, harvest_source
from tests.conftest import REPO, reset_server, use_var_dir
from warehouse.settings import get_settings

SOURCE = "bureau_north_vacancies"
COLUMNS = "vacancy_id, state, modified, title, closing_date, data_json"


def snapshot(path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT {COLUMNS} FROM raw.bureau_vacancies ORDER BY vacancy_id").fetchall()


def attributes(path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT vacancy_id, attribute, value FROM raw.bureau_vacancy_attributes "
                           "ORDER BY ALL").fetchall()


def ledger(path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT load_id, status, received, loaded, quarantined, notes FROM meta.load_ledger").fetchall()}


def advance(base: str) -> None:
    requests.post(f"{base}/_control/advance", timeout=5).raise_for_status()


def fault(base: str, **rule) -> None:
    requests.post(f"{base}/_control/faults", json={"path_prefix": "/bureaus/north/vacancies", **rule},
                  timeout=5).raise_for_status()


@pytest.fixture
def server(demo_url):
    reset_server(demo_url)
    yield demo_url
    reset_server(demo_url)


@pytest.fixture(scope="module")
def straight(tmp_path_factory, demo_url):
    """Tables after one uninterrupted harvest of epoch 0 and one of epoch 1 (the reference)."""
    var_dir = tmp_path_factory.mktemp("straight")
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        reset_server(demo_url)
        harvest_source(SOURCE, base_url=demo_url, run_key="a")
        epoch0 = snapshot(get_settings().warehouse_path)
        advance(demo_url)
        harvest_source(SOURCE, base_url=demo_url, run_key="b")
        path = get_settings().warehouse_path
        reset_server(demo_url)
    return {"epoch0": epoch0, "epoch1": snapshot(path), "attributes": attributes(path)}


def test_later_harvests_apply_updates_and_deletions(tmp_path, monkeypatch, server, county_manifest):
    use_var_dir(monkeypatch, tmp_path)
    info = county_manifest["bureaus"]["north"]
    first = harvest_source(SOURCE, base_url=server, run_key="e0")[0]
    assert first["received"] == info["items_by_epoch"]["0"]
    notes = ledger(get_settings().warehouse_path)[f"{SOURCE}@e0"][4]
    live0 = info["live_vacancies_at_epoch"]["0"]
    # every live item is new; the feed's tombstones are for ids this consumer never saw
    assert f"new={live0} updated=0 deleted=0 unseen_deletions={info['feed_items_at_epoch']['0'] - live0}" in notes
    again = harvest_source(SOURCE, base_url=server, run_key="e0-again")[0]
    assert again["received"] == 0  # nothing new since the high-water mark
    for epoch in ("1", "2"):
        advance(server)
        load = harvest_source(SOURCE, base_url=server, run_key=f"e{epoch}")[0]
        assert load["received"] == info["items_by_epoch"][epoch]
        change = info["changes_by_epoch"][epoch]
        notes = ledger(get_settings().warehouse_path)[f"{SOURCE}@e{epoch}"][4]
        assert (f"new={change['new']} updated={change['updated']} deleted={change['deleted']} "
                f"unseen_deletions=0") in notes
        rows = snapshot(get_settings().warehouse_path)
        assert len(rows) == info["feed_items_at_epoch"][epoch]
        live = sum(1 for r in rows if r[1] == "updated")
        assert live == info["live_vacancies_at_epoch"][epoch]
        assert all(r[5] is None for r in rows if r[1] == "deleted")  # tombstones carry no data


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, monkeypatch, server, straight,
                                                       county_manifest):
    use_var_dir(monkeypatch, tmp_path)
    fault(server, mode="status", status=404, skip=2, count=1)
    with pytest.raises(HarvestError, match="HTTP 404"):
        harvest_source(SOURCE, base_url=server, run_key="a")
    path = get_settings().warehouse_path
    partial = snapshot(path)
    assert len(partial) == 1000  # two pages of 500 (config page_size) were applied before the failure
    rows = ledger(path)
    # the committed pages keep their counts (they are in raw); the failure is recorded beside them
    assert rows[f"{SOURCE}@a"][:4] == ("loaded", 1000, 1000, 0) and "interrupted" in rows[f"{SOURCE}@a"][4]
    assert rows[f"{SOURCE}@a#failed"][0] == "failed"
    resumed = harvest_source(SOURCE, base_url=server, run_key="a-resumed")[0]
    assert resumed["received"] == len(straight["epoch0"]) - 1000  # nothing fetched twice
    assert snapshot(path) == straight["epoch0"]
    advance(server)
    harvest_source(SOURCE, base_url=server, run_key="b")
    assert snapshot(path) == straight["epoch1"]
    assert attributes(path) == straight["attributes"]
    loaded = [r for r in ledger(path).values() if r[0] == "loaded"]  # what the reconciliation sums
    info = county_manifest["bureaus"]["north"]["items_by_epoch"]
    assert sum(r[1] for r in loaded) == sum(r[2] for r in loaded) == info["0"] + info["1"]


HARVEST_AND_DIE = textwrap.dedent("""
    import os, signal, sys
    import ingest.landing as landing
    from ingest.harvest import harvest_source
    import ingest.feeds.volunteering as volunteering

    where, at = sys.argv[2], int(sys.argv[3])
    calls = {"n": 0}
    if where == "in_transaction":  # die after the page's rows are written, before COMMIT
        original = landing.save_feed_state
        def dying(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == at:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)
        landing.save_feed_state = dying
        harvest_source(sys.argv[4], base_url=sys.argv[1], run_key="killed")
    else:  # die between pages, after page `at` committed
        original = volunteering.harvest_vacancies
        def with_hook(*args, **kwargs):
            kwargs["after_page"] = lambda n: n == at and os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)
        import ingest.harvest
        ingest.harvest.harvest_vacancies = with_hook
        harvest_source(sys.argv[4], base_url=sys.argv[1], run_key="killed")
""")


@pytest.mark.parametrize("where", ["between_pages", "in_transaction"])
def test_sigkill_mid_harvest_then_resume_equals_uninterrupted(tmp_path, monkeypatch, server, straight, where,
                                                              county_data):
    from demo.store import DataStore

    use_var_dir(monkeypatch, tmp_path)
    proc = subprocess.run([sys.executable, "-c", HARVEST_AND_DIE, server, where, "2", SOURCE], cwd=REPO,
                          env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    path = get_settings().warehouse_path
    # pages of 500 (config page_size): the page being written when killed is rolled back
    committed = 1000 if where == "between_pages" else 500
    assert len(snapshot(path)) == committed
    assert ledger(path)[f"{SOURCE}@killed"][:4] == ("loaded", committed, committed, 0)
    with duckdb.connect(str(path), read_only=True) as con:
        mark = con.execute("SELECT after_timestamp, after_id FROM meta.feed_state").fetchall()[0]
    assert mark == DataStore(county_data).rpde("north", 0).keys[committed - 1]  # the last committed item
    resumed = harvest_source(SOURCE, base_url=server, run_key="resumed")[0]
    assert resumed["received"] == len(straight["epoch0"]) - committed
    assert snapshot(path) == straight["epoch0"]
    advance(server)
    harvest_source(SOURCE, base_url=server, run_key="b")
    assert snapshot(path) == straight["epoch1"]


def tie_limit(data_dir: Path) -> tuple[int, str]:
    """A page size whose page boundary falls between two items sharing one ``modified``."""
    from demo.store import DataStore

    keys = DataStore(data_dir).rpde("north", 0).keys
    for limit in range(99, 4, -1):  # the largest such page size: fewer pages, a quicker test
        for boundary in range(limit, len(keys), limit):
            if keys[boundary - 1][0] == keys[boundary][0]:
                return limit, keys[boundary][1]
    raise AssertionError("no tie at a page boundary")


def test_equal_timestamps_across_a_page_boundary(tmp_path, monkeypatch, server, straight, county_data):
    from ingest.feeds.volunteering import harvest_vacancies
    from ingest.http_client import FeedClient
    from ingest.landing import LoadContext
    from warehouse.duck import write_connection

    use_var_dir(monkeypatch, tmp_path)
    limit, first_after_boundary = tie_limit(county_data)
    settings = get_settings()
    source = dataclasses.replace(get_source(SOURCE, settings), path=f"/bureaus/north/vacancies?limit={limit}")
    context = LoadContext(source=SOURCE, family="volunteering", load_id=f"{SOURCE}@small-pages")
    with FeedClient(source=SOURCE, base_url=server) as client, write_connection(settings.warehouse_path) as con:
        load = harvest_vacancies(client, source, context, con)
    assert load["pages"] > len(straight["epoch0"]) // limit
    rows = snapshot(settings.warehouse_path)
    assert first_after_boundary in {r[0] for r in rows}
    assert rows == straight["epoch0"]


def test_page_served_out_of_order_is_applied_not_dropped(tmp_path, monkeypatch, server, straight):
    use_var_dir(monkeypatch, tmp_path)
    fault(server, mode="rpde_backwards", skip=2, count=1)
    load = harvest_source(SOURCE, base_url=server, run_key="x")[0]
    assert load["quarantined"] == 0 and load["received"] == load["loaded"]
    assert "out_of_order_pages=1" in ledger(get_settings().warehouse_path)[f"{SOURCE}@x"][4]
    assert snapshot(get_settings().warehouse_path) == straight["epoch0"]


def test_repeated_items_are_quarantined_not_applied_twice(tmp_path, monkeypatch, server, straight):
    use_var_dir(monkeypatch, tmp_path)
    fault(server, mode="duplicate_ids", n=3, skip=1, count=1)
    load = harvest_source(SOURCE, base_url=server, run_key="x")[0]
    assert load["quarantined"] == 3
    assert load["received"] == load["loaded"] + load["quarantined"] == len(straight["epoch0"]) + 3
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        reasons = [r[0] for r in con.execute("SELECT reason FROM raw.quarantine").fetchall()]
    assert len(reasons) == 3 and all("repeats an item" in r for r in reasons)
    assert snapshot(get_settings().warehouse_path) == straight["epoch0"]


def test_page_loop_fails_clearly(tmp_path, monkeypatch, server):
    use_var_dir(monkeypatch, tmp_path)
    fault(server, mode="page_loop", count=-1)
    with pytest.raises(HarvestError, match="page loop"):
        harvest_source(SOURCE, base_url=server, run_key="loop")


# --- the harvest loop against scripted pages (no server): edge cases the demo feed does not produce ------

class ScriptedFeed:
    """A FeedClient stand-in serving fixed RPDE pages by URL."""

    def __init__(self, pages: dict[str, dict]) -> None:
        self.pages = pages

    def url_for(self, url: str) -> str:
        return url

    def get_json(self, url: str):
        import hashlib

        from ingest.http_client import FeedError

        if isinstance(self.pages[url], Exception):
            raise FeedError("scripted", url, str(self.pages[url]))
        import json
        from datetime import UTC, datetime

        from ingest.http_client import Payload

        body = json.dumps(self.pages[url]).encode()
        return self.pages[url], Payload(url, 200, body, "application/json", datetime.now(UTC),
                                        hashlib.sha256(body).hexdigest(), 1)


def item(vid: str, modified: int, state: str = "updated", title: str = "Driver") -> dict:
    out = {"id": vid, "state": state, "kind": "VolunteerOpportunity", "modified": modified}
    if state == "updated":
        out["data"] = {"title": title, "skills_needed": ["driving"], "availability": ["mon_am"]}
    return out


def scripted_harvest(con, pages: dict[str, dict | Exception], run: str) -> dict:
    from ingest.feeds.volunteering import harvest_vacancies
    from ingest.landing import LoadContext
    from ingest.sources import Source

    source = Source(id="scripted", family="volunteering", protocol="rpde_vacancies", path="/feed", conn_id="x",
                    max_bytes=1 << 20, connect_timeout=1, read_timeout=1, max_pages=50, archive_payloads=False)
    return harvest_vacancies(ScriptedFeed(pages), source, LoadContext("scripted", "volunteering", f"s@{run}"), con)


def test_scripted_edge_cases_unseen_deletion_replay_and_timestamp_zero():
    con = duckdb.connect()
    first = scripted_harvest(con, {
        "/feed": {"items": [item("a", 0), item("ghost", 0, "deleted"), item("b", 5)], "next": "/p2"},
        "/p2": {"items": [item("b", 7, title="Driver (updated)")], "next": "/p3"},
        "/p3": {"items": [], "next": "/p3"},
    }, "1")
    assert (first["new"], first["updated"], first["deleted"], first["unseen_deletions"]) == (2, 1, 0, 1)
    state = con.execute("SELECT next_url, after_timestamp, after_id FROM meta.feed_state").fetchall()
    assert state == [("/p3", 7, "b")]
    # a later harvest: a replay of an applied item (not after the mark) is quarantined, the rest applied
    second = scripted_harvest(con, {
        "/p3": {"items": [item("a", 0, title="stale"), item("a", 9, "deleted"), item("ghost", 9)], "next": "/p4"},
        "/p4": {"items": [], "next": "/p4"},
    }, "2")
    assert (second["received"], second["loaded"], second["quarantined"]) == (3, 2, 1)
    assert (second["new"], second["updated"], second["deleted"]) == (1, 0, 1)  # "ghost" was never live before
    rows = dict(con.execute("SELECT vacancy_id, state || ':' || coalesce(title, '') FROM raw.bureau_vacancies"
                            ).fetchall())
    assert rows == {"a": "deleted:", "b": "updated:Driver (updated)", "ghost": "updated:Driver"}
    assert con.execute("SELECT count(*) FROM raw.bureau_vacancy_attributes WHERE vacancy_id = 'a'"
                       ).fetchall() == [(0,)]
    reason = con.execute("SELECT reason FROM raw.quarantine").fetchall()[0][0]
    assert "goes backwards" in reason and "0/a" in reason


def test_rerun_of_an_interrupted_load_under_the_same_id_keeps_whole_counts():
    from ingest.feeds.volunteering import interrupted_context
    from ingest.http_client import FeedError
    from ingest.landing import LoadContext, record_failure

    con = duckdb.connect()
    pages = {"/feed": {"items": [item("a", 1), item("b", 2)], "next": "/p2"},
             "/p2": RuntimeError("HTTP 503 after 5 attempt(s)"),
             "/p3": {"items": [], "next": "/p3"}}
    with pytest.raises(FeedError):
        scripted_harvest(con, pages, "1")
    ctx = LoadContext("scripted", "volunteering", "s@1")
    record_failure(con, interrupted_context(con, ctx, "FeedError: 503"), "FeedError: 503")
    pages["/p2"] = {"items": [item("c", 3)], "next": "/p3"}
    load = scripted_harvest(con, pages, "1")  # the same load id again (e.g. a manual rerun)
    assert (load["received"], load["loaded"], load["new"], load["pages"]) == (3, 3, 3, 3)
    rows = dict(con.execute("SELECT load_id, status FROM meta.load_ledger").fetchall())
    assert rows == {"s@1": "loaded", "s@1#failed": "failed"}
    seqs = [r[0] for r in con.execute("SELECT seq FROM meta.payloads ORDER BY seq").fetchall()]
    assert seqs == [0, 1, 2]
