"""`make run` for real: demo server, `airflow dags test` for every DAG, dbt, GX, publish — twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.publish import table_checksum

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def run_demo(var_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CG_", "AIRFLOW"))}
    env.update({"CG_VAR_DIR": str(var_dir), "DO_NOT_TRACK": "1"})
    return subprocess.run([sys.executable, "-m", "warehouse.demo_run", "--scale", "county"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1500)


def checksums(path: Path) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {t: table_checksum(con, t) for t in tables}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("e2e_var")
    first = run_demo(var_dir)
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-3000:]
    summary_1 = json.loads((var_dir / "run_summary.json").read_text())
    sums_1 = checksums(var_dir / "published" / "common_ground.duckdb")
    second = run_demo(var_dir)
    assert second.returncode == 0, second.stdout[-5000:] + second.stderr[-3000:]
    summary_2 = json.loads((var_dir / "run_summary.json").read_text())
    sums_2 = checksums(var_dir / "published" / "common_ground.duckdb")
    return var_dir, first.stdout, summary_1, summary_2, sums_1, sums_2


def test_summary_reports_every_feed_family_and_reconciles(two_runs):
    _, stdout, summary, _, _, _ = two_runs
    families = {load["family"] for load in summary["loads"] if load["loaded"]}
    assert families == {"area_profiles", "surveys", "service_maps", "volunteering"}
    assert all(load["reconciles"] for load in summary["loads"])
    assert summary["dbt"]["success"] and all(g["success"] for g in summary["gx"])
    assert summary["publication"]["status"] == "published"
    for text in ("received", "quarantined", "Great Expectations", "SQLAlchemy URL", "read_only=True"):
        assert text in stdout


def test_published_file_holds_marts_only(two_runs):
    var_dir, _, summary, _, sums, _ = two_runs
    assert set(sums) == set(summary["publication"]["tables"])
    with duckdb.connect(str(var_dir / "published" / "common_ground.duckdb"), read_only=True) as con:
        schemas = {r[0] for r in con.execute("SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
    assert schemas == {"main"}


def test_second_run_publishes_identical_tables(two_runs):
    _, _, _, summary_2, sums_1, sums_2 = two_runs
    assert summary_2["publication"]["status"] == "published"
    assert sums_1 == sums_2
