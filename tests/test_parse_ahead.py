"""Sources whose reader needs no warehouse are parsed at fetch time; the load (in the writer slot) only writes.

Against the real demo server: the same staged fetch loaded from its staged parse and parsed in the load
lands identical raw tables, quarantine, payload rows and ledger counts; a damaged, stale or missing
parse falls back to parsing in the load and says why in the ledger notes.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import staged_fetch as staged
from ingest.harvest import HarvestError, fetch_source, load_source
from tests.conftest import REPO, reset_server, use_var_dir
from warehouse.publish import table_checksum
from warehouse.settings import get_settings

# one source of each protocol parsed ahead; area profiles first, as the DAGs load them
SOURCES = ("ons_area", "directory_council", "bureau_platform_vacancies")


@pytest.fixture
def server(demo_url):
    reset_server(demo_url)
    yield demo_url
    reset_server(demo_url)


def landed(warehouse: Path) -> dict[str, object]:
    """Everything a load writes that must not depend on where it parsed (archive paths differ by folder)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = 'raw' ORDER BY 1").fetchall()]
        out: dict[str, object] = {f"raw.{t}": table_checksum(con, f"raw.{t}") for t in raw}
        out["payloads"] = con.execute("SELECT load_id, source, seq, url, fetched_at, sha256, bytes, attempts, "
                                      "archived_path IS NOT NULL FROM meta.payloads ORDER BY ALL").fetchall()
        out["ledger"] = con.execute(
            "SELECT load_id, source, status, received, loaded, quarantined, payloads, payload_bytes, "
            "payload_sha256, table_rows, physical_records, error FROM meta.load_ledger ORDER BY seq").fetchall()
    return out


def notes(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT source, notes FROM meta.load_ledger ORDER BY seq").fetchall())


def fetch_all(server: str) -> dict[str, str]:
    """Fetch under one run key; the loads use another (an Airflow retry's key differs from its fetch's)."""
    return {s: fetch_source(s, base_url=server, run_key="fetch-key") for s in SOURCES}


def load_all(fetch_ids: dict[str, str]) -> None:
    for source, fetch_id in fetch_ids.items():
        (row,) = load_source(source, fetch_id, run_key="load-key")
        assert row["status"] == "loaded" and row["received"] == row["loaded"] + row["quarantined"]


def copy_fetches(fetch_ids: dict[str, str], to_var: Path) -> None:
    for fetch_id in fetch_ids.values():
        source_dir = staged.staged_dir(get_settings().landing_dir, fetch_id)
        shutil.copytree(source_dir, to_var / "landing" / "fetched" / fetch_id)


def test_loading_the_staged_parse_lands_exactly_what_parsing_in_the_load_does(server, tmp_path, monkeypatch):
    use_var_dir(monkeypatch, tmp_path / "ahead")
    fetch_ids = fetch_all(server)
    for fetch_id in fetch_ids.values():
        fetched = staged.open_staged(get_settings().landing_dir, fetch_id)
        assert fetched.manifest["parse_ahead"] == "staged"
        assert (fetched.folder / "parsed" / "landing.json").is_file()
    copy_fetches(fetch_ids, tmp_path / "inline")
    load_all(fetch_ids)
    ahead = get_settings().warehouse_path

    use_var_dir(monkeypatch, tmp_path / "inline")
    for fetch_id in fetch_ids.values():  # the same responses, parsed in the load
        shutil.rmtree(staged.staged_dir(get_settings().landing_dir, fetch_id) / "parsed")
    load_all(fetch_ids)
    inline = get_settings().warehouse_path

    assert landed(ahead) == landed(inline)
    with duckdb.connect(str(ahead), read_only=True) as con:
        stamps = {r for (r,) in con.execute("SELECT DISTINCT _load_id FROM raw.directory_services").fetchall()}
        assert stamps == {"directory_council@load-key"}, "rows carry the load's id, not the fetch's"
        assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0] > 0  # the demo has bad records
    for source in SOURCES:
        assert "parsed at fetch time" in notes(ahead)[source]
        assert "parsed in the load: no parse staged at fetch time" in notes(inline)[source]


def test_a_damaged_staged_parse_is_parsed_again_in_the_load(server, tmp_path, monkeypatch):
    use_var_dir(monkeypatch, tmp_path)
    fetch_id = fetch_source("directory_council", base_url=server, run_key="r1")
    parsed = staged.staged_dir(get_settings().landing_dir, fetch_id) / "parsed"
    table = parsed / "000.arrows"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    (row,) = load_source("directory_council", fetch_id, run_key="r1")
    assert row["status"] == "loaded" and row["loaded"] > 0
    assert "parsed in the load: the staged parse is damaged" in notes(get_settings().warehouse_path)[
        "directory_council"]


