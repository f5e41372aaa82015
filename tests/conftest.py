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


def postcode_forms(value: str) -> set[str]:
    """A postcode as written, canonical (``GL1 2AB``) and compact (``GL12AB``)."""
    from ingest.pseudonymise import normalise_postcode

    canonical = normalise_postcode(value)
    forms = {value.strip()}
    if canonical:
        forms |= {canonical, canonical.replace(" ", "")}
    return {f for f in forms if f}


def demo_identifiers(data_dir: Path) -> dict[str, set[str]]:
    """Every clear identifying value of the demo's residents (surveys, skill banks), by kind.

    Values that are also public vocabulary — an answer label such as "White", a skill such as "Cook",
    an organisation's postcode — are left out: finding them proves nothing.
    """
    import csv
    import io
    import json
    import re

    from ingest.csv_text import decode_text

    found: dict[str, set[str]] = {"email": set(), "surname": set(), "first_name": set(), "dob": set(),
                                  "postcode": set()}
    public: set[str] = set()
    for questionnaire in (data_dir / "surveys").glob("*/questionnaire.json"):
        doc = json.loads(questionnaire.read_text())
        kinds = {c["id"]: c.get("identifier") for c in doc["columns"] if c.get("role") == "identifier"}
        texts = {c["text"]: c.get("identifier") for c in doc["columns"] if c.get("role") == "identifier"}
        public |= {str(o.get("label", "")).strip() for c in doc["columns"] for o in c.get("options") or []}
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
            for key in ("skills", "interests", "causes"):
                public |= {str(v).strip() for v in record.get(key) or []}
    for items in (data_dir / "bureaus").glob("*/vacancy_items.jsonl"):
        for line in items.read_text().splitlines():
            data = json.loads(line).get("data") or {}
            public |= {str(v).strip() for k in ("skills_needed", "causes") for v in data.get(k) or []}
            public |= postcode_forms(data.get("postcode") or "")
    for activities in (data_dir / "bureaus").glob("*/activities.json"):  # a VDS platform's roles: addresses
        for postcode in re.findall(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b", activities.read_text()):
            public |= postcode_forms(postcode)
    for services in (data_dir / "directories").glob("*/services.json"):
        for record in json.loads(services.read_text()):
            for sal in record.get("service_at_locations") or []:
                location = sal.get("location") or {}
                for address in (location.get("addresses") or location.get("physical_addresses") or []):
                    public |= postcode_forms(address.get("postal_code") or "")
    found["postcode"] = {form for v in found["postcode"] for form in postcode_forms(v)}
    found["email"] |= {v.lower() for v in found["email"]}
    public_folded = {p.casefold() for p in public if p}
    return {kind: {v for v in values if v.casefold() not in public_folded} for kind, values in found.items()}


PUBLIC_POSTCODE_TABLES = {"ons_postcodes", "stg_ons__postcodes"}  # the ONS lookup lists every postcode


def clear_identifier_hits(con, identifiers: dict[str, set[str]], catalog: str | None = None,
                          skip_schemas: tuple[str, ...] = ()) -> list[tuple]:
    """(table, column, kind, value) for every identifying value found verbatim in any text column."""
    where = "data_type = 'VARCHAR'" + (f" AND table_catalog = '{catalog}'" if catalog else "")
    columns = con.execute(f"SELECT table_schema, table_name, column_name FROM information_schema.columns "
                          f"WHERE {where}").fetchall()
    hits = []
    prefix = f"{catalog}." if catalog else ""
    for schema, table, column in columns:
        if schema in skip_schemas:
            continue
        values = {r[0] for r in con.execute(
            f'SELECT DISTINCT trim("{column}") FROM {prefix}"{schema}"."{table}" WHERE "{column}" IS NOT NULL'
        ).fetchall()}
        for kind, clear in identifiers.items():
            if kind == "postcode" and table in PUBLIC_POSTCODE_TABLES:
                continue
            for value in values & clear:
                hits.append((f"{schema}.{table}", column, kind, value))
    return hits
