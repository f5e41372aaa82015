"""Fetch outside the writer slot, load from the staged fetch: record/replay against the real demo server."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest
import requests

from ingest import staged_fetch as staged
from ingest.airflow_tasks import reconcile_loads
from ingest.harvest import HarvestError, fetch_source, harvest_source, load_source
from tests.conftest import REPO, reset_server, use_var_dir
from warehouse.settings import get_settings

DIRECTORY = "directory_council"
VACANCIES = "bureau_north_vacancies"


@pytest.fixture
def server(demo_url, tmp_path, monkeypatch):
    use_var_dir(monkeypatch, tmp_path)
    reset_server(demo_url)
    yield demo_url
    reset_server(demo_url)


def ledger(status: str | None = None) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT source, load_id, status, received, loaded, quarantined, error "
                           "FROM meta.load_ledger ORDER BY seq").fetchall()
    return [r for r in rows if status is None or r[2] == status]


def test_fetch_records_every_response_with_checksums_and_the_load_replays_it(server):
    fetch_id = fetch_source(DIRECTORY, base_url=server, run_key="r1")
    fetched = staged.open_staged(get_settings().landing_dir, fetch_id)
    assert oct(fetched.folder.stat().st_mode & 0o777) == "0o700"  # the bodies may be personal data
    responses = fetched.manifest["responses"]
    assert responses and fetched.manifest["requests"] == len(responses)
    for entry in responses:
        body = (fetched.folder / entry["file"]).read_bytes()
        assert entry["status"] == 200 and entry["bytes"] == len(body)
        assert entry["sha256"] == staged.hashlib.sha256(body).hexdigest()
        assert entry["url"].startswith(server) and entry["fetched_at"]
    assert all(r.get("params") for r in responses if "/services?" in r["url"])  # page requests keep params
    rows = load_source(DIRECTORY, fetch_id, run_key="r1")
    assert rows[0]["status"] == "loaded" and rows[0]["received"] > 0
    assert rows[0]["received"] == rows[0]["loaded"] + rows[0]["quarantined"]
    assert not fetched.folder.exists(), "a landed fetch is discarded"
    # the same data fetched and loaded inline gives the same counts
    again = harvest_source(DIRECTORY, base_url=server, run_key="r2")
    assert {k: again[0][k] for k in ("received", "loaded", "quarantined")} == \
        {k: rows[0][k] for k in ("received", "loaded", "quarantined")}


def test_a_body_that_does_not_match_its_checksum_is_refused(server):
    fetch_id = fetch_source(DIRECTORY, base_url=server, run_key="r1")
    fetched = staged.open_staged(get_settings().landing_dir, fetch_id)
    body = fetched.folder / fetched.manifest["responses"][-1]["file"]
    body.write_bytes(body.read_bytes().replace(b"a", b"b", 1))
    with pytest.raises(HarvestError, match="does not match its manifest"):
        load_source(DIRECTORY, fetch_id, run_key="r1")
    (source, _, status, *_, error), = ledger()
    assert (source, status) == (DIRECTORY, "failed") and "does not match its manifest" in error
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        assert not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
                               "AND table_name = 'directory_services'").fetchone()[0]


def test_a_request_missing_from_the_staged_fetch_is_refused(server):
    fetch_id = fetch_source(DIRECTORY, base_url=server, run_key="r1")
    fetched = staged.open_staged(get_settings().landing_dir, fetch_id)
    manifest = dict(fetched.manifest, responses=fetched.manifest["responses"][:-1])
    (fetched.folder / staged.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(HarvestError, match="is not in staged fetch"):
        load_source(DIRECTORY, fetch_id, run_key="r1")
    assert [r[2] for r in ledger()] == ["failed"]


def test_a_missing_or_incomplete_staged_fetch_is_a_failed_load(server):
    with pytest.raises(HarvestError, match="not found"):
        load_source(DIRECTORY, f"{DIRECTORY}/never-fetched", run_key="r1")
    assert [(r[0], r[2]) for r in ledger()] == [(DIRECTORY, "failed")]
    with pytest.raises(staged.StagedFetchError):
        staged.staged_dir(get_settings().landing_dir, "../../etc/passwd")


def test_a_killed_fetch_never_looks_complete(server):
    """SIGKILL while the fetch waits for a body: only a temporary folder is left; the next fetch removes it."""
    requests.post(f"{server}/_control/faults", json={"path_prefix": "/directories/council/services", "skip": 1,
                                                     "mode": "delay", "seconds": 600, "count": 1},
                  timeout=5).raise_for_status()
    landing = get_settings().landing_dir
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from ingest.harvest import fetch_source
        fetch_source({DIRECTORY!r}, base_url={server!r}, run_key="killed")
    """)], cwd=REPO, env=os.environ.copy())
    try:
        root = staged.fetch_root(landing, DIRECTORY)
        deadline = time.monotonic() + 120
        while not list(root.glob(".tmp-*/00000.body")):  # the first page is on disk, the second one hangs
            assert proc.poll() is None and time.monotonic() < deadline, "the fetch never got going"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    with pytest.raises(staged.StagedFetchError, match="not found"):
        staged.open_staged(landing, f"{DIRECTORY}/killed")
    assert [p.name for p in root.iterdir() if not p.name.startswith(".tmp-")] == []
    reset_server(server)
    fetch_id = fetch_source(DIRECTORY, base_url=server, run_key="killed")
    assert staged.open_staged(landing, fetch_id).manifest["complete"] is True
    assert list(root.glob(".tmp-*")) == []
    assert load_source(DIRECTORY, fetch_id, run_key="killed")[0]["status"] == "loaded"


