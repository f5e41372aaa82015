"""The Airflow side of ingestion: one DAG shape shared by the four feed families.

DAG files in ``dags/`` only call :func:`ingestion_dag`. Nothing here touches the network, the
warehouse or Airflow Variables at import time; the tasks resolve the registry, connections and key
when they run. XCom carries source ids and small ledger rows, never data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task, task_group

from ingest.sources import NEEDS_POSTCODE_LOOKUP

WRITER_POOL = "duckdb_writer"
FETCH_CONCURRENCY = 4  # fetches of one DAG at once (they hold no pool slot: HTTP only, no warehouse)
RAW_ASSETS: dict[str, Asset] = {
    family: Asset(name=f"cg_raw_{family}", uri=f"cg://warehouse/raw/{family}", group="common_ground")
    for family in ("area_profiles", "surveys", "service_maps", "volunteering")
}
PUBLISHED_ASSET = Asset(name="cg_published_marts", uri="cg://published/marts", group="common_ground")
START = pendulum.datetime(2026, 1, 1, tz="Europe/London")
# Transient failures (a feed briefly down, a dependency not loaded yet) heal by retrying; every task has
# a hard execution_timeout so nothing holds the one writer slot forever.
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "common-ground",
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=15),
    "execution_timeout": timedelta(minutes=10),
}
INGESTION_DAG_IDS = tuple(f"ingest_{family}" for family in RAW_ASSETS)
# Pool slots go to the highest priority first (absolute weights, not Airflow's downstream sums): area
# profiles before everything (others need its lookup), then the other harvests, and a build's dbt step
# last, so a queued build never jumps ahead of the harvests it should wait for. Once dbt has built, the
# build's gate/publish/summary steps come first so a half-done build is finished quickly.
PRIORITY = {"area_harvest": 100, "harvest": 80, "await_lookup": 70, "finish_build": 60, "check_inputs": 20,
            "dbt_build": 10}
DESCRIPTIONS = {
    "area_profiles": "ONS-style area bundle (LSOA lookup, census, IMD, postcodes) into raw.*",
    "surveys": "Agency surveys (questionnaire + CSV export), pseudonymised, into raw.* — after area profiles",
    "service_maps": "Partner Open Referral / HSDS service directories into raw.*",
    "volunteering": "Volunteer bureaus (RPDE vacancies, skill banks), pseudonymised, into raw.* — after area "
                    "profiles",
}


def feed_base_url(conn_id: str) -> str:
    """Base URL of a feed from its Airflow connection (env ``AIRFLOW_CONN_<ID>`` in the demo)."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    if conn.conn_type == "file":  # a landing folder, read by ingest/file_client.py: file:///srv/landing/agency
        return "file:///" + "/".join(p.strip("/") for p in (conn.host, conn.schema) if p)
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else "https"
    url = f"{scheme}://{conn.host}"
    if conn.port:
        url += f":{conn.port}"
    if conn.schema:
        url += f"/{conn.schema.strip('/')}"
    return url


def run_key(context: dict[str, Any]) -> str:
    """Load ids are keyed by the DAG run (and attempt), so a rerun replaces its own partition."""
    ti = context["ti"]
    key = str(context["run_id"]).replace("+00:00", "Z")
    return key if ti.try_number <= 1 else f"{key}#try{ti.try_number}"


def postcode_lookup_ready(settings: Any) -> tuple[bool, str]:
    """Has area profiles landed the postcode lookup? (read-only; callers hold the writer pool)."""
    import duckdb

    from warehouse.duck import first_row, read_connection, table_exists

    if not settings.warehouse_path.exists():
        return False, "no private warehouse yet"
    try:
        with read_connection(settings.warehouse_path) as con:
            if not (table_exists(con, "meta", "load_ledger") and table_exists(con, "raw", "ons_postcodes")):
                return False, "raw.ons_postcodes not loaded yet"
            row = first_row(con, "SELECT count(*) FROM meta.load_ledger WHERE family = 'area_profiles' "
                                 "AND status = 'loaded'")
    except duckdb.IOException as exc:  # another process holds the file (outside the pool, e.g. a manual run)
        return False, f"warehouse busy: {exc}"
    return bool(row and row[0]), "area profiles loaded" if row and row[0] else "no good area-profiles load yet"


def reconcile_loads(source_ids: list[str], loads: list[list[dict[str, Any]] | None] | None) -> dict[str, int]:
    """Totals over the sources that loaded; names the ones that did not; refuses when none loaded."""
    totals = {"received": 0, "loaded": 0, "quarantined": 0}
    batches = list(loads or [])  # None when no load pushed a result
    if batches and isinstance(batches[0], dict):  # one mapped load: Airflow hands over its rows, not a list of them
        batches = [batches]
    done = [row for batch in batches if batch for row in batch]
    for load in done:
        if load.get("status") != "loaded":
            continue
        if load["received"] != load["loaded"] + load["quarantined"]:
            raise ValueError(f"{load['source']}: counts do not reconcile: {load}")
        for key in totals:
            totals[key] += load[key]
        print(f"{load['source']:<45} received={load['received']:>8} loaded={load['loaded']:>8} "
              f"quarantined={load['quarantined']:>6}")
    landed = {str(load["source"]).split("/")[0] for load in done if load.get("status") == "loaded"}
    failed = sorted(set(source_ids) - landed)
    if failed:
        print(f"FAILED sources (see their fetch/load task and meta.load_ledger): {', '.join(failed)}")
    if not landed:
        raise ValueError(f"no source of this family loaded ({len(source_ids)} failed): the asset is not updated")
    return {**totals, "sources_loaded": len(landed), "sources_failed": len(failed)}


