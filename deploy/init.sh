#!/usr/bin/env bash
# One-off initialisation of an Airflow deployment (docker-compose `airflow-init`, tests/test_scheduler.py):
# migrate the metadata DB, create the 1-slot `duckdb_writer` pool and write the admin login of the simple
# auth manager from AIRFLOW_ADMIN_PASSWORD (so it is known and survives container re-creation).
# Idempotent: safe to run on every `docker compose up`.
set -euo pipefail

airflow db migrate
airflow pools set duckdb_writer 1 "one DuckDB writer at a time"

passwords="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-}"
if [[ -n "$passwords" ]]; then
  : "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD (the UI/API admin password)}"
  mkdir -p "$(dirname "$passwords")"
  python - "$passwords" <<'PY'
import json, os, sys
user = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin").split(",")[0].split(":")[0]
with open(sys.argv[1], "w") as f:
    json.dump({user: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, f)
os.chmod(sys.argv[1], 0o600)
print(f"admin login: user {user!r}, password from AIRFLOW_ADMIN_PASSWORD")
PY
fi