def test_a_source_redefined_between_fetch_and_load_is_parsed_with_its_new_definition(server, tmp_path,
                                                                                    monkeypatch):
    use_var_dir(monkeypatch, tmp_path)
    fetch_id = fetch_source("directory_council", base_url=server, run_key="r1")
    registry = yaml.safe_load((REPO / "config" / "sources.yml").read_text())
    for source in registry["sources"]:
        if source["id"] == "directory_council":
            source["max_shrink"] = 0.75
    changed = tmp_path / "sources.yml"
    changed.write_text(yaml.safe_dump(registry, sort_keys=False))
    monkeypatch.setenv("CG_SOURCES_FILE", str(changed))
    (row,) = load_source("directory_council", fetch_id, run_key="r1")
    assert row["status"] == "loaded"
    assert "parsed in the load: the source's definition changed since the fetch" in notes(
        get_settings().warehouse_path)["directory_council"]


def test_a_reader_error_at_fetch_time_becomes_the_loads_failed_row(server, tmp_path, monkeypatch):
    """A cut JSON body: the fetch still completes (the parse is left to the load), the load fails
    with the reader's own error and a ledger row, and nothing lands."""
    use_var_dir(monkeypatch, tmp_path)
    requests.post(f"{server}/_control/faults", json={"path_prefix": "/directories/council/services",
                                                     "mode": "truncate", "fraction": 0.5, "honest": True, "count": -1},
                  timeout=5).raise_for_status()
    fetch_id = fetch_source("directory_council", base_url=server, run_key="r1")
    fetched = staged.open_staged(get_settings().landing_dir, fetch_id)
    assert fetched.manifest["parse_ahead"] != "staged" and not (fetched.folder / "parsed").exists()
    with pytest.raises(HarvestError) as caught:
        load_source("directory_council", fetch_id, run_key="r1")
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        (status, error), = con.execute("SELECT status, error FROM meta.load_ledger").fetchall()
        raw = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
                          "AND table_name = 'directory_services'").fetchone()[0]
    assert status == "failed" and error in str(caught.value) and not raw



# --- the staged parse round-trips whatever a reader produces ------------------------------------------------

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                           | st.text(st.characters(exclude_categories=("Cs",))),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
cells = st.none() | st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(cells, cells), max_size=20),
       records=st.lists(st.tuples(st.dictionaries(st.text(max_size=8), json_values, max_size=4),
                                  st.none() | st.text(max_size=6)), max_size=6),
       bodies=st.lists(st.binary(max_size=64), min_size=1, max_size=3))
def test_a_staged_parse_restores_exactly_what_the_reader_returned(tmp_path_factory, rows, records, bodies):
    from ingest.http_client import Payload
    from ingest.landing import (
        Landing,
        LoadContext,
        QuarantineRecord,
        RawTable,
        _bounded_json,
        strings_table,
        with_provenance,
    )
    from ingest.parse_ahead import restore, stage
    from ingest.sources import Source

    folder = tmp_path_factory.mktemp("staged")
    fetched_at = datetime(2026, 12, 4, 21, 0, 0, 123456, tzinfo=UTC)
    responses, payloads = [], []
    for i, body in enumerate(bodies):
        (folder / f"{i:05d}.body").write_bytes(body)
        sha = hashlib.sha256(body).hexdigest()
        responses.append({"key": f"http://x/{i}", "url": f"http://x/{i}", "file": f"{i:05d}.body", "status": 200,
                          "bytes": len(body), "sha256": sha, "content_type": "application/json",
                          "fetched_at": fetched_at.isoformat(), "attempts": 1})
        payloads.append(Payload(f"http://x/{i}", 200, body, "application/json", fetched_at, sha, 1))
    manifest = {"source": "s", "base_url": "http://x", "responses": responses, "stopped": None}
    source = Source(id="s", family="service_maps", protocol="hsds_services", path="/", conn_id="x", max_bytes=1 << 20,
                    connect_timeout=5, read_timeout=5, max_pages=5, archive_payloads=True)
    fetch_ctx = LoadContext(source="s", family="service_maps", load_id="s@fetch", started_at=fetched_at)
    table = with_provenance(strings_table([{"a": a, "b": b} for a, b in rows], ["a", "b"]), fetch_ctx, fetched_at,
                            [payloads[0].sha256] * len(rows))
    quarantine = [QuarantineRecord("service", "bad", record, key, payloads[-1].sha256) for record, key in records]
    made = Landing(context=fetch_ctx, received=len(rows) + len(records), loaded=len(rows), tables=[
        RawTable("directory_services", table)], quarantine=quarantine, payloads=payloads, notes=["n1"])

    assert stage(folder, "s/k", manifest, source, fetch_ctx, lambda client, src, ctx: made) is None
    load_ctx = LoadContext(source="s", family="service_maps", load_id="s@load")
    back = restore(staged.StagedFetch("s/k", folder, manifest), source, load_ctx)

    (restored,) = back.tables
    assert restored.rows.column("_load_id").to_pylist() == ["s@load"] * len(rows)
    assert restored.rows.drop_columns(["_load_id"]).equals(table.drop_columns(["_load_id"]))
    assert [_bounded_json(q.record) for q in back.quarantine] == [_bounded_json(q.record) for q in quarantine]
    assert [(q.entity, q.reason, q.record_key, q.payload_sha256) for q in back.quarantine] == \
        [(q.entity, q.reason, q.record_key, q.payload_sha256) for q in quarantine]
    assert back.payloads == payloads and back.context is load_ctx
    assert (back.received, back.loaded, back.notes[0]) == (made.received, made.loaded, "n1")
