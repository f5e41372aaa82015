"""
### Warehouse build → quality gate → publish

Runs whenever any feed family lands new raw data (asset-scheduled). One `dbt build` (seeds, staging →
intermediate → marts, data tests and unit tests) on the private warehouse, then every Great
Expectations suite on pandas batches read from it. Only if both pass is a new read-only file built
from the marts and atomically swapped in as the published warehouse (plus Parquet exports and the
static area-report site, `published/site/index.html`). If any
step fails the previous published file is left untouched and the summary task records why.

Every task that touches the private DuckDB file holds the 1-slot `duckdb_writer` pool.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import dag, task

from ingest.airflow_tasks import DEFAULT_ARGS, PUBLISHED_ASSET, RAW_ASSETS, START, WRITER_POOL


@dag(
    dag_id="warehouse_build",
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
    @task(pool=WRITER_POOL)
    def dbt_build(**context: Any) -> str:
        from warehouse.dbt_build import build

        run_id = str(context["run_id"])
        build(run_id)
        return run_id

    @task(pool=WRITER_POOL)
    def quality_gate(build_id: str) -> str:
        from expectations.gate import run_gate

        run_gate(build_id)
        return build_id

    @task(pool=WRITER_POOL, outlets=[PUBLISHED_ASSET])
    def publish(build_id: str) -> str:
        from warehouse.publish import publish as publish_marts
        from warehouse.publish import record_publication
        from warehouse.settings import get_settings

        settings = get_settings()
        record = publish_marts(build_id, settings)
        record_publication(settings, record, build_id, "published")
        from reports.build import build_site  # the area-report site, beside the published file

        print(build_site(settings.published_path))
        return record["path"]

    @task(pool=WRITER_POOL, trigger_rule="all_done")
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

    publish(quality_gate(dbt_build())) >> summarise()


warehouse_build()