def test_fetch_runs_while_another_writer_holds_the_warehouse(server, monkeypatch):
    path = get_settings().warehouse_path
    path.parent.mkdir(parents=True)
    duckdb.connect(str(path)).close()
    monkeypatch.setenv("CG_WAREHOUSE_LOCK_WAIT_SECONDS", "0")
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys
        con = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        fetch_id = fetch_source(DIRECTORY, base_url=server, run_key="r1")  # no warehouse needed
        with pytest.raises(HarvestError, match="lock"):  # the load does need it
            load_source(DIRECTORY, fetch_id, run_key="r1")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    rows = load_source(DIRECTORY, fetch_id, run_key="r1#try2")  # the staged fetch survives a failed load
    assert rows[0]["status"] == "loaded"
    assert [r[2] for r in ledger()] == ["failed", "loaded"]  # the spooled failure, then the retry


def test_feed_failures_are_recorded_at_fetch_and_become_the_loads_failed_row(server):
    requests.post(f"{server}/_control/faults", json={"path_prefix": "/directories/council/services",
                                                     "mode": "status", "status": 404, "count": -1},
                  timeout=5).raise_for_status()
    fetch_id = fetch_source(DIRECTORY, base_url=server, run_key="r1")
    fetched = staged.open_staged(get_settings().landing_dir, fetch_id)
    assert "HTTP 404" in fetched.manifest["stopped"] and "error" in fetched.manifest["responses"][-1]
    with pytest.raises(HarvestError, match="HTTP 404"):
        load_source(DIRECTORY, fetch_id, run_key="r1")
    assert [(r[0], r[2]) for r in ledger()] == [(DIRECTORY, "failed")]


def test_a_fetch_that_cannot_complete_spools_a_failed_ledger_row(server):
    landing = get_settings().landing_dir
    landing.mkdir(parents=True)
    (landing / "fetched").write_text("not a folder")  # the staged fetch cannot be written
    with pytest.raises(HarvestError, match="fetch failed"):
        fetch_source(DIRECTORY, base_url=server, run_key="r1")
    spool = get_settings().warehouse_path.with_name("private.duckdb.failed_loads.jsonl")
    (row,) = [json.loads(line) for line in spool.read_text().splitlines()]
    assert row["source"] == DIRECTORY and row["status"] == "failed" and "fetch failed" in row["error"]


def vacancy_state() -> tuple:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute("SELECT next_url, after_timestamp, after_id FROM meta.feed_state WHERE source = ?",
                           [VACANCIES]).fetchone()


def vacancies() -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute("SELECT vacancy_id, state, modified FROM raw.bureau_vacancies ORDER BY 1").fetchall()


