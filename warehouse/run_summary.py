"""The run summary: per feed received / loaded / quarantined, dbt and GX outcomes, what was published."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from warehouse.duck import table_exists, write_connection
from warehouse.meta import ensure_meta
from warehouse.settings import Settings, get_settings


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    try:
        cur = con.execute(sql, params or [])
    except duckdb.CatalogException:
        return []
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


_CHANGE_COUNTS = ("new", "updated", "deleted", "unseen_deletions", "pages")
FUTURE_TOLERANCE = timedelta(minutes=5)
#: latest ledger row per source by recording order (seq), never by a clock that may be skewed
_LATEST = """SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY source ORDER BY seq DESC NULLS LAST,
                 finished_at DESC) AS n FROM meta.load_ledger {where}) WHERE n = 1"""


def _volunteering(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the latest harvest of each vacancy feed changed (typed ledger columns), and unmapped wordings.

    These "this run" figures live here, not in a published mart, so that publishing twice from the same
    data gives identical tables.
    """
    feeds = _rows(con, "SELECT source, load_id, finished_at, " + ", ".join(f'"{c}"' for c in _CHANGE_COUNTS)
                  + " FROM (" + _LATEST.format(where="WHERE family = 'volunteering' AND load_mode = 'incremental' "
                                               "AND status = 'loaded'") + ") ORDER BY source")
    for feed in feeds:
        feed.update({k: int(feed.get(k) or 0) for k in _CHANGE_COUNTS})
        feed["finished_at"] = str(feed["finished_at"])
    unmapped = (_rows(con, """SELECT term_kind, term_text, vacancy_uses FROM intermediate.int_skills_unmapped
                             WHERE vacancy_uses > 0 ORDER BY vacancy_uses DESC, term_text LIMIT 10""")
                if table_exists(con, "intermediate", "int_skills_unmapped") else [])
    return {"vacancy_feeds": feeds, "unmapped_vacancy_wordings": unmapped}


