"""Shared fixtures: demo data, the real demo HTTP server, and an isolated Common Ground environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_HASH_KEY = "test-key-for-common-ground-tests"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="session", autouse=True)
def _quiet_environment():
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ.setdefault("CG_DUCKDB_MEMORY_LIMIT", "2GB")


@pytest.fixture(scope="session")
def county_data(tmp_path_factory) -> Path:
    """The county-scale demo feeds (deterministic, seed 42), generated once per test session."""
    from demo.generate import generate

    out = tmp_path_factory.mktemp("demo_county")
    generate("county", 42, out)
    return out


@pytest.fixture(scope="session")
def county_manifest(county_data) -> dict:
    import json

    return json.loads((county_data / "manifest.json").read_text())


@pytest.fixture(scope="session")
def demo_url(county_data):
    """The real demo feed server over HTTP on 127.0.0.1 (one per session; tests reset its state)."""
    from demo.server import running

    with running(county_data) as base:
        yield base


def reset_server(base_url: str) -> None:
    import requests

    requests.delete(f"{base_url}/_control/faults", timeout=5).raise_for_status()
    requests.post(f"{base_url}/_control/reset", timeout=5).raise_for_status()


def use_var_dir(monkeypatch: pytest.MonkeyPatch, var_dir: Path) -> None:
    """Point every Common Ground setting at an isolated state folder."""
    monkeypatch.setenv("CG_VAR_DIR", str(var_dir))
    for name in ("CG_WAREHOUSE_PATH", "CG_PUBLISHED_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CG_HASH_KEY", TEST_HASH_KEY)
    monkeypatch.setenv("CG_AS_OF_DATE", "2026-10-01")


def harvest_all(base_url: str) -> list[dict]:
    from ingest.harvest import harvest_source
    from ingest.sources import load_sources
    from warehouse.settings import get_settings

    results = []
    for source in load_sources(get_settings().sources_file):
        results += harvest_source(source.id, base_url=base_url)
    return results


@pytest.fixture(scope="session")
def harvested(tmp_path_factory, demo_url):
    """A private warehouse with every demo source harvested once (shared, treat as read-only)."""
    from warehouse.settings import get_settings

    var_dir = tmp_path_factory.mktemp("harvested_var")
    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        reset_server(demo_url)
        results = harvest_all(demo_url)
        settings = get_settings()
    return settings, results


@pytest.fixture(scope="session")
def built(tmp_path_factory, harvested):
    """The harvested warehouse after dbt build and the GX gate (copied, so `harvested` stays raw-only)."""
    import shutil

    settings, _ = harvested
    var_dir = tmp_path_factory.mktemp("built_var")
    (var_dir / "warehouse").mkdir()
    shutil.copy(settings.warehouse_path, var_dir / "warehouse" / "private.duckdb")
    from expectations.gate import run_gate
    from warehouse.dbt_build import build
    from warehouse.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, var_dir)
        settings = get_settings()
        dbt = build("test-build", settings)
        gx = run_gate("test-build", settings)
    return settings, dbt, gx


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_identifiers(data_dir: Path) -> dict[str, set[str]]:
    """Every clear identifying value in the demo's personal feeds (surveys, skill banks), by kind."""
    import csv
    import io
    import json

    from ingest.csv_text import decode_text
    from ingest.pseudonymise import normalise_postcode

    found: dict[str, set[str]] = {"email": set(), "surname": set(), "first_name": set(), "dob": set(),
                                  "postcode": set()}
    for questionnaire in (data_dir / "surveys").glob("*/questionnaire.json"):
        doc = json.loads(questionnaire.read_text())
        kinds = {c["id"]: c.get("identifier") for c in doc["columns"] if c.get("role") == "identifier"}
        texts = {c["text"]: c.get("identifier") for c in doc["columns"] if c.get("role") == "identifier"}
        text, _ = decode_text((questionnaire.parent / "responses.csv").read_bytes())
        for row in csv.DictReader(io.StringIO(text)):
            for header, value in row.items():
                kind = kinds.get(header) or texts.get(header)
                if kind in found and value and value.strip():
                    found[kind].add(value.strip())
    for volunteers in (data_dir / "bureaus").glob("*/volunteers.json"):
        for record in json.loads(volunteers.read_text()):
            for key, kind in (("email", "email"), ("surname", "surname"), ("first_name", "first_name"),
                              ("date_of_birth", "dob"), ("postcode", "postcode")):
                if isinstance(record.get(key), str) and record[key].strip():
                    found[kind].add(record[key].strip())
    found["postcode"] |= {p for v in found["postcode"] if (p := normalise_postcode(v))}
    found["email"] |= {v.lower() for v in found["email"]}
    return found


PERSON_TABLE_WORDS = ("respondent", "volunteer", "resident", "person", "people", "survey_answer", "quarantine",
                      "match", "linkage")


def clear_identifier_hits(con, identifiers: dict[str, set[str]], catalog: str | None = None) -> list[tuple]:
    """(table, column, kind, value) for every identifying value found verbatim in a text column.

    Emails and dates of birth are looked for everywhere. Names and postcodes are looked for in tables
    that describe people (a service's postcode, a skill called "Cook" or the ethnic group "White" are
    not residents' identifiers).
    """
    where = "data_type = 'VARCHAR'" + (f" AND table_catalog = '{catalog}'" if catalog else "")
    columns = con.execute(f"SELECT table_schema, table_name, column_name FROM information_schema.columns "
                          f"WHERE {where}").fetchall()
    hits = []
    prefix = f"{catalog}." if catalog else ""
    for schema, table, column in columns:
        values = {r[0] for r in con.execute(
            f'SELECT DISTINCT trim("{column}") FROM {prefix}"{schema}"."{table}" WHERE "{column}" IS NOT NULL'
        ).fetchall()}
        person_table = any(word in table for word in PERSON_TABLE_WORDS) and "attribute" not in table
        for kind, clear in identifiers.items():
            if kind in ("surname", "first_name", "postcode") and not person_table:
                continue
            for value in values & clear:
                hits.append((f"{schema}.{table}", column, kind, value))
    return hits