def test_rpde_fetch_starts_at_the_cursor_hint_and_the_load_checks_it_against_the_warehouse(server, caplog):
    landing = get_settings().landing_dir
    harvest_source(VACANCIES, base_url=server, run_key="e0")
    hint = staged.read_cursor_hint(landing, VACANCIES)
    assert hint and hint["next_url"] == vacancy_state()[0]
    requests.post(f"{server}/_control/advance", timeout=5).raise_for_status()

    # 1. the hint matches the warehouse: the fetch starts there, the load replays from there
    fetch_id = fetch_source(VACANCIES, base_url=server, run_key="e1")
    fetched = staged.open_staged(landing, fetch_id)
    assert fetched.manifest["cursor"]["next_url"] == hint["next_url"]
    (row,) = load_source(VACANCIES, fetch_id, run_key="e1")
    assert row["status"] == "loaded" and row["received"] > 0 and row["quarantined"] == 0
    reference = vacancies()
    mark = vacancy_state()

    # 2. a stale hint (the one from before e1): the fetch starts before the warehouse's mark and its pages do
    # not pass through it; the load replays from the fetch's start and quarantines the overlap as already
    # applied — nothing is applied twice
    e1_hint = staged.read_cursor_hint(landing, VACANCIES)
    staged.write_json_atomic(staged.cursor_hint_path(landing, VACANCIES), hint)
    requests.post(f"{server}/_control/advance", timeout=5).raise_for_status()
    fetch_id = fetch_source(VACANCIES, base_url=server, run_key="e2")
    assert not any(key.endswith(mark[0]) for key in staged.open_staged(landing, fetch_id).keys)
    (row,) = load_source(VACANCIES, fetch_id, run_key="e2")
    assert row["status"] == "loaded" and row["loaded"] > 0 and row["quarantined"] > 0
    assert row["received"] == row["loaded"] + row["quarantined"]
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        reasons = [r[0] for r in con.execute(
            "SELECT reason FROM raw.quarantine WHERE _load_id = ?", [f"{VACANCIES}@e2"]).fetchall()]
    assert len(reasons) == row["quarantined"] and all("goes backwards" in r for r in reasons)
    assert e1_hint["next_url"] != staged.read_cursor_hint(landing, VACANCIES)["next_url"] == vacancy_state()[0]
    reference, mark = vacancies(), vacancy_state()
    assert len(reference) == len({v for v, *_ in reference})

    # 3. the hint is ahead of the warehouse (its feed_state was reset to re-harvest): the load fetches inline
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        con.execute("DELETE FROM meta.feed_state WHERE source = ?", [VACANCIES])
    fetch_id = fetch_source(VACANCIES, base_url=server, run_key="reset")
    with caplog.at_level(logging.WARNING, logger="ingest.harvest"):
        (row,) = load_source(VACANCIES, fetch_id, run_key="reset")
    assert "fetching inline from the warehouse's mark" in caplog.text
    assert row["status"] == "loaded" and vacancies() == reference and vacancy_state()[0] == mark[0]


def test_reconcile_updates_the_family_when_one_source_failed_and_names_it(capsys):
    good = [{"source": "directory_a", "load_id": "a@r", "status": "loaded", "received": 3, "loaded": 2,
             "quarantined": 1}]
    totals = reconcile_loads(["directory_a", "directory_b"], [good, None])
    assert totals == {"received": 3, "loaded": 2, "quarantined": 1, "sources_loaded": 1, "sources_failed": 1}
    assert "FAILED sources (see their fetch/load task and meta.load_ledger): directory_b" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no source of this family loaded"):
        reconcile_loads(["directory_a", "directory_b"], [None, None])
    with pytest.raises(ValueError, match="no source of this family loaded"):
        reconcile_loads(["directory_a"], None)  # what Airflow passes when no load pushed a result
    single = reconcile_loads(["directory_a"], good)  # a family of one source: Airflow passes that load's rows
    assert single["sources_loaded"] == 1 and single["sources_failed"] == 0
    with pytest.raises(ValueError, match="do not reconcile"):
        reconcile_loads(["directory_a"], [[{**good[0], "loaded": 5}]])
