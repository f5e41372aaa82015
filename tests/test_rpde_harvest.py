"""Incremental RPDE harvesting: high-water mark, updates, deletions, resume after a failure."""

from __future__ import annotations

import duckdb
import pytest
import requests

from ingest.harvest import HarvestError, harvest_source
from tests.conftest import reset_server, use_var_dir
from warehouse.settings import get_settings

SOURCE = "bureau_north_vacancies"
COLUMNS = "vacancy_id, state, modified, title, closing_date, data_json"


def snapshot(path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT {COLUMNS} FROM raw.bureau_vacancies ORDER BY vacancy_id").fetchall()


def advance(base: str) -> None:
    requests.post(f"{base}/_control/advance", timeout=5).raise_for_status()


@pytest.fixture
def server(demo_url):
    reset_server(demo_url)
    yield demo_url
    reset_server(demo_url)


def test_later_harvest_applies_updates_and_deletions(tmp_path, monkeypatch, server, county_manifest):
    use_var_dir(monkeypatch, tmp_path)
    first = harvest_source(SOURCE, base_url=server, run_key="e0")[0]
    info = county_manifest["bureaus"]["north"]
    assert first["received"] == info["items_by_epoch"]["0"]
    again = harvest_source(SOURCE, base_url=server, run_key="e0-again")[0]
    assert again["received"] == 0  # nothing new since the high-water mark
    advance(server)
    second = harvest_source(SOURCE, base_url=server, run_key="e1")[0]
    assert second["received"] == info["items_by_epoch"]["1"]
    rows = snapshot(get_settings().warehouse_path)
    assert len(rows) == info["feed_items_at_epoch"]["1"]
    live = sum(1 for r in rows if r[1] == "updated")
    assert live == info["live_vacancies_at_epoch"]["1"]
    assert sum(1 for r in rows if r[1] == "deleted") == info["feed_items_at_epoch"]["1"] - live


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, monkeypatch, server):
    use_var_dir(monkeypatch, tmp_path / "straight")
    harvest_source(SOURCE, base_url=server, run_key="a")
    advance(server)
    harvest_source(SOURCE, base_url=server, run_key="b")
    straight = snapshot(get_settings().warehouse_path)

    reset_server(server)
    use_var_dir(monkeypatch, tmp_path / "interrupted")
    requests.post(f"{server}/_control/faults", json={"path_prefix": "/bureaus/north/vacancies", "mode": "status",
                                                     "status": 404, "skip": 2, "count": 1}, timeout=5)
    with pytest.raises(HarvestError, match="HTTP 404"):
        harvest_source(SOURCE, base_url=server, run_key="a")
    partial = snapshot(get_settings().warehouse_path)
    assert 0 < len(partial) < len(straight)  # two pages were applied before the failure
    harvest_source(SOURCE, base_url=server, run_key="a-resumed")
    advance(server)
    harvest_source(SOURCE, base_url=server, run_key="b")
    assert snapshot(get_settings().warehouse_path) == straight
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        statuses = dict(con.execute("SELECT load_id, status FROM meta.load_ledger").fetchall())
    assert statuses[f"{SOURCE}@a"] == "failed"


def test_backwards_timestamps_are_quarantined(tmp_path, monkeypatch, server):
    use_var_dir(monkeypatch, tmp_path)
    requests.post(f"{server}/_control/faults", json={"path_prefix": "/bureaus/north/vacancies",
                                                     "mode": "rpde_backwards", "skip": 2, "count": 1}, timeout=5)
    load = harvest_source(SOURCE, base_url=server, run_key="x")[0]
    assert load["quarantined"] > 0
    assert load["received"] == load["loaded"] + load["quarantined"]
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        reasons = [r[0] for r in con.execute("SELECT reason FROM raw.quarantine").fetchall()]
    assert all("goes backwards" in r for r in reasons)


def test_page_loop_fails_clearly(tmp_path, monkeypatch, server):
    use_var_dir(monkeypatch, tmp_path)
    requests.post(f"{server}/_control/faults", json={"path_prefix": "/bureaus/north/vacancies",
                                                     "mode": "page_loop", "count": -1}, timeout=5)
    with pytest.raises(HarvestError, match="page loop"):
        harvest_source(SOURCE, base_url=server, run_key="loop")
