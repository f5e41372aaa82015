"""The quality gate: run every suite on pandas frames read from the private warehouse.

GX runs on pandas batches pulled from DuckDB (GX's SQL sources over duckdb-engine give false
failures). A checkpoint can report success=False without raising, so every result is checked and a
failing suite raises QualityGateError naming the failing expectations. Results go to meta.gx_results.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from expectations.suite import SuiteContext, SuiteSpec
from warehouse.duck import first_row, write_connection
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)
MAX_FRAME_ROWS = int(os.environ.get("CG_GX_MAX_ROWS", "250000"))


def all_suites() -> list[SuiteSpec]:
    """Every ``SUITES`` list in the modules of ``expectations/suites/``, in module order."""
    import importlib
    import pkgutil

    import expectations.suites as package

    suites: list[SuiteSpec] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        suites += getattr(importlib.import_module(f"{package.__name__}.{module}"), "SUITES", [])
    names = [s.name for s in suites]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"duplicate GX suite names: {sorted(duplicated)}")
    return suites


class QualityGateError(RuntimeError):
    """At least one expectation failed; nothing may be published."""


def _gx() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX labels each in-memory batch with an md5 of pandas' row hashes, below this many bytes of frame. The
    # label is metadata only (the ledger holds the payloads' own hashes) and cost 23 s of an England gate
    # (41 frames, up to 250,000 rows each), so no frame is fingerprinted.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


def _context(gx: Any, docs_dir: Path | None = None) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites["common_ground"] = {
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(),
                               progress_bars=ProgressBarsConfig(globally=False), data_docs_sites=sites)
    return gx.get_context(mode="ephemeral", project_config=config)


def validate_frame(spec: SuiteSpec, frame: Any, context: Any | None = None,
                   suite_context: SuiteContext | None = None, previous_rows: int | None = None,
                   table_rows: int | None = None) -> dict[str, Any]:
    """Validate one pandas frame against one suite through a checkpoint; returns a JSON-able result.

    ``table_rows`` is the full table's row count when ``frame`` is a sample of it.
    """
    table_rows = len(frame) if table_rows is None else table_rows
    sampled = table_rows != len(frame)
    gx = _gx()
    context = context or _context(gx)
    source = context.data_sources.add_pandas(f"cg_{spec.name}")
    batch = source.add_dataframe_asset(name=spec.table).add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(gx.ExpectationSuite(name=spec.name))
    for expectation in spec.build(gx.expectations, suite_context or SuiteContext()):
        suite.add_expectation(expectation)
    bounds = None
    if spec.relative_rows and previous_rows:
        low, high = spec.relative_rows
        bounds = (int(previous_rows * low), int(previous_rows * high) + 1)
        if not sampled:
            suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=bounds[0],
                                                                                 max_value=bounds[1]))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch, suite=suite, name=f"validate_{spec.name}"))
    checkpoint = context.checkpoints.add(gx.Checkpoint(name=f"checkpoint_{spec.name}",
                                                       validation_definitions=[definition], actions=[]))
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    # the source's execution engine keeps every batch it loaded (the whole frame): release it, or a gate of
    # forty suites holds every frame at once (England: 4.6 GB peak, 2.2 GB of it frames already validated)
    batches = source.get_execution_engine().batch_manager
    batches.reset_batch_cache()
    batches.batch_data_cache.clear()
    results = [r for run in outcome.run_results.values() for r in run.results]
    failed = []
    for r in results:
        if not r.success:
            kwargs = {k: v for k, v in r.expectation_config.kwargs.items() if k not in ("batch_id", "value_set")}
            failed.append({"expectation": r.expectation_config.type,
                           "kwargs": json.loads(json.dumps(kwargs, default=str)),
                           "unexpected_count": (r.result or {}).get("unexpected_count"),
                           "observed": str((r.result or {}).get("observed_value"))[:200],
                           "examples": [str(v) for v in ((r.result or {}).get("partial_unexpected_list") or [])[:3]]})
    evaluated = len(results)
    if sampled and bounds:  # the sample's size says nothing about the table's: check the full count here
        evaluated += 1
        if not bounds[0] <= table_rows <= bounds[1]:
            failed.append({"expectation": "expect_table_row_count_to_be_between",
                           "kwargs": {"min_value": bounds[0], "max_value": bounds[1]}, "unexpected_count": None,
                           "observed": str(table_rows), "examples": []})
    # a checkpoint can report success=False without raising: trust both flags, never one
    success = bool(outcome.success) and not failed
    return {"suite": spec.name, "table": spec.table, "success": success, "evaluated": evaluated,
            "failed": failed, "rows": table_rows, "validated_rows": len(frame)}


def _codes(con: Any, sql: str) -> frozenset[str]:
    try:
        return frozenset(r[0] for r in con.execute(sql).fetchall() if r[0])
    except duckdb.CatalogException:  # geography not loaded yet: no integrity values
        return frozenset()


def suite_context(con: Any) -> SuiteContext:
    return SuiteContext(
        lsoa_codes=_codes(con, "SELECT DISTINCT upper(trim(lsoa_code)) FROM raw.ons_lsoa_lookup"),
        ward_codes=_codes(con, "SELECT DISTINCT upper(trim(ward_code)) FROM raw.ons_lsoa_lookup"),
        lad_codes=_codes(con, "SELECT DISTINCT upper(trim(lad_code)) FROM raw.ons_lsoa_lookup"),
    )


def _previous_rows(con: Any) -> dict[str, int]:
    """Row count per suite at the most recent gate run in which that suite passed."""
    try:
        rows = con.execute("""SELECT suite, rows FROM (
                SELECT suite, rows, row_number() OVER (PARTITION BY suite ORDER BY checked_at DESC) AS n
                FROM meta.gx_results WHERE success) WHERE n = 1""").fetchall()
    except duckdb.CatalogException:  # first run
        return {}
    return {suite: int(n) for suite, n in rows}


def docs_index(settings: Settings) -> Path:
    return settings.gx_dir / "data_docs" / "index.html"


def run_gate(run_id: str, settings: Settings | None = None,
             suites: list[SuiteSpec] | None = None) -> list[dict[str, Any]]:
    """Validate every suite's table; record results; build Data Docs; raise if any suite failed."""
    settings = settings or get_settings()
    suites = suites if suites is not None else all_suites()
    gx = _gx()
    docs_dir = docs_index(settings).parent
    context = _context(gx, docs_dir)
    results: list[dict[str, Any]] = []
    with write_connection(settings.warehouse_path) as con:
        tables = {f"{s}.{t}" for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
        reference = suite_context(con)
        previous = _previous_rows(con)
        for spec in suites:
            if spec.table not in tables:
                results.append({"suite": spec.name, "table": spec.table, "success": False, "evaluated": 0,
                                "failed": [{"expectation": "table_exists", "kwargs": {}, "unexpected_count": None,
                                            "observed": "missing", "examples": []}], "rows": 0})
                continue
            started = time.perf_counter()
            rows = int(first_row(con, f"SELECT count(*) FROM {spec.table}")[0])
            if spec.query:
                frame = con.execute(spec.query).df()
            elif rows > MAX_FRAME_ROWS:  # value checks on a reproducible sample; dbt tests cover the full keys
                frame = con.execute(f"SELECT * FROM {spec.table} USING SAMPLE reservoir({MAX_FRAME_ROWS} ROWS) "
                                    "REPEATABLE (42)").df()
            else:
                frame = con.execute(f"SELECT * FROM {spec.table}").df()
            read_seconds = time.perf_counter() - started
            results.append(validate_frame(spec, frame, context, reference, previous.get(spec.name), rows))
            results[-1].update(read_seconds=round(read_seconds, 3),
                               seconds=round(time.perf_counter() - started, 3))  # for the benchmark
        from warehouse.meta import ensure_meta

        ensure_meta(con)
        con.execute("DELETE FROM meta.gx_results WHERE run_id = ?", [run_id])
        now = datetime.now(UTC)
        for r in results:
            con.execute("INSERT INTO meta.gx_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, now, r["suite"], r["table"], r["success"], r["evaluated"], r["rows"],
                         json.dumps(r["failed"])])
    docs_dir.mkdir(parents=True, exist_ok=True)
    context.build_data_docs()
    failing = [r for r in results if not r["success"]]
    for r in results:
        log.info("GX %-32s %s (%d expectations, %d rows)", r["suite"], "passed" if r["success"] else "FAILED",
                 r["evaluated"], r["rows"])
    if failing:
        detail = "; ".join(f"{r['suite']}: " + ", ".join(
            f"{f['expectation']}({f['kwargs'].get('column', '')})" for f in r["failed"][:3]) for r in failing)
        raise QualityGateError(f"{len(failing)} GX suite(s) failed: {detail}")
    return results
