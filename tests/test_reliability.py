"""Crashes, failed checks and concurrent readers: nothing half-published, nothing corrupted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import TEST_HASH_KEY, reset_server, use_var_dir
from warehouse.publish import publish, table_checksum
from warehouse.settings import get_settings

REPO = Path(__file__).resolve().parent.parent


def published_sums(path: Path) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: table_checksum(con, t) for (t,) in
                con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def raw_content(path: Path, table: str) -> tuple[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema='raw' AND table_name=? "
            "AND NOT starts_with(column_name, '_')", [table]).fetchall()]
        row = ", ".join(f'"{c}"' for c in columns)
        return con.execute(f"SELECT count(*), coalesce(sum(hash({row})), 0) FROM raw.{table}").fetchall()[0]


def child(code: str, var_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "CG_VAR_DIR": str(var_dir), "CG_HASH_KEY": TEST_HASH_KEY, "CG_AS_OF_DATE": "2026-10-01",
           "DO_NOT_TRACK": "1"}
    for name in ("CG_WAREHOUSE_PATH", "CG_PUBLISHED_DIR"):
        env.pop(name, None)
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def built_copy(built, tmp_path, monkeypatch):
    """A private copy of the built warehouse, published once."""
    settings, _, _ = built
    use_var_dir(monkeypatch, tmp_path)
    (tmp_path / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, tmp_path / "warehouse" / "private.duckdb")
    publish("baseline", get_settings())
    return get_settings()


def test_dbt_test_failure_blocks_publish(built_copy):
    from warehouse.dbt_build import DbtBuildError, build

    before = published_sums(built_copy.published_path)
    with duckdb.connect(str(built_copy.warehouse_path)) as con:  # a duplicate LSOA breaks a unique test
        con.execute("INSERT INTO raw.imd SELECT * FROM raw.imd LIMIT 1")
    with pytest.raises(DbtBuildError, match="unique"):
        build("broken", built_copy)
    assert published_sums(built_copy.published_path) == before
    with duckdb.connect(str(built_copy.warehouse_path), read_only=True) as con:
        success, failures = con.execute("SELECT success, failures FROM meta.dbt_runs WHERE run_id='broken'"
                                        ).fetchall()[0]
    assert not success and "unique" in failures


def test_sigkill_during_load_then_rerun(tmp_path, demo_url, harvested):
    """Kill -9 a load mid-way: the warehouse opens cleanly and a rerun gives the clean result.

    The fetch completes first (it needs no warehouse); then the third survey's staged body is swapped for a
    named pipe, so the load blocks reading it after the first two surveys committed — the kill lands there.
    """
    from ingest.staged_fetch import open_staged

    reset_server(demo_url)
    fetch = child(f"""
        from ingest.harvest import fetch_source, harvest_source
        harvest_source("ons_area", base_url="{demo_url}", run_key="area")
        fetch_source("surveys", base_url="{demo_url}", run_key="killed")
    """, tmp_path)
    assert fetch.wait(timeout=300) == 0, fetch.stdout.read()
    staged = open_staged(tmp_path / "landing", "surveys/killed")
    (housing,) = [e for e in staged.manifest["responses"] if "housing_tenants_2026/responses" in e["request_url"]]
    pipe = staged.folder / housing["file"]
    pipe.unlink()
    os.mkfifo(pipe)
    proc = child("""
        from ingest.harvest import load_source
        load_source("surveys", "surveys/killed", run_key="killed")
    """, tmp_path)
    deadline = time.monotonic() + 300
    while True:  # opening the pipe for writing succeeds once the load is blocked reading it
        try:
            writer = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
            time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    os.close(writer)
    warehouse = tmp_path / "warehouse" / "private.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        landed = {r[0] for r in con.execute("SELECT DISTINCT _source FROM raw.survey_respondents").fetchall()}
    assert landed and landed < {f"surveys/{s}" for s in ("council_residents_2026", "police_confidence_2026",
                                                            "housing_tenants_2026", "health_wellbeing_2026")}
    rerun = child(f"""
        from ingest.harvest import harvest_source
        harvest_source("surveys", base_url="{demo_url}", run_key="rerun")
    """, tmp_path)
    assert rerun.wait(timeout=120) == 0, rerun.stdout.read()
    settings, _ = harvested
    for table in ("survey_respondents", "survey_answers"):
        assert raw_content(warehouse, table) == raw_content(settings.warehouse_path, table)


def test_sigkill_during_dbt_build_then_rerun(built_copy):
    before = published_sums(built_copy.published_path)
    proc = child("""
        from warehouse.dbt_build import build
        build("killed")
    """, built_copy.var_dir)
    time.sleep(6)  # dbt is parsing or building by now
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert published_sums(built_copy.published_path) == before
    rerun = child("""
        from expectations.gate import run_gate
        from warehouse.dbt_build import build
        from warehouse.publish import publish
        build("rerun"); run_gate("rerun"); publish("rerun")
    """, built_copy.var_dir)
    output = rerun.communicate(timeout=600)[0]
    assert rerun.returncode == 0, output[-3000:]
    assert published_sums(built_copy.published_path) == before  # same data, same published tables


READER = """
import json, os, sys
import duckdb
path, progress, stop = sys.argv[1], sys.argv[2], sys.argv[3]
ok = errors = 0
seen = []
while not os.path.exists(stop):
    try:
        with duckdb.connect(path, read_only=True) as con:
            n = con.execute("SELECT count(*) FROM area_profiles").fetchall()[0][0]
            m = con.execute("SELECT count(*) FROM feed_reconciliation").fetchall()[0][0]
        assert n > 0 and m > 0
        ok += 1
    except Exception as exc:
        errors += 1
        seen.append(repr(exc)[:200])
    with open(progress + ".tmp", "w") as f:
        f.write(str(ok + errors))
    os.replace(progress + ".tmp", progress)
print(json.dumps({"ok": ok, "errors": errors, "seen": seen[:5]}))
"""


def test_concurrent_readers_never_see_a_partial_publish(built_copy, tmp_path, monkeypatch):
    """A fixed number of publishes, each started only once every reader has read again since the last:
    counts publishes and reads, never seconds, so a loaded machine only makes it slower."""
    monkeypatch.setenv("CG_PUBLISH_DBT_DOCS", "0")
    readers, publishes = 4, 4
    stop = tmp_path / "stop"
    progress = [tmp_path / f"reader-{i}" for i in range(readers)]
    procs = [subprocess.Popen([sys.executable, "-c", READER, str(built_copy.published_path), str(p), str(stop)],
                              stdout=subprocess.PIPE, text=True) for p in progress]

    def reads(p: Path) -> int:
        return int(p.read_text()) if p.exists() else 0

    try:
        for n in range(publishes):
            marks = [reads(p) for p in progress]
            while any(reads(p) <= mark for p, mark in zip(progress, marks, strict=True)):
                assert all(proc.poll() is None for proc in procs), "a reader died"
                time.sleep(0.01)  # wait for every reader to read again (polling, not a time limit)
            publish(f"republish-{n}", built_copy)
    finally:
        stop.touch()
    results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(r["errors"] == 0 for r in results), results
    assert all(r["ok"] >= publishes for r in results), results
    print(f"{publishes} publishes, {sum(r['ok'] for r in results)} reads by {readers} readers, 0 errors")
