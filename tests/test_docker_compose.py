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
    init = compose["services"]["airflow-init"]["command"]
    assert init == ["/opt/common-ground/deploy/init.sh"]
    assert "pools set duckdb_writer 1" in (REPO / "deploy" / "init.sh").read_text()


def test_env_example_documents_every_required_secret_and_its_length(compose):
    """Every ${VAR:?...} the compose file requires is in deploy/.env.example; the JWT secret needs 64 bytes."""
    text = (REPO / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    example = (REPO / "deploy" / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, flags=re.M))
    assert required and required <= documented, sorted(required - documented)
    jwt_doc = example[:example.index("AIRFLOW_JWT_SECRET=")].rsplit("\n\n", 1)[-1]
    assert "64 bytes" in jwt_doc


def test_deployment_runs_unattended_with_known_login_and_logs_on_a_volume(compose):
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"].lower() == "false"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["airflow-scheduler"]["volumes"]}
    assert mounts[env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"]] in compose["volumes"]
    passwords = env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    assert mounts[str(Path(passwords).parent)] in compose["volumes"]
    assert "AIRFLOW_ADMIN_PASSWORD" in (REPO / "deploy" / "init.sh").read_text()


def test_demo_command_uses_only_arguments_the_scripts_accept(compose):
    """Every `python -m demo.X ...` line of the demo service parses with that module's real argparse."""
    import importlib
    import shlex

    script = compose["services"]["demo-feeds"]["command"][1]
    calls = [shlex.split(line.split("python -m ", 1)[1]) for line in script.splitlines() if "python -m " in line]
    assert {c[0] for c in calls} == {"demo.generate", "demo.server"}
    for module, *args in calls:
        parser_calls = []
        mod = importlib.import_module(module)
        original = mod.argparse.ArgumentParser.parse_args

        def capture(self, argv=None, namespace=None, _orig=original, _seen=parser_calls):
            _seen.append(_orig(self, argv, namespace))
            raise SystemExit(0)

        mod.argparse.ArgumentParser.parse_args = capture
        try:
            with pytest.raises(SystemExit) as stop:
                mod.main(args)
        finally:
            mod.argparse.ArgumentParser.parse_args = original
        assert stop.value.code == 0 and parser_calls, (module, args)


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var"} <= ignored
