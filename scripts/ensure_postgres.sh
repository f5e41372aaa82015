#!/usr/bin/env bash
# Make sure the PostgreSQL server binaries (Debian package `postgresql`) are installed; used by
# tests/test_scheduler.py (Airflow's metadata DB, as in docker-compose.yml) and callable from CI.
# Idempotent: does nothing when they are already present. Prints the bin directory on success.
# The package's own cluster is never started here (policy-rc.d refuses service starts during install);
# the test runs a throwaway server in a temporary data directory on a free port.
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

bin="$(find_bin || true)"
if [[ -z "$bin" || ! -x "$bin/initdb" || ! -x "$bin/postgres" ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "ensure_postgres: PostgreSQL is not installed and this user cannot apt-get install it" >&2; exit 1
    fi
  else SUDO=""; fi
  echo "ensure_postgres: installing the Debian postgresql package" >&2
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created_policy=1
  fi
  trap '[[ $created_policy -eq 1 ]] && $SUDO rm -f "$policy"' EXIT
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
  bin="$(find_bin)"
fi
echo "$bin"
