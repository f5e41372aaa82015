"""The Airflow side of ingestion: one DAG shape shared by the four feed families.

DAG files in ``dags/`` only call :func:`ingestion_dag`. Nothing here touches the network, the
warehouse or Airflow Variables at import time; the tasks resolve the registry, connections and key
when they run. XCom carries source ids and small ledger rows, never data.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task

WRITER_POOL = "duckdb_writer"
RAW_ASSETS: dict[str, Asset] = {
    family: Asset(name=f"cg_raw_{family}", uri=f"cg://warehouse/raw/{family}", group="common_ground")
    for family in ("area_profiles", "surveys", "service_maps", "volunteering")
}
PUBLISHED_ASSET = Asset(name="cg_published_marts", uri="cg://published/marts", group="common_ground")
START = pendulum.datetime(2026, 1, 1, tz="Europe/London")
DEFAULT_ARGS = {"owner": "common-ground", "retries": 0}


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


def ingestion_dag(family: str, *, schedule: str, doc: str, tags: list[str]) -> Any:
    """Build the ingestion DAG of one feed family: list sources → harvest each → reconcile."""

    @dag(
        dag_id=f"ingest_{family}",
        schedule=schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["common-ground", "ingestion", *tags],
        doc_md=doc,
        default_args=DEFAULT_ARGS,
    )
    def _ingestion() -> None:
        @task
        def list_sources() -> list[str]:
            from ingest.sources import sources_for
            from warehouse.settings import get_settings

            ids = [s.id for s in sources_for(get_settings().sources_file, family)]
            if not ids:
                raise ValueError(f"no sources of family {family!r} are registered")
            return ids

        @task(pool=WRITER_POOL, max_active_tis_per_dag=1)
        def harvest(source_id: str, **context: Any) -> list[dict[str, Any]]:
            from ingest.harvest import get_source, harvest_source
            from warehouse.settings import get_settings

            settings = get_settings()
            source = get_source(source_id, settings)
            return harvest_source(source_id, base_url=feed_base_url(source.conn_id), run_key=run_key(context),
                                  run_id=str(context["run_id"]), settings=settings)

        @task(outlets=[RAW_ASSETS[family]])
        def reconcile(loads: list[list[dict[str, Any]]]) -> dict[str, int]:
            """Every load must satisfy received = loaded + quarantined before the asset is updated."""
            totals = {"received": 0, "loaded": 0, "quarantined": 0}
            for load in (row for batch in loads for row in batch):
                if load["received"] != load["loaded"] + load["quarantined"]:
                    raise ValueError(f"{load['source']}: counts do not reconcile: {load}")
                for key in totals:
                    totals[key] += load[key]
                print(f"{load['source']:<45} received={load['received']:>8} loaded={load['loaded']:>8} "
                      f"quarantined={load['quarantined']:>6}")
            return totals

        reconcile(harvest.expand(source_id=list_sources()))

    return _ingestion()