def clock_warnings(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> list[dict[str, Any]]:
    """Ledger rows stamped in the future (clock skew on the machine that wrote them)."""
    now = now or datetime.now(UTC)
    rows = _rows(con, """SELECT source, load_id, seq, started_at, finished_at FROM meta.load_ledger
                         WHERE finished_at > ? OR started_at > ? ORDER BY seq""",
                 [now + FUTURE_TOLERANCE, now + FUTURE_TOLERANCE])
    for row in rows:
        row["started_at"], row["finished_at"] = str(row["started_at"]), str(row["finished_at"])
        row["warning"] = "timestamp is in the future (clock skew); ordered by ledger sequence instead"
    return rows


def collect(run_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """Gather the summary of warehouse run ``run_id`` (and the latest load of every source)."""
    settings = settings or get_settings()
    with write_connection(settings.warehouse_path) as con:
        ensure_meta(con)
        loads = _rows(con, "SELECT source, family, status, received, loaded, quarantined, physical_records, error, "
                           "notes, finished_at, seq FROM (" + _LATEST.format(where="") + ") ORDER BY family, source")
        clock = clock_warnings(con)
        dbt = _rows(con, "SELECT success, counts, failures, freshness FROM meta.dbt_runs WHERE run_id = ?", [run_id])
        gx = _rows(con, "SELECT suite, success, evaluated, rows, failed FROM meta.gx_results WHERE run_id = ? "
                        "ORDER BY suite", [run_id])
        pub = _rows(con, "SELECT status, reason, path, tables FROM meta.publications WHERE run_id = ?", [run_id])
        extra = (_rows(con, "SELECT domain, metric, label, value FROM marts.run_highlights ORDER BY domain, metric")
                 if table_exists(con, "marts", "run_highlights") else [])
        volunteering = _volunteering(con)
        # which load of each source this build read (each source's last good load; warehouse/build_inputs.py)
        inputs = _rows(con, "SELECT family, source, load_id, finished_at FROM meta.build_inputs WHERE build_id = ? "
                            "ORDER BY family, source", [run_id])
    for load in inputs:
        load["finished_at"] = str(load["finished_at"])
    for load in loads:
        load["finished_at"] = str(load["finished_at"])
        load["reconciles"] = (load["status"] in ("loaded", "retired")
                              and load["received"] == load["loaded"] + load["quarantined"]
                              and load["physical_records"] in (None, load["received"]))
    published = settings.published_path
    summary = {
        "run_id": run_id,
        "loads": loads,
        "clock_warnings": clock,
        "inputs": inputs,
        "dbt": {**dbt[0], "counts": json.loads(dbt[0]["counts"]), "failures": json.loads(dbt[0]["failures"]),
                "freshness": json.loads(dbt[0]["freshness"] or "{}")} if dbt else None,
        "gx": [{**g, "failed": json.loads(g["failed"])} for g in gx],
        "publication": {**pub[0], "tables": json.loads(pub[0]["tables"] or "{}")} if pub else None,
        "highlights": extra,
        "volunteering": volunteering,
        "published_path": str(published),
        "query_cli": f".venv-clients/bin/duckdb -readonly {published} \"SELECT * FROM area_profiles LIMIT 5\"",
        "query_python": (f".venv/bin/python -c \"import duckdb; print(duckdb.connect('{published}', read_only=True)"
                         f".sql('SELECT * FROM area_profiles LIMIT 5'))\""),
        "sqlalchemy_url": f"duckdb:///{published}?access_mode=read_only",
        "parquet_dir": str(settings.parquet_dir / "current"),
        "data_docs": str(settings.gx_dir / "data_docs" / "index.html"),
    }
    return summary


def write(summary: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")


def render(summary: dict[str, Any]) -> str:
    """Human-readable summary for the terminal."""
    lines = ["", "=" * 100, f"Common Ground run summary — warehouse run {summary['run_id']}", "=" * 100, "",
             "Feeds (latest load of each source)",
             f"  {'source':<44}{'status':<8}{'received':>10}{'loaded':>10}{'quarantined':>13}  reconciles"]
    totals = [0, 0, 0]
    for load in summary["loads"]:
        rec, lo, qu = (load["received"] or 0), (load["loaded"] or 0), (load["quarantined"] or 0)
        totals = [totals[0] + rec, totals[1] + lo, totals[2] + qu]
        mark = "yes" if load["reconciles"] else "NO"
        lines.append(f"  {load['source']:<44}{load['status']:<8}{rec:>10}{lo:>10}{qu:>13}  {mark}")
        if load.get("error"):
            lines.append(f"      error: {load['error']}")
    for warning in summary.get("clock_warnings") or []:
        lines.append(f"  CLOCK: {warning['source']} load {warning['load_id']} finished_at {warning['finished_at']} "
                     "is in the future (ordered by ledger sequence instead)")
    lines.append(f"  {'TOTAL':<52}{totals[0]:>10}{totals[1]:>10}{totals[2]:>13}  "
                 f"{'yes' if totals[0] == totals[1] + totals[2] else 'NO'}")
    dbt = summary.get("dbt")
    lines += ["", "dbt build"]
    if dbt:
        lines.append(f"  {'passed' if dbt['success'] else 'FAILED'}: " +
                     ", ".join(f"{k}={v}" for k, v in dbt["counts"].items()))
        if dbt["freshness"]:
            lines.append("  source freshness: " + ", ".join(f"{k}={v}" for k, v in dbt["freshness"].items()))
        lines += [f"  failure: {f}" for f in dbt["failures"][:10]]
    else:
        lines.append("  not run")
    gx = summary.get("gx") or []
    passed = sum(1 for g in gx if g["success"])
    lines += ["", f"Great Expectations: {passed}/{len(gx)} suites passed  (Data Docs: {summary['data_docs']})"]
    for g in gx:
        if not g["success"]:
            lines.append(f"  FAILED {g['suite']}: " + "; ".join(
                f"{f['expectation']} {f['kwargs'].get('column', '')} (unexpected {f['unexpected_count']})"
                for f in g["failed"][:5]))
    if summary.get("inputs"):
        lines += ["", "Built from (the last good load of each source; a failed load keeps the previous one)"]
        lines += [f"  {i['family']:<14}{i['load_id']:<70}{i['finished_at'][:19]}" for i in summary["inputs"]]
    pub = summary.get("publication")
    lines += ["", "Published"]
    if pub and pub["status"] == "published":
        lines.append(f"  {summary['published_path']}  (marts only, read-only for readers)")
        for table, info in sorted(pub["tables"].items()):
            lines.append(f"    {table:<40}{info['rows']:>10} rows")
        lines.append(f"  Parquet: {summary['parquet_dir']}/")
    else:
        reason = pub["reason"] if pub else "the run stopped before publishing"
        lines.append(f"  NOT published: {reason}. The previous published file is unchanged.")
    if summary.get("highlights"):
        lines += ["", "Highlights"]
        for row in summary["highlights"]:
            value = row["value"]
            shown = f"{value:,.0f}" if value is not None and float(value).is_integer() else f"{value:.3f}"
            lines.append(f"  {row['label']:<70}{shown:>14}")
    lines += _render_volunteering(summary.get("volunteering"), summary.get("highlights") or [])
    lines += ["", "Query it:",
              f"  {summary['query_python']}",
              f"  {summary['query_cli']}   (DuckDB CLI 1.5.6, installed by make run)",
              f"  SQLAlchemy URL for Superset/Metabase (duckdb-engine): {summary['sqlalchemy_url']}", ""]
    return "\n".join(lines)


def _render_volunteering(vol: dict[str, Any] | None, highlights: list[dict[str, Any]]) -> list[str]:
    if not vol or not vol["vacancy_feeds"]:
        return []
    lines = ["", "Volunteering: vacancy changes applied by the latest harvest of each feed",
             f"  {'feed':<44}{'new':>8}{'updated':>9}{'deleted':>9}  (tombstones for never-seen ids)"]
    for f in vol["vacancy_feeds"]:
        lines.append(f"  {f['source']:<44}{f['new']:>8}{f['updated']:>9}{f['deleted']:>9}  ({f['unseen_deletions']})")
    figures = {h["metric"]: h["value"] for h in highlights if h["domain"] == "volunteering"}
    if figures:
        lines.append(f"  open roles now {figures.get('open_vacancies', 0):,.0f}; matches made "
                     f"{figures.get('matches_made', 0):,.0f}; roles with no suitable volunteer "
                     f"{figures.get('vacancies_unmatched', 0):,.0f}")
    for w in vol["unmapped_vacancy_wordings"]:
        lines.append(f"  unmapped {w['term_kind']} wording in vacancies: {w['term_text']!r} ({w['vacancy_uses']} uses)"
                     " — add it to dbt_project/seeds/volunteering/")
    return lines


def blocking_reason(summary: dict[str, Any]) -> str:
    """Why a run did not publish, from what each step recorded."""
    dbt = summary.get("dbt")
    if dbt is None:
        return "dbt build did not run or could not record its result"
    if not dbt["success"]:
        return "dbt build failed: " + "; ".join(dbt["failures"][:3])
    failing = [g for g in summary.get("gx") or [] if not g["success"]]
    if not summary.get("gx"):
        return "the GX quality gate did not run"
    if failing:
        return "GX quality gate failed: " + "; ".join(
            f"{g['suite']} ({', '.join(f['expectation'] for f in g['failed'][:3])})" for g in failing)
    return "publishing failed (see the publish task log)"
