"""One failing source does not block its family: a real `airflow dags test` of ingest_service_maps with one
of its three directories answering 404 (retries off, so the failure is final at once)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import requests

from tests.conftest import REPO, reset_server
from warehouse.demo_run import airflow_env

FAILING = "directory_vcs"


def test_one_failing_directory_still_updates_the_family_and_stays_visible(tmp_path, demo_url):
    reset_server(demo_url)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "ingest_service_maps.py").write_text(textwrap.dedent('''
        import ingest.airflow_tasks as tasks
        tasks.DEFAULT_ARGS["retries"] = 0  # the failure is final at once (production retries 3 times)
        dag = tasks.ingestion_dag("service_maps", schedule="@daily", tags=["test"],
                                  doc="Service directories, one of which fails (tests/test_partial_family.py). " * 3)
    '''))
    env = airflow_env(tmp_path / "var", demo_url, "2026-10-01")
    env.update({"AIRFLOW__CORE__DAGS_FOLDER": str(dags), "PYTHONPATH": str(REPO)})
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    requests.post(f"{demo_url}/_control/faults", json={"path_prefix": "/directories/vcs/services", "mode": "status",
                                                       "status": 404, "count": -1}, timeout=5).raise_for_status()
    try:
        run = subprocess.run([airflow, "dags", "test", "ingest_service_maps", "2026-10-01T00:00:00+00:00"], env=env,
                             capture_output=True, text=True)
    finally:
        reset_server(demo_url)
    logs = tmp_path / "var" / "airflow" / "logs"
    log = run.stdout + run.stderr + "".join(p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file())
    assert run.returncode != 0, "the DAG run must be failed when a source failed"
    with sqlite3.connect(tmp_path / "var" / "airflow" / "airflow.db") as db:
        states = {(task, label or str(index)): state for task, index, label, state in db.execute(
            "SELECT task_id, map_index, rendered_map_index, state FROM task_instance")}
        events = db.execute("SELECT count(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id "
                            "WHERE a.name = 'cg_raw_service_maps'").fetchone()[0]
    assert states[("harvest.load", FAILING)] == "failed", states
    assert states[("harvest.fetch", FAILING)] == "success"  # the 404 is recorded; the load fails on it
    for good in ("directory_council", "directory_nhs"):
        assert states[("harvest.load", good)] == "success", states
    assert states[("reconcile", "-1")] == "success" and events == 1, "the family's asset must be updated"
    assert states[("all_sources_loaded", "-1")] == "upstream_failed"
    assert f"FAILED sources (see their fetch/load task and meta.load_ledger): {FAILING}" in log
    with duckdb.connect(str(tmp_path / "var" / "warehouse" / "private.duckdb"), read_only=True) as con:
        ledger = dict(con.execute("SELECT source, status FROM meta.load_ledger").fetchall())
    assert ledger == {"directory_council": "loaded", "directory_nhs": "loaded", FAILING: "failed"}
