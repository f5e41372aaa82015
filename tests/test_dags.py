"""The DAG files import cleanly and follow the house rules (Airflow 3 idiom, writer pool, assets)."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WRITERS = {"harvest.load", "dbt_build", "quality_gate", "publish", "summarise"}


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory, monkeypatch_module):
    home = tmp_path_factory.mktemp("airflow_home")
    monkeypatch_module.setenv("AIRFLOW_HOME", str(home))
    monkeypatch_module.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"ingest_area_profiles", "ingest_surveys", "ingest_service_maps",
                                   "ingest_volunteering", "warehouse_build"}


def test_dag_conventions(dagbag):
    for dag in dagbag.dags.values():
        assert dag.catchup is False, dag.dag_id
        assert dag.start_date.tzinfo is not None, dag.dag_id
        assert "common-ground" in dag.tags, dag.dag_id
        assert dag.doc_md and len(dag.doc_md) > 100, dag.dag_id
        assert dag.max_active_runs == 1, dag.dag_id


def test_every_writer_uses_the_one_slot_pool(dagbag):
    seen = set()
    for dag in dagbag.dags.values():
        for t in dag.tasks:
            if t.task_id in WRITERS:
                assert t.pool == "duckdb_writer", f"{dag.dag_id}.{t.task_id}"
                seen.add(t.task_id)
    assert seen == WRITERS


def test_assets_connect_ingestion_to_the_warehouse_build(dagbag):
    produced = set()
    for dag_id in ("ingest_area_profiles", "ingest_surveys", "ingest_service_maps", "ingest_volunteering"):
        dag = dagbag.dags[dag_id]
        for t in dag.tasks:
            produced |= {o.name for o in t.outlets}
    assert produced == {"cg_raw_area_profiles", "cg_raw_surveys", "cg_raw_service_maps", "cg_raw_volunteering"}
    build = dagbag.dags["warehouse_build"]
    consumed = {a.name for a in build.timetable.asset_condition.objects}
    assert consumed == produced


def test_dag_files_do_no_io_at_import():
    """DAG files only wire tasks: no network, database or Variable access at module level."""
    import ast

    for path in (REPO / "dags").glob("*.py"):
        tree = ast.parse(path.read_text())
        top_level = [node for node in tree.body if not isinstance(node, ast.FunctionDef)
                     and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
        source = "\n".join(ast.unparse(node) for node in top_level)
        for forbidden in ("requests", "duckdb", "Variable", "open(", "connect("):
            assert forbidden not in source, (path.name, forbidden)


def test_every_task_has_an_execution_timeout_and_dags_a_description(dagbag):
    for dag in dagbag.dags.values():
        assert dag.description and "\n" not in dag.description, dag.dag_id
        for t in dag.tasks:
            assert t.execution_timeout is not None, f"{dag.dag_id}.{t.task_id}"


def test_mapped_harvests_are_labelled_by_source_id(dagbag):
    for dag_id in ("ingest_area_profiles", "ingest_surveys", "ingest_service_maps", "ingest_volunteering"):
        for task_id in ("harvest.fetch", "harvest.load"):
            t = dagbag.dags[dag_id].get_task(task_id)
            template = getattr(t, "partial_kwargs", {}).get("map_index_template") or t.map_index_template
            assert "source_id" in template, task_id


def test_fetch_runs_outside_the_writer_pool_and_one_failure_does_not_block_the_family(dagbag):
    """Fetches hold no pool slot (several at once); each load waits only for its own source's fetch;
    reconcile runs when every source is done (failed or not), all_sources_loaded fails the run if any failed."""
    for dag_id in ("ingest_area_profiles", "ingest_surveys", "ingest_service_maps", "ingest_volunteering"):
        dag = dagbag.dags[dag_id]
        fetch, load = dag.get_task("harvest.fetch"), dag.get_task("harvest.load")
        assert fetch.pool != "duckdb_writer" and (fetch.max_active_tis_per_dag or 0) > 1
        assert load.pool == "duckdb_writer" and "harvest.fetch" in load.upstream_task_ids
        reconcile = dag.get_task("reconcile")
        assert str(reconcile.trigger_rule).lower().endswith("all_done")
        assert "harvest.load" in reconcile.upstream_task_ids and reconcile.outlets
        assert str(dag.get_task("all_sources_loaded").trigger_rule).lower().endswith("all_success")
        assert "harvest.load" in dag.get_task("all_sources_loaded").upstream_task_ids


def test_postcode_lookup_families_wait_for_area_profiles(dagbag):
    for dag_id in ("ingest_surveys", "ingest_volunteering"):
        dag = dagbag.dags[dag_id]
        gate = dag.get_task("await_area_profiles")
        assert gate.pool == "duckdb_writer" and gate.mode == "reschedule"
        assert "await_area_profiles" in dag.get_task("list_sources").upstream_task_ids
    for dag_id in ("ingest_area_profiles", "ingest_service_maps"):
        assert "await_area_profiles" not in dagbag.dags[dag_id].task_ids


def test_build_waits_for_ingestion_and_checks_inputs_first(dagbag):
    build = dagbag.dags["warehouse_build"]
    assert build.get_task("check_inputs").upstream_task_ids == {"await_quiet_ingestion"}
    assert build.get_task("dbt_build").upstream_task_ids == {"check_inputs"}


def test_harvests_outrank_the_build_for_the_writer_slot(dagbag):
    """Absolute weights: a queued dbt_build never takes the slot ahead of a queued harvest."""
    def weight(dag_id, task_id):
        t = dagbag.dags[dag_id].get_task(task_id)
        rule = t.partial_kwargs.get("weight_rule") if hasattr(t, "partial_kwargs") else None
        assert str(rule or t.weight_rule).lower().endswith("absolute"), (dag_id, task_id)
        return t.partial_kwargs.get("priority_weight", t.priority_weight) if hasattr(t, "partial_kwargs") \
            else t.priority_weight

    area = weight("ingest_area_profiles", "harvest.load")
    others = [weight(d, "harvest.load") for d in ("ingest_surveys", "ingest_service_maps", "ingest_volunteering")]
    dbt = weight("warehouse_build", "dbt_build")
    assert area > max(others) and min(others) > dbt