def ingestion_dag(family: str, *, schedule: str, doc: str, tags: list[str]) -> Any:
    """Build the ingestion DAG of one feed family:
    [await area profiles →] list sources → per source (fetch → load) → reconcile, all_sources_loaded."""

    @dag(
        dag_id=f"ingest_{family}",
        description=DESCRIPTIONS[family],
        schedule=schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["common-ground", "ingestion", *tags],
        doc_md=doc,
        default_args=DEFAULT_ARGS,
    )
    def _ingestion() -> None:
        @task(execution_timeout=timedelta(minutes=2))
        def list_sources() -> list[str]:
            from ingest.sources import sources_for
            from warehouse.settings import get_settings

            ids = [s.id for s in sources_for(get_settings().sources_file, family)]
            if not ids:
                raise ValueError(f"no sources of family {family!r} are registered")
            return ids

        @task(max_active_tis_per_dag=FETCH_CONCURRENCY, map_index_template="{{ task.op_kwargs['source_id'] }}",
              execution_timeout=timedelta(minutes=30))
        def fetch(source_id: str, **context: Any) -> str:
            """Download the source's responses into a staged fetch (no pool: no warehouse); XCom = fetch id."""
            from ingest.harvest import fetch_source, get_source
            from warehouse.settings import get_settings

            settings = get_settings()
            source = get_source(source_id, settings)
            # `make run` fetched every source concurrently before the DAG runs (run conf prefetch_key)
            prefetched = (getattr(context.get("dag_run"), "conf", None) or {}).get("prefetch_key")
            return fetch_source(source_id, base_url=feed_base_url(source.conn_id),
                                run_key=str(prefetched) if prefetched else run_key(context),
                                run_id=str(context["run_id"]), settings=settings, reuse=True)

        @task(pool=WRITER_POOL, max_active_tis_per_dag=1, map_index_template="{{ task.op_kwargs['source_id'] }}",
              weight_rule="absolute", execution_timeout=timedelta(minutes=20),
              priority_weight=PRIORITY["area_harvest" if family == "area_profiles" else "harvest"])
        def load(source_id: str, fetch_id: str, **context: Any) -> list[dict[str, Any]]:
            """Replay the staged fetch through the source's reader into the warehouse (the one writer slot)."""
            from ingest.harvest import load_source
            from warehouse.settings import get_settings

            return load_source(source_id, fetch_id, run_key=run_key(context), run_id=str(context["run_id"]),
                               settings=get_settings())

        @task_group(group_id="harvest")
        def harvest(source_id: str) -> Any:
            """Per source: fetch (concurrent, outside the pool) → load (inside it)."""
            return load(source_id=source_id, fetch_id=fetch(source_id=source_id))  # keywords: map_index_template

        @task(outlets=[RAW_ASSETS[family]], execution_timeout=timedelta(minutes=2), trigger_rule="all_done")
        def reconcile(source_ids: list[str], loads: list[list[dict[str, Any]] | None] | None) -> dict[str, int]:
            """Runs once every source has finished, even if some failed: the asset is updated when at least one
            source loaded (one failing directory must not hold back the other nine). Every load must satisfy
            received = loaded + quarantined."""
            return reconcile_loads(source_ids, loads)

        @task(execution_timeout=timedelta(minutes=2))
        def all_sources_loaded() -> None:
            """Upstream-failed (so the DAG run is failed) whenever any source failed, after reconcile ran."""

        sources = list_sources()
        if family in NEEDS_POSTCODE_LOOKUP:
            @task.sensor(pool=WRITER_POOL, mode="reschedule", poke_interval=20, timeout=6 * 3600,
                         weight_rule="absolute", priority_weight=PRIORITY["await_lookup"],
                         execution_timeout=timedelta(minutes=2))
            def await_area_profiles() -> Any:
                """Wait (without holding a slot) until area profiles has landed the postcode lookup."""
                from airflow.sdk import PokeReturnValue

                from warehouse.settings import get_settings

                ready, reason = postcode_lookup_ready(get_settings())
                print(f"postcode lookup: {reason}")
                return PokeReturnValue(is_done=ready)

            await_area_profiles() >> sources
        loaded = harvest.expand(source_id=sources)
        reconcile(sources, loaded)
        loaded >> all_sources_loaded()

    return _ingestion()
