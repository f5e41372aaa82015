"""
### Warehouse build → quality gate → publish

Asset-scheduled: a run is created whenever any feed family lands new raw data, but it only **builds**
when the set is complete and new:

1. `await_quiet_ingestion` waits (rescheduling, no slot held) until no ingestion DAG run is queued or
   running, so a burst of feed updates is coalesced into one build.
2. `check_inputs` skips the run cleanly, with the reason in its log, unless every registered feed family
   has at least one good load **and** (for asset-triggered runs) the last good loads differ from the
   ones the current publication was built from. Queued runs of the same burst therefore skip.
3. One `dbt build` (seeds, staging → intermediate → marts, data and unit tests) on the private warehouse,
   after recording in `meta.build_inputs` which load of each source it reads — each family's **last
   good load**, so after a partial refresh the publication mixes fresh feeds with the previous good
   load of the others; the run summary lists them.
4. Every Great Expectations suite on pandas batches; only if dbt and GX pass is a new read-only file
   built from the marts and atomically swapped in (plus Parquet exports, per-partner files and the
   static area-report site, `published/site/index.html`). Otherwise the previous
   published file is left untouched and `summarise` records why. A failed build is retried, and any
   later feed update triggers a fresh attempt (its inputs differ from the publication's).

Every task that touches the private DuckDB file holds the 1-slot `duckdb_writer` pool.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import dag, task

from ingest.airflow_tasks import (
    DEFAULT_ARGS,
    INGESTION_DAG_IDS,
    PRIORITY,
    PUBLISHED_ASSET,
    RAW_ASSETS,
    START,
    WRITER_POOL,
)

FINISH = {"weight_rule": "absolute", "priority_weight": PRIORITY["finish_build"]}


@dag(
    dag_id="warehouse_build",
    description="Build, test and publish the marts once every feed family has a good load (coalesces bursts)",
    schedule=(RAW_ASSETS["area_profiles"] | RAW_ASSETS["surveys"] | RAW_ASSETS["service_maps"]
              | RAW_ASSETS["volunteering"]),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["common-ground", "warehouse", "publish"],
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
)
def warehouse_build() -> None:
    @task.sensor(mode="reschedule", poke_interval=15, timeout=6 * 3600, execution_timeout=timedelta(minutes=2))
    def await_quiet_ingestion(**context: Any) -> Any:
        """Wait until no ingestion run is in flight (reads Airflow state only; no warehouse access)."""
        from airflow.sdk import PokeReturnValue

        ti = context["ti"]
        busy = [d for d in INGESTION_DAG_IDS if ti.get_dr_count(dag_id=d, states=["queued", "running"])]
        print(f"ingestion runs in flight: {busy or 'none'}")
        return PokeReturnValue(is_done=not busy)

    @task.short_circuit(pool=WRITER_POOL, weight_rule="absolute", priority_weight=PRIORITY["check_inputs"],
                        execution_timeout=timedelta(minutes=2))
    def check_inputs(**context: Any) -> bool:
        """Build only a complete, new set of loads; otherwise skip the rest of the run, saying why."""
        from warehouse.build_inputs import readiness
        from warehouse.settings import get_settings

        verdict = readiness(get_settings(), manual=str(context["dag_run"].run_type).endswith("manual"))
        print(f"{'building' if verdict.build else 'skipping this build'}: {verdict.reason}")
        return verdict.build

    @task(pool=WRITER_POOL, weight_rule="absolute", priority_weight=PRIORITY["dbt_build"],
          retries=2, execution_timeout=timedelta(minutes=60))
    def dbt_build(**context: Any) -> str:
        from warehouse.build_inputs import record_inputs
        from warehouse.dbt_build import build
        from warehouse.duck import write_connection
        from warehouse.settings import get_settings

        run_id = str(context["run_id"])
        settings = get_settings()
        with write_connection(settings.warehouse_path) as con:
            for load in record_inputs(con, run_id):
                print(f"input {load['family']:<14} {load['load_id']}")
        build(run_id)
        return run_id

    @task(pool=WRITER_POOL, retries=1, execution_timeout=timedelta(minutes=30), **FINISH)
    def quality_gate(build_id: str) -> str:
        from expectations.gate import run_gate

        run_gate(build_id)
        return build_id

    @task(pool=WRITER_POOL, outlets=[PUBLISHED_ASSET], execution_timeout=timedelta(minutes=20), **FINISH)
    def publish(build_id: str) -> str:
        from warehouse.publish import publish as publish_marts
        from warehouse.publish import record_publication
        from warehouse.settings import get_settings

        settings = get_settings()
        record = publish_marts(build_id, settings)
        record_publication(settings, record, build_id, "published")
        from reports.build import build_site  # the area-report site, beside the published file

        print(build_site(settings.published_path))
        from reports.partner_site import build_partner_sites  # one restricted site per partner file

        print(build_partner_sites(settings.published_path))
        return record["path"]

    @task(pool=WRITER_POOL, trigger_rule="all_done", retries=0, execution_timeout=timedelta(minutes=5), **FINISH)
    def summarise(**context: Any) -> str:
        """Write the run summary (also when an upstream step failed, saying which)."""
        from warehouse.publish import record_publication
        from warehouse.run_summary import blocking_reason, collect, render, write
        from warehouse.settings import get_settings

        settings = get_settings()
        run_id = str(context["run_id"])
        summary = collect(run_id, settings)
        if summary["publication"] is None:
            record_publication(settings, None, run_id, "blocked", blocking_reason(summary))
            summary = collect(run_id, settings)
        write(summary, settings.summary_path)
        print(render(summary))
        if summary["publication"]["status"] != "published":
            raise RuntimeError(f"not published: {summary['publication']['reason']}")
        return str(settings.summary_path)

    built = dbt_build()
    await_quiet_ingestion() >> check_inputs() >> built
    publish(quality_gate(built)) >> summarise()


warehouse_build()
