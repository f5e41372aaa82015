"""`make run` for real: demo server, `airflow dags test` for every DAG, dbt, GX, publish — twice."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.publish import table_checksum

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


SECRET = "e2e-hash-key-" + "7f3a9c41d2b85e60"  # distinctive, so a leak into any log is found


def run_demo(var_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CG_", "AIRFLOW"))}
    env.update({"CG_VAR_DIR": str(var_dir), "DO_NOT_TRACK": "1", "CG_HASH_KEY": SECRET})
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
    return var_dir, first.stdout + first.stderr + second.stdout + second.stderr, summary_1, summary_2, sums_1, \
        sums_2


def test_summary_reports_every_feed_family_and_reconciles(two_runs):
    _, stdout, summary, _, _, _ = two_runs
    families = {load["family"] for load in summary["loads"] if load["loaded"]}
    assert families == {"area_profiles", "surveys", "service_maps", "volunteering"}
    assert all(load["reconciles"] for load in summary["loads"])
    assert summary["dbt"]["success"] and all(g["success"] for g in summary["gx"])
    assert summary["publication"]["status"] == "published"
    for text in ("received", "quarantined", "Great Expectations", "SQLAlchemy URL", "read_only=True"):
        assert text in stdout
    # demo only: both linkages scored against the generator's ground truth, printed after the summary
    scores = dict(re.findall(r"(resident linkage|service dedupe): precision [\d.]+ recall [\d.]+ F1 ([\d.]+)", stdout))
    assert set(scores) == {"resident linkage", "service dedupe"}, stdout[-3000:]
    assert float(scores["resident linkage"]) >= 0.98 and float(scores["service dedupe"]) >= 0.97, scores


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


def test_no_clear_identifier_in_either_file(two_runs):
    from tests.conftest import clear_identifier_hits, demo_identifiers

    var_dir = two_runs[0]
    identifiers = demo_identifiers(var_dir / "demo" / "county-seed42")
    with duckdb.connect(str(var_dir / "warehouse" / "private.duckdb"), read_only=True) as con:
        assert clear_identifier_hits(con, identifiers) == []
    with duckdb.connect(str(var_dir / "published" / "common_ground.duckdb"), read_only=True) as con:
        assert clear_identifier_hits(con, identifiers) == []


def test_small_numbers_suppressed_in_every_published_people_count(two_runs):
    var_dir = two_runs[0]
    manifest = json.loads((var_dir / "dbt" / "target" / "manifest.json").read_text())
    flagged = [(node["name"], column, (spec.get("meta") or {}).get("disclosure_rule"))
               for node in manifest["nodes"].values()
               if node["resource_type"] == "model" and node["schema"] == "marts"
               for column, spec in node["columns"].items() if (spec.get("meta") or {}).get("people_count")]
    assert len(flagged) >= 2
    with duckdb.connect(str(var_dir / "published" / "common_ground.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for table, column, rule in flagged:
            if table not in tables:  # partner_only tables are not in the open file
                continue
            top = 2 if rule == "cell_key_perturbation" else 9  # perturbed counts are never 1 or 2
            small = con.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" BETWEEN 1 AND {top}').fetchall()[0][0]
            assert small == 0, (table, column)


def test_secrets_never_reach_logs_or_outputs(two_runs):
    var_dir, output = two_runs[0], two_runs[1]
    assert SECRET not in output
    leaks = []
    for path in var_dir.rglob("*"):
        readable = path.is_file() and path.suffix not in (".duckdb", ".wal", ".parquet") and "demo" not in path.parts
        if readable and SECRET.encode() in path.read_bytes():
            leaks.append(str(path))
    assert leaks == []
