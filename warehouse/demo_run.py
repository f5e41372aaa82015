"""``make run``: the whole pipeline on the bundled demo feeds, through real Airflow runs.

Generates the demo data (once per scale and seed), serves it over HTTP on 127.0.0.1, runs every DAG
with ``airflow dags test`` — the four ingestion DAGs, then ``warehouse_build`` — stops the server
and prints the run summary. Airflow's metadata DB is SQLite under ``var/airflow``; logs of each DAG
run go to ``var/logs``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from warehouse.settings import REPO_ROOT, Settings, get_settings

INGESTION_DAGS = ("ingest_area_profiles", "ingest_surveys", "ingest_service_maps", "ingest_volunteering")
WAREHOUSE_DAG = "warehouse_build"
DEMO_HASH_KEY = "common-ground-demo-key-not-for-production"
DEMO_CONN = "cg_demo_feeds"  # the connection every bundled source uses (AIRFLOW_CONN_CG_DEMO_FEEDS)


def demo_data_dir(var_dir: Path, scale: str, seed: int) -> Path:
    return var_dir / "demo" / f"{scale}-seed{seed}"


def ensure_demo_data(var_dir: Path, scale: str, seed: int) -> Path:
    """Generate the demo feeds unless this scale/seed was generated already."""
    out = demo_data_dir(var_dir, scale, seed)
    if (out / "manifest.json").exists():
        return out
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "demo.generate", "--scale", scale, "--seed", str(seed),
                    "--out", str(tmp)], check=True)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


@contextmanager
def demo_server(data_dir: Path, log_dir: Path) -> Iterator[str]:
    """Run the demo feed server as a child process; yields its base URL."""
    ready = log_dir / "demo_server.url"
    ready.unlink(missing_ok=True)
    log = (log_dir / "demo_server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "demo.server", "--data", str(data_dir), "--host", "127.0.0.1",
                             "--port", "0", "--ready-file", str(ready)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (ready.exists() and ready.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"demo server did not start; see {log_dir / 'demo_server.log'}")
            time.sleep(0.1)
        yield ready.read_text().strip()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def airflow_env(var_dir: Path, base_url: str, as_of: str | None) -> dict[str, str]:
    home = var_dir / "airflow"
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW_CONN_CG_DEMO_FEEDS": base_url,
        "CG_VAR_DIR": str(var_dir),
        "DO_NOT_TRACK": "1",
    })
    env.setdefault("CG_HASH_KEY", DEMO_HASH_KEY)
    env.setdefault("CG_DEMO_MODE", "1")  # the demo may use its published key; nothing else may
    if as_of:
        env["CG_AS_OF_DATE"] = as_of
    return env


def airflow(args: list[str], env: dict[str, str], log_path: Path) -> int:
    with log_path.open("w") as log:
        return subprocess.run([str(Path(sys.executable).with_name("airflow")), *args], env=env, stdout=log,
                              stderr=subprocess.STDOUT).returncode


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def prefetch(settings: Settings, base_url: str, dags: tuple[str, ...]) -> str:
    """Fetch every demo-served source of the DAGs to run, concurrently; their fetch tasks reuse it."""
    from ingest.prefetch import WORKERS, fetch_all
    from ingest.sources import load_sources

    families = {d.removeprefix("ingest_") for d in dags if d in INGESTION_DAGS}
    ids = [s.id for s in load_sources(settings.sources_file) if s.family in families and s.conn_id == DEMO_CONN]
    key = datetime.now(UTC).strftime("prefetch-%Y%m%dT%H%M%SZ")
    print(f"[common-ground] fetching {len(ids)} sources ({WORKERS} at a time) ...", end=" ", flush=True)
    results = fetch_all(ids, lambda _: base_url, key, settings=settings)  # HTTP only: no key, no warehouse
    failed = [r for r in results if r.error]
    print(f"{len(ids) - len(failed)} ok" + (f", {len(failed)} failed (their DAG fetches again)" if failed else ""),
          flush=True)
    return key


def run(scale: str, seed: int, dags: tuple[str, ...]) -> int:
    settings = get_settings()
    var_dir = settings.var_dir
    log_dir = var_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    settings.summary_path.unlink(missing_ok=True)
    t0 = time.monotonic()
    print(f"[common-ground] demo data ({scale}, seed {seed}) ...", flush=True)
    data_dir = ensure_demo_data(var_dir, scale, seed)
    manifest = json.loads((data_dir / "manifest.json").read_text())
    timings: dict[str, float] = {"demo data": time.monotonic() - t0}
    failed: list[str] = []
    with demo_server(data_dir, log_dir) as base_url:
        print(f"[common-ground] demo feeds served at {base_url}", flush=True)
        env = airflow_env(var_dir, base_url, manifest.get("reference_date"))
        t = time.monotonic()
        if airflow(["db", "migrate"], env, log_dir / "airflow_db_migrate.log") != 0:
            print(tail(log_dir / "airflow_db_migrate.log"))
            return 1
        airflow(["pools", "set", "duckdb_writer", "1", "one DuckDB writer at a time"], env,
                log_dir / "airflow_pools.log")
        timings["airflow setup"] = time.monotonic() - t
        t = time.monotonic()
        prefetch_key = prefetch(settings, base_url, dags)
        timings["fetch"] = time.monotonic() - t
        for dag_id in dags:
            t = time.monotonic()
            logical = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            print(f"[common-ground] airflow dags test {dag_id} ...", end=" ", flush=True)
            conf = ["-c", json.dumps({"prefetch_key": prefetch_key})] if dag_id in INGESTION_DAGS else []
            code = airflow(["dags", "test", dag_id, logical, *conf], env, log_dir / f"{dag_id}.log")
            timings[dag_id] = time.monotonic() - t
            print(f"{'ok' if code == 0 else 'FAILED'} ({timings[dag_id]:.1f}s)", flush=True)
            if code != 0:
                failed.append(dag_id)
                print(tail(log_dir / f"{dag_id}.log", 25))
                if dag_id != WAREHOUSE_DAG:
                    print(f"[common-ground] {dag_id} failed; the warehouse build will use the last good data "
                          "of that feed family")
    if settings.summary_path.exists() and WAREHOUSE_DAG in dags:
        from warehouse.run_summary import render

        print(render(json.loads(settings.summary_path.read_text())))
        from reports.build import site_line

        print(site_line(settings.published_path))
        if WAREHOUSE_DAG not in failed and settings.warehouse_path.exists():
            from analytics.demo_accuracy import measure
            from analytics.demo_accuracy import render as render_accuracy

            print("Linkage accuracy against the demo generator's ground truth (demo only):")
            print(render_accuracy(measure(settings.warehouse_path, data_dir / "ground_truth")))
    total = time.monotonic() - t0
    print("Timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()) + f"; total {total:.1f}s")
    if failed:
        print(f"[common-ground] FAILED: {', '.join(failed)} (logs in {log_dir})")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="county", choices=["county", "region", "england"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dags", nargs="*", default=[*INGESTION_DAGS, WAREHOUSE_DAG])
    args = parser.parse_args(argv)
    return run(args.scale, args.seed, tuple(args.dags))


if __name__ == "__main__":
    raise SystemExit(main())
