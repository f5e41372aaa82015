"""The publication as partners' clients see it: DuckDB 1.x, the CLI, SQLAlchemy, Parquet and the docs.

The clients run from `.venv-clients` (requirements-clients.txt: duckdb 1.0.0, duckdb-cli 1.5.6,
duckdb-engine + SQLAlchemy), installed by `make test`, so these tests prove that a file written by the
project's DuckDB 2 opens in the 1.x line that the CLI, ODBC, DBeaver and Metabase drivers are built on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import use_var_dir
from warehouse.publish import publish, table_checksum
from warehouse.settings import get_settings

REPO = Path(__file__).resolve().parent.parent
CLIENTS = REPO / ".venv-clients" / "bin"
MARTS = REPO / "dbt_project" / "models" / "marts"


def clients_python() -> Path:
    python = CLIENTS / "python"
    if not python.exists():
        pytest.fail("`.venv-clients` is missing: run `make clients` (make test installs it)")
    return python


def run_client(code: str, *args: str, stdin: str | None = None) -> str:
    out = subprocess.run([str(clients_python()), "-c", textwrap.dedent(code), *args], input=stdin,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.fixture(scope="module")
def published(built, tmp_path_factory):
    """A copy of the built warehouse, published once (module-wide; tests that republish use their own)."""
    settings, _, _ = built
    var_dir = tmp_path_factory.mktemp("publication")
    (var_dir / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, var_dir / "warehouse" / "private.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        copy = get_settings()
        copy.dbt_target_dir.mkdir(parents=True)  # the build's manifest, as after a build in this folder
        shutil.copy(settings.dbt_target_dir / "manifest.json", copy.dbt_target_dir / "manifest.json")
        record = publish("publication-1", copy)
    return copy, record


def test_every_published_column_is_described_in_the_dbt_yaml():
    """Fails the build when a mart or one of its columns has no description (static: no build needed)."""
    missing = []
    for path in sorted(MARTS.glob("*.yml")):
        for model in yaml.safe_load(path.read_text())["models"]:
            if not (model.get("description") or "").strip():
                missing.append(model["name"])
            missing += [f"{model['name']}.{c['name']}" for c in model.get("columns", [])
                        if not (c.get("description") or "").strip()]
    assert missing == []


def test_every_published_column_carries_its_description_in_the_file(published):
    copy, record = published
    with duckdb.connect(str(copy.published_path), read_only=True) as con:
        columns = con.execute("SELECT table_name, column_name, coalesce(comment, '') FROM duckdb_columns() "
                              "WHERE database_name = current_database() AND schema_name = 'main'").fetchall()
        tables = con.execute("SELECT table_name, coalesce(comment, '') FROM duckdb_tables() "
                             "WHERE database_name = current_database()").fetchall()
    assert {t for t, _ in tables} == set(record["tables"])
    assert len(columns) > 200
    assert [(t, c) for t, c, comment in columns if not comment.strip()] == []
    assert [t for t, comment in tables if not comment.strip()] == []


def test_model_yaml_columns_match_the_published_columns(published):
    """The YAML documents exactly the columns the files hold (no stale or undocumented column): the open file
    plus the partner files, which alone hold the partner-only marts (config/disclosure_policy.yml)."""
    from warehouse.partner_files import partner_only_tables

    copy, record = published
    documented = {(m["name"], c["name"]) for p in MARTS.glob("*.yml")
                  for m in yaml.safe_load(p.read_text())["models"] for c in m.get("columns", [])}
    query = ("SELECT table_name, column_name FROM duckdb_columns() "
             "WHERE database_name = current_database() AND schema_name = 'main'")
    with duckdb.connect(str(copy.published_path), read_only=True) as con:
        open_columns = set(con.execute(query).fetchall())
    assert not {t for t, _ in open_columns} & partner_only_tables()
    actual = set(open_columns)
    assert record["partner_files"]
    for partner in record["partner_files"].values():
        with duckdb.connect(partner["path"], read_only=True) as con:
            actual |= set(con.execute(query).fetchall())
    assert actual == documented


def test_partner_files_open_in_duckdb_1x_with_every_description(published):
    """A partner file is the open file plus its restricted rows: a DuckDB 1.x client (the pinned CLI) reads
    it, and every table and column in it, restricted ones included, carries its description."""
    _, record = published
    cli = CLIENTS / "duckdb"
    for partner in record["partner_files"].values():
        out = subprocess.run([str(cli), "-readonly", "-csv", partner["path"],
                              "SELECT count(*) FILTER (WHERE coalesce(comment, '') = '') AS undescribed, "
                              "count(DISTINCT table_name) AS tables FROM duckdb_columns() "
                              "WHERE database_name = current_database() AND schema_name = 'main'"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["undescribed,tables", f"0,{len(partner['tables'])}"], partner["path"]
        with duckdb.connect(partner["path"], read_only=True) as con:
            tables = dict(con.execute("SELECT table_name, coalesce(comment, '') FROM duckdb_tables() "
                                      "WHERE database_name = current_database()").fetchall())
        assert set(tables) == set(partner["tables"]) and all(c.strip() for c in tables.values()), tables


def test_parquet_files_carry_the_descriptions(published):
    copy, record = published
    folder = copy.parquet_dir / "current"
    for table in record["tables"]:
        schema = pq.read_schema(folder / f"{table}.parquet")
        meta = {k.decode(): v.decode() for k, v in schema.metadata.items()}
        described = json.loads(meta["common_ground.columns"])
        assert set(described) == set(schema.names), table
        assert all(v.strip() for v in described.values()), table
        assert meta["common_ground.description"].strip()


def test_data_dictionary_and_dbt_docs_are_published_beside_the_file(published):
    copy, record = published
    docs = copy.published_dir / "docs"
    markdown = (docs / "data_dictionary.md").read_text()
    page = (docs / "data_dictionary.html").read_text()
    with duckdb.connect(str(copy.published_path), read_only=True) as con:
        columns = con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                              "WHERE database_name = current_database() AND schema_name = 'main'").fetchall()
    for table, column in columns:
        assert f"## {table}" in markdown and f"| `{column}` |" in markdown
        assert f"id='{table}'" in page
    site = (docs / "dbt_docs.html").read_text()
    assert "quality_of_life" in site and "Wilson" in site
    assert set(record["docs"]) == {"data_dictionary.md", "data_dictionary.html", "dbt_docs.html"}


def test_every_published_artefact_is_read_only(published):
    copy, record = published
    release = Path(record["release_dir"])
    assert copy.published_path.resolve().parent == release
    found = 0
    for dirpath, _, filenames in os.walk(release):
        assert os.stat(dirpath).st_mode & 0o777 == 0o555, dirpath
        for name in filenames:
            assert os.stat(Path(dirpath) / name).st_mode & 0o777 == 0o444, name
            found += 1
    assert found >= len(record["tables"]) + 4  # file, Parquet, exports, docs, manifest


def test_a_duckdb_1_x_client_reads_every_mart(published):
    copy, record = published
    assert record["storage_version"] == "v1.0.0"
    out = run_client("""
        import json, sys
        import duckdb
        con = duckdb.connect(sys.argv[1], read_only=True)
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
        for t in tables:  # every column of every row decodes
            con.execute(f"SELECT * FROM {t}").fetchall()
        print(json.dumps({"version": duckdb.__version__, "rows": rows}))
    """, str(copy.published_path))
    result = json.loads(out)
    assert result["version"].startswith("1.")
    assert result["rows"] == {t: v["rows"] for t, v in record["tables"].items()}


def test_the_readme_cli_line_runs(published):
    """The copy-paste line of the README (with the project's pinned DuckDB CLI 1.5.6)."""
    copy, _ = published
    readme = (REPO / "README.md").read_text()
    assert ".venv-clients/bin/duckdb -readonly var/published/common_ground.duckdb" in readme
    cli = CLIENTS / "duckdb"
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.")
    out = subprocess.run([str(cli), "-readonly", "-csv", str(copy.published_path),
                          "SELECT count(*) AS lsoas FROM area_profiles"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["lsoas", "500"]


def test_list_and_timestamp_types_reach_clients(published):
    copy, _ = published
    with duckdb.connect(str(copy.published_path), read_only=True) as con:
        types = dict(con.execute("SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
                                 "WHERE database_name = current_database()").fetchall())
        levels = {r[0] for r in con.execute("SELECT DISTINCT area_level FROM volunteering_by_area").fetchall()}
    assert types["service_map.last_modified"] == "TIMESTAMP WITH TIME ZONE"
    assert types["volunteer_vacancies.last_updated"] == "TIMESTAMP WITH TIME ZONE"
    assert {types[f"volunteer_vacancies.{c}"] for c in ("skills_needed", "causes", "availability")} == {"VARCHAR[]"}
    assert levels == {"ward", "lad"}


ANALYST = """
import json, sys
import sqlalchemy as sa
engine = sa.create_engine(f"duckdb:///{sys.argv[1]}", connect_args={"read_only": True})
QUERIES = {
    "lowest_life_satisfaction": '''
        SELECT area_code, area_name, mean_score, mean_score_ci_lower, mean_score_ci_upper, unweighted_n
        FROM quality_of_life
        WHERE area_level = 'ward' AND measure_id = 'wellbeing_life_satisfaction' AND mean_score IS NOT NULL
        ORDER BY mean_score, area_code LIMIT 1''',
    "wards_without_active_food_bank": '''
        SELECT count(*) FROM service_coverage WHERE category_code = 'food_bank' AND services_active = 0''',
    "roles_without_suitable_volunteer": '''
        SELECT (SELECT count(*) FROM volunteer_vacancies WHERE matched_volunteers = 0),
               (SELECT sum(unmatched_vacancies) FROM volunteering_by_area WHERE area_level = 'lad'),
               (SELECT count(*) FROM volunteer_vacancies WHERE ward_code IS NULL AND matched_volunteers = 0),
               (SELECT value FROM run_highlights WHERE metric = 'vacancies_unmatched')''',
    "first_role_title": "SELECT title FROM volunteer_vacancies ORDER BY vacancy_uid LIMIT 1",
}
def run():
    with engine.connect() as con:
        return {k: [list(map(str, r)) for r in con.execute(sa.text(q)).fetchall()] for k, q in QUERIES.items()}
for command in sys.stdin:
    if command.strip() == "dispose":
        engine.dispose()
        print(json.dumps("disposed"), flush=True)
    else:
        print(json.dumps(run()), flush=True)
"""


def test_analyst_queries_through_sqlalchemy_across_a_republish(built, tmp_path, monkeypatch):
    settings, _, _ = built
    use_var_dir(monkeypatch, tmp_path)
    (tmp_path / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, tmp_path / "warehouse" / "private.duckdb")
    copy = get_settings()
    publish("analyst-1", copy)
    proc = subprocess.Popen([str(clients_python()), "-c", ANALYST, str(copy.published_path)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def ask(command: str = "run"):
            proc.stdin.write(command + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            assert line, proc.stderr.read()[-3000:]
            return json.loads(line)

        first = ask()
        ward = first["lowest_life_satisfaction"][0]
        assert float(ward[3]) <= float(ward[2]) <= float(ward[4])  # the interval holds the mean
        assert int(ward[5]) >= 10  # suppressed cells publish no mean
        assert int(first["wards_without_active_food_bank"][0][0]) > 0
        # the list, the per-area table (placed roles only) and the headline figure agree
        listed, by_area, unplaced, headline = first["roles_without_suitable_volunteer"][0]
        assert int(listed) == int(by_area) + int(unplaced) == int(float(headline))
        with duckdb.connect(str(copy.warehouse_path)) as con:  # the next build renames a role
            con.execute("UPDATE marts.volunteer_vacancies SET title = 'Renamed by the next build' "
                        "WHERE vacancy_uid = (SELECT min(vacancy_uid) FROM marts.volunteer_vacancies)")
        publish("analyst-2", copy)
        pooled = ask()  # the pooled connection keeps the snapshot it opened (why the README says dispose)
        assert pooled == first
        assert ask("dispose") == "disposed"
        fresh = ask()
        assert fresh["first_role_title"] == [["Renamed by the next build"]]
        assert {k: v for k, v in fresh.items() if k != "first_role_title"} == \
            {k: v for k, v in first.items() if k != "first_role_title"}
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def _consistent(copy) -> str:
    """The file, the Parquet folder and the manifest current now all belong to one publication."""
    manifest = json.loads((copy.published_dir / "PUBLISHED.json").read_text())
    release = Path(manifest["release_dir"])
    assert copy.published_path.resolve() == release / "common_ground.duckdb"
    assert (copy.parquet_dir / "current").resolve() == release / "parquet"
    with duckdb.connect(str(copy.published_path), read_only=True) as con:
        for table, info in manifest["tables"].items():
            assert table_checksum(con, table) == (info["rows"], info["checksum"])
            assert pq.read_metadata(copy.parquet_dir / "current" / f"{table}.parquet").num_rows == info["rows"]
    return manifest["publication_id"]


KILL_CHILD = """
from warehouse.publish import publish
publish("killed")
"""


@pytest.mark.parametrize("stage", ["common_ground.duckdb", "parquet"])
def test_sigkill_at_any_stage_leaves_one_whole_publication(built, tmp_path, monkeypatch, stage):
    """Kill -9 a publish as soon as its staging folder reaches a stage: the previous one stays whole."""
    import signal

    from tests.test_reliability import child

    settings, _, _ = built
    use_var_dir(monkeypatch, tmp_path)
    (tmp_path / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, tmp_path / "warehouse" / "private.duckdb")
    copy = get_settings()
    publish("before", copy)
    before = _consistent(copy)
    proc = child(KILL_CHILD, tmp_path)
    releases = copy.published_dir / "releases"
    while proc.poll() is None and not list(releases.glob(f".staging-*/{stage}")):
        time.sleep(0.005)  # polling for the stage, not a time limit
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    if proc.returncode == 0:
        pytest.fail("the publish finished before the kill; the stage was never observed")
    assert _consistent(copy) == before
    after = publish("after", copy)
    assert _consistent(copy) == after["publication_id"] != before
    assert not list(releases.glob(".staging-*"))


def test_full_disk_under_the_published_folder_cleans_up(built, tmp_path, monkeypatch):
    """ENOSPC mid-publish (a real tmpfs that holds one publication): nothing left behind, later ones work."""
    settings, _, _ = built
    use_var_dir(monkeypatch, tmp_path)
    (tmp_path / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, tmp_path / "warehouse" / "private.duckdb")
    published_dir = tmp_path / "published"
    publish("measure", get_settings())  # how big one publication is (open file, partner files, Parquet, docs)
    one = sum(p.stat().st_size for p in (published_dir / "releases").rglob("*") if p.is_file())
    subprocess.run(["chmod", "-R", "u+w", str(published_dir)], check=False)
    shutil.rmtree(published_dir, ignore_errors=True)
    published_dir.mkdir()
    room = int(one * 1.5)  # one publication fits, a second beside it does not
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={room}", "tmpfs", str(published_dir)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        copy = get_settings()
        publish("fits", copy)
        before = _consistent(copy)
        from warehouse.publish import PublishError

        with pytest.raises(PublishError, match="no space left"):
            publish("does-not-fit", copy)
        assert _consistent(copy) == before
        leftovers = [p for p in published_dir.rglob("*") if p.name.startswith(".") or p.suffix in (".wal", ".tmp")]
        assert leftovers == []
        subprocess.run(["mount", "-o", f"remount,size={one * 4}", str(published_dir)], check=True)
        after = publish("after-cleanup", copy)["publication_id"]
        assert _consistent(copy) == after != before
    finally:
        subprocess.run(["umount", "-l", str(published_dir)], check=False)


def test_retention_keeps_a_pinned_path_per_publication(built, tmp_path, monkeypatch):
    settings, _, _ = built
    use_var_dir(monkeypatch, tmp_path)
    monkeypatch.setenv("CG_PUBLISH_KEEP", "2")
    monkeypatch.setenv("CG_PUBLISH_DBT_DOCS", "0")
    (tmp_path / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, tmp_path / "warehouse" / "private.duckdb")
    copy = get_settings()
    ids = [publish(f"keep-{n}", copy)["publication_id"] for n in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    pinned = sorted(p.name for p in copy.parquet_dir.iterdir() if p.name != "current")
    assert pinned == ids[1:]
    assert (copy.parquet_dir / ids[1] / "area_profiles.parquet").exists()
    assert sorted(p.name for p in (copy.published_dir / "releases").iterdir()) == ids[1:]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-x", "-q"]))
