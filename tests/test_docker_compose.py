"""docker-compose.yml is valid Compose and stays in step with the code (no Docker engine runs here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from ingest.sources import load_sources

REPO = Path(__file__).resolve().parent.parent
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def compose_schema() -> dict:
    """The Compose Specification schema shipped inside the pinned docker-compose package (data only)."""
    import importlib.util

    spec = importlib.util.find_spec("compose")
    assert spec and spec.submodule_search_locations, "docker-compose (requirements-schemas.txt) not installed"
    path = Path(next(iter(spec.submodule_search_locations))) / "config" / "compose_spec.json"
    return json.loads(path.read_text())


def test_valid_against_compose_spec(compose):
    jsonschema.validate(compose, compose_schema())


def test_airflow_3_services_and_postgres(compose):
    services = compose["services"]
    assert AIRFLOW_SERVICES | {"postgres", "airflow-init"} <= set(services)
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    commands = {services[n]["command"] for n in AIRFLOW_SERVICES}
    assert commands == {"api-server", "scheduler", "dag-processor", "triggerer"}


def test_volumes_for_warehouse_and_published(compose):
    assert {"warehouse", "published"} <= set(compose["volumes"])
    env = compose["services"]["airflow-scheduler"]["environment"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["airflow-scheduler"]["volumes"]}
    assert mounts[str(Path(env["CG_WAREHOUSE_PATH"]).parent)] == "warehouse"
    assert mounts[env["CG_PUBLISHED_DIR"]] == "published"


def test_every_setting_the_code_reads_is_configured(compose):
    code = "\n".join(p.read_text() for d in ("ingest", "warehouse", "expectations")
                     for p in (REPO / d).rglob("*.py"))
    read = set(re.findall(r"""["'](CG_[A-Z_]+)["']""", code)) - {"CG_FEED_URL_"}
    env = compose["services"]["airflow-scheduler"]["environment"]
    missing = sorted(read - set(env))
    assert not missing, f"settings read by the code but not set in docker-compose.yml: {missing}"
    for source in load_sources(REPO / "config" / "sources.yml"):
        assert f"AIRFLOW_CONN_{source.conn_id.upper()}" in env, source.id


def test_secrets_come_from_the_environment(compose):
    env = compose["services"]["airflow-scheduler"]["environment"]
    for key in ("CG_HASH_KEY", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"):
        assert str(env[key]).startswith("${"), key
    assert "duckdb_writer 1" in compose["services"]["airflow-init"]["command"][1]
