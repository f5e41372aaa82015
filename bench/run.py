"""Benchmark: the whole pipeline at county, region or England scale — time, throughput and memory.

``make bench SCALE=england`` (or ``python -m bench.run --scale england``). Not part of ``make test``.

Each stage runs in its own process, exactly the function the Airflow task calls, so its wall time and
peak RSS (from ``wait4``) are its own: one fetch process for every source (concurrently, no warehouse),
one load per source started as soon as its fetch finishes (one at a time: the one writer), as the DAGs'
mapped fetch → load task groups run, then ``dbt build`` (with the slowest models from dbt's
run_results.json), the GX gate, and publish. Loads overlap the fetch, so the reported peak RSS counts the
fetch's peak plus the largest load's. Alongside: the floor (DuckDB loading every raw
input into tables plus Splink alone on the same respondents, bench/floor.py; a pandas script for one
mart as a peer figure), an incremental run (one new 10,000-response survey), and a read scenario (one area's
profile and its top services from the published file). Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH_KEY = "benchmark-hash-key-not-secret-32b"
FETCH_WORKERS = 6


@dataclass
class Stage:
    name: str
    seconds: float
    peak_rss_mb: float
    rows: int | None = None
    ok: bool = True
    detail: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: float | None = None  # user + system CPU of the stage's process (from wait4)

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds else None


BENCH_MEMORY_LIMIT = "2500MB"


class StageProcess:
    """One stage running in a fresh interpreter; ``on_line`` sees each output line as it arrives.

    ``code`` may print one JSON line prefixed RESULT: for details.
    """

    def __init__(self, name: str, code: str, env: dict[str, str],
                 on_line: Callable[[str], None] | None = None) -> None:
        self.name = name
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.output_closed: float | None = None  # when the process closed its output (it ended)
        self._reader = threading.Thread(target=self._read, args=(on_line,), name=f"bench-{name}", daemon=True)
        self._reader.start()

    def _read(self, on_line: Callable[[str], None] | None) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if on_line is not None:
                on_line(line)
        self.output_closed = time.perf_counter()

    def wait(self) -> tuple[Stage, dict[str, Any]]:
        self._reader.join()
        _, status, usage = os.wait4(self.proc.pid, 0)
        # its own wall time, not when the caller got round to waiting (loads run while the fetch does)
        seconds = (self.output_closed or time.perf_counter()) - self.started
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        result: dict[str, Any] = {}
        for line in self.lines:
            if "RESULT:" in line:  # progress bars may share the line (carriage returns, no newline)
                result = json.loads(line.split("RESULT:", 1)[1])
        stage = Stage(self.name, seconds, usage.ru_maxrss / 1024, result.get("rows"), self.proc.returncode == 0,
                      {k: v for k, v in result.items() if k != "rows"}, usage.ru_utime + usage.ru_stime)
        if self.proc.returncode != 0:
            stage.detail["error"] = "".join(self.lines[-15:])
        return stage, result


def run_stage(name: str, code: str, env: dict[str, str]) -> tuple[Stage, dict[str, Any]]:
    """Run ``code`` in a fresh interpreter and wait for it (see :class:`StageProcess`)."""
    return StageProcess(name, code, env).wait()


def load_order(families: dict[str, str], fetched: list[str], loaded: set[str]) -> str | None:
    """The next source to load, of those fetched so far (in the order they finished), or None to wait.

    As the DAGs run it: area profiles in registry order and first; families that place postcodes through
    the lookup (``NEEDS_POSTCODE_LOOKUP``) only once every area source has loaded; directories any time.
    """
    from ingest.sources import NEEDS_POSTCODE_LOOKUP

    area = [s for s, family in families.items() if family == "area_profiles"]
    area_pending = [s for s in area if s not in loaded]
    if area_pending and area_pending[0] in fetched:
        return area_pending[0]
    for source in fetched:
        family = families[source]
        if source in loaded or family == "area_profiles":
            continue
        if family in NEEDS_POSTCODE_LOOKUP and area_pending:
            continue
        return source
    return None


def machine_cpu_ticks(stat: str | None = None) -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine from ``/proc/stat``'s ``cpu`` line; None off Linux.

    Busy is every column but idle and iowait (guest time is already inside user and nice)."""
    if stat is None:
        try:
            stat = Path("/proc/stat").read_text()
        except OSError:
            return None
    for line in stat.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
            return sum(ticks) - ticks[3] - ticks[4], sum(ticks)
    return None


def busy_fraction(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """Share of the machine's CPU time spent busy between two ``machine_cpu_ticks`` readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def fetch_and_load(families: dict[str, str], env: dict[str, str]) -> list[Stage]:
    """Fetch every source concurrently in one process and load each in its own process as soon as it is
    fetched (one load at a time: the one writer), so loads overlap the fetches still running.

    The fetch stage's detail says how busy the machine's cores were over the whole ingestion (the feed
    server included) and how long the writer sat idle waiting for a fetch: idle cores and a busy writer
    mean work should move out of the loads; saturated cores mean moving it gains nothing."""
    finished: queue.Queue[str] = queue.Queue()
    ticks_before = machine_cpu_ticks()

    def on_line(line: str) -> None:
        if line.startswith("FETCHED:"):
            finished.put(json.loads(line.split(":", 1)[1])["source"])

    source_ids = list(families)
    fetch = StageProcess(f"fetch {len(source_ids)} sources ({FETCH_WORKERS} at a time)",
                         FETCH.format(sources=source_ids, key="bench", workers=FETCH_WORKERS), env, on_line)
    fetched: list[str] = []
    loaded: set[str] = set()
    loads: list[Stage] = []
    writer_busy = 0.0
    while len(loaded) < len(source_ids):
        source = load_order(families, fetched, loaded)
        if source is None:
            try:
                fetched.append(finished.get(timeout=1.0))
            except queue.Empty:
                if fetch.proc.poll() is not None and finished.empty():
                    break  # the fetch process ended without reporting the rest: their loads are not run
            continue
        stage, _ = run_stage(f"load {source}", LOAD.format(source=source, key="bench", fetch_id=f"{source}/bench"),
                             env)
        loads.append(stage)
        loaded.add(source)
        writer_busy += stage.seconds
        print(render([stage]).splitlines()[-1], flush=True)
    fetch_stage, _ = fetch.wait()
    ingestion_seconds = time.perf_counter() - fetch.started  # fetch and every load
    fetch_stage.detail["ingestion_seconds"] = ingestion_seconds
    fetch_stage.detail["writer_idle_seconds"] = max(0.0, ingestion_seconds - writer_busy)
    fetch_stage.detail["machine_cpu_busy"] = busy_fraction(ticks_before, machine_cpu_ticks())
    missing = [s for s in source_ids if s not in loaded]
    if missing:
        fetch_stage.ok = False
        fetch_stage.detail.setdefault("error", f"never loaded (fetch did not report them): {missing}")
    print(render([fetch_stage]).splitlines()[-1], flush=True)
    busy = fetch_stage.detail["machine_cpu_busy"]
    print(f"ingestion (the fetch and every load, overlapped): {ingestion_seconds:.1f}s; writer idle "
          f"{fetch_stage.detail['writer_idle_seconds']:.1f}s; machine CPU busy "
          f"{'n/a' if busy is None else f'{busy:.0%}'} (load CPU {sum(s.cpu_seconds or 0 for s in loads):.1f}s, "
          f"fetch CPU {fetch_stage.cpu_seconds or 0:.1f}s)", flush=True)
    return [fetch_stage, *loads]


def pipeline_env(var_dir: Path, base_url: str, sources_file: Path | None, as_of: str,
                 mappings_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CG_")}
    env.update({"CG_VAR_DIR": str(var_dir), "CG_HASH_KEY": BENCH_KEY, "CG_AS_OF_DATE": as_of,
                "CG_MAPPINGS_DIR": str(mappings_dir),
                "DO_NOT_TRACK": "1", "CG_BENCH_BASE_URL": base_url,
                "CG_DEMO_MODE": "1",  # the benchmark key is a published one: accepted in demo mode only
                # DuckDB's buffer cache fills to its limit; 2500MB keeps every stage's process under 4 GB
                # at England scale at no measured cost in time (dbt 365 s at 2500MB, 372 s at 3GB)
                "CG_DUCKDB_MEMORY_LIMIT": os.environ.get("CG_DUCKDB_MEMORY_LIMIT", BENCH_MEMORY_LIMIT)})
    if sources_file:
        env["CG_SOURCES_FILE"] = str(sources_file)
    return env


def sources_for_scale(data_dir: Path, out: Path) -> Path:
    """The registry for this scale: every directory and bureau the generator wrote."""
    import yaml

    base = yaml.safe_load((REPO / "config" / "sources.yml").read_text())
    sources = [s for s in base["sources"] if s["family"] in ("area_profiles", "surveys")]
    for directory in json.loads((data_dir / "directories" / "index.json").read_text())["directories"]:
        sources.append({"id": f"directory_{directory['id']}", "family": "service_maps",
                        "protocol": "hsds_services", "path": f"/directories/{directory['id']}/services"})
    for bureau in json.loads((data_dir / "bureaus" / "index.json").read_text())["bureaus"]:
        sources.append({"id": f"bureau_{bureau['id']}_vacancies", "family": "volunteering",
                        "protocol": "rpde_vacancies", "path": f"/bureaus/{bureau['id']}/vacancies"})
        sources.append({"id": f"bureau_{bureau['id']}_volunteers", "family": "volunteering",
                        "protocol": "paged_volunteers", "path": f"/bureaus/{bureau['id']}/volunteers",
                        "archive_payloads": False})
    if (data_dir / "bureaus" / "platform" / "activities.json").exists():  # the Volunteering Data Standard platform
        sources.append({"id": "bureau_platform_vacancies", "family": "volunteering", "protocol": "vds_activities",
                        "path": "/bureaus/platform/activities.json"})
    out.write_text(yaml.safe_dump({"defaults": base["defaults"], "sources": sources}, sort_keys=False))
    return out


HARVEST = """
    import json, os
    from ingest.harvest import harvest_source
    loads = harvest_source({source!r}, base_url=os.environ["CG_BENCH_BASE_URL"], run_key={key!r})
    print("RESULT:" + json.dumps({{"rows": sum(r.get("received") or 0 for r in loads),
                                   "quarantined": sum(r.get("quarantined") or 0 for r in loads)}}))
"""
FETCH = """
    import json, os
    from ingest.prefetch import fetch_all
    done = fetch_all({sources!r}, lambda _: os.environ["CG_BENCH_BASE_URL"], {key!r}, workers={workers},
                     on_done=lambda r: print("FETCHED:" + json.dumps({{"source": r.source_id}}), flush=True))
    failed = [r.source_id + ": " + r.error for r in done if r.error]
    if failed:
        raise SystemExit("fetch failed: " + "; ".join(failed))
    print("RESULT:" + json.dumps({{"sources": len(done), "slowest": max(r.seconds for r in done)}}))
"""
LOAD = """
    import json
    from ingest.harvest import load_source
    loads = load_source({source!r}, {fetch_id!r}, run_key={key!r})
    print("RESULT:" + json.dumps({{"rows": sum(r.get("received") or 0 for r in loads),
                                   "quarantined": sum(r.get("quarantined") or 0 for r in loads)}}))
"""
DBT = """
    import json
    from warehouse.dbt_build import build
    from warehouse.settings import get_settings
    outcome = build({key!r})
    results = json.loads((get_settings().dbt_target_dir / "run_results.json").read_text())["results"]
    models = sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in results
                     if r["unique_id"].startswith("model.")), reverse=True)
    print("RESULT:" + json.dumps({{"counts": outcome["counts"], "slowest_models": models[:8]}}))
"""
GATE = """
    import json
    from expectations.gate import run_gate
    results = run_gate({key!r})
    slowest = sorted(((r.get("seconds", 0), r.get("read_seconds", 0), r["suite"]) for r in results), reverse=True)
    print("RESULT:" + json.dumps({{"rows": sum(r["rows"] for r in results), "suites": len(results),
                                   "slowest_suites": slowest[:8]}}))
"""
PUBLISH = """
    import json
    from warehouse.publish import publish
    record = publish({key!r})
    print("RESULT:" + json.dumps({{"rows": sum(t["rows"] for t in record["tables"].values()),
                                   "tables": len(record["tables"])}}))
"""
FLOOR = """
    import json
    from bench.floor import {part}
    print("RESULT:" + json.dumps({part}({path!r})))
"""
READS = """
    import duckdb, json, statistics, time
    con = duckdb.connect({path!r}, read_only=True)
    tables = {{r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}}
    lsoas = [r[0] for r in con.execute("SELECT lsoa_code FROM area_profiles ORDER BY hash(lsoa_code) LIMIT 200")
             .fetchall()]
    services = "service_map" in tables
    timings = []
    for code in lsoas:
        t = time.perf_counter()
        con.execute("SELECT * FROM area_profiles WHERE lsoa_code = ?", [code]).fetchall()
        if "quality_of_life" in tables:
            con.execute("SELECT * FROM quality_of_life WHERE area_code = ?", [code]).fetchall()
        if services:
            con.execute("SELECT * FROM service_map WHERE lsoa_code = ? LIMIT 10", [code]).fetchall()
        timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    print("RESULT:" + json.dumps({{"lookups": len(timings), "p50_ms": statistics.median(timings),
                                   "p95_ms": timings[int(len(timings) * 0.95) - 1],
                                   "with_services": services}}))
"""


def render(stages: list[Stage]) -> str:
    lines = [f"{'stage':<44}{'seconds':>10}{'CPU s':>9}{'rows':>12}{'rows/s':>12}{'peak RSS MB':>13}  ok"]
    for s in stages:
        rps = f"{s.rows_per_second:,.0f}" if s.rows_per_second else "-"
        rows = f"{s.rows:,}" if s.rows else "-"
        cpu = "-" if s.cpu_seconds is None else f"{s.cpu_seconds:.1f}"
        lines.append(f"{s.name:<44}{s.seconds:>10.1f}{cpu:>9}{rows:>12}{rps:>12}{s.peak_rss_mb:>13.0f}  "
                     f"{'yes' if s.ok else 'NO'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="county", choices=["tiny", "county", "region", "england"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--skip-incremental", action="store_true")
    args = parser.parse_args(argv)

    from warehouse.demo_run import demo_server

    work = args.work / f"{args.scale}-seed{args.seed}"
    data_dir = work / "demo"
    stages: list[Stage] = []
    if not (data_dir / "manifest.json").exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "demo.generate", "--scale", args.scale, "--seed", str(args.seed),
                        "--out", str(data_dir), "--quiet"], check=True, cwd=REPO)
        print(f"generated {args.scale} demo data in {time.perf_counter() - started:.0f}s", flush=True)
    manifest = json.loads((data_dir / "manifest.json").read_text())
    var_dir = work / "var"
    subprocess.run(["rm", "-rf", str(var_dir)], check=True)
    var_dir.mkdir(parents=True)
    sources_file = sources_for_scale(data_dir, work / "sources.yml")
    mappings_dir = work / "survey_mappings"  # a copy: the incremental scenario adds one file to it
    shutil.rmtree(mappings_dir, ignore_errors=True)
    shutil.copytree(REPO / "config" / "survey_mappings", mappings_dir)
    import yaml

    families = {s["id"]: s["family"] for s in yaml.safe_load(sources_file.read_text())["sources"]}
    report: dict[str, Any] = {"scale": args.scale, "seed": args.seed, "counts": manifest["counts"]}
    # the feed server in a process of its own: in this one it grew to ~1 GB serving England's surveys, and a
    # child's ru_maxrss counts its parent's RSS at the fork (Linux), so every small load reported ≥ 1 GB
    with demo_server(data_dir, work) as base_url:
        env = pipeline_env(var_dir, base_url, sources_file, manifest["reference_date"], mappings_dir)
        total_started = time.perf_counter()
        # fetch every source concurrently (no warehouse needed); load each as soon as it is fetched (one writer)
        ingestion = fetch_and_load(families, env)
        stages.extend(ingestion)
        # the fetch process runs alongside every load: their peaks add up
        overlapped_peak = ingestion[0].peak_rss_mb + max((s.peak_rss_mb for s in ingestion[1:]), default=0.0)
        for name, code in (("dbt build", DBT), ("GX quality gate", GATE), ("publish", PUBLISH)):
            stage, _ = run_stage(name, code.format(key="bench"), env)
            stages.append(stage)
            print(render([stage]).splitlines()[-1], flush=True)
            if not stage.ok:
                break
        total = time.perf_counter() - total_started
        floors = [run_stage(name, FLOOR.format(part=part, path=path), env)[0] for name, part, path in (
            ("floor: DuckDB loads every raw input", "load_raw", str(data_dir)),
            ("floor: Splink alone, same respondents", "splink_alone",
             str(var_dir / "warehouse" / "private.duckdb")))]
        peer, _ = run_stage("peer: pandas script, area_profiles", FLOOR.format(
            part="pandas_area_profiles", path=str(data_dir)), env)
        reads, read_result = run_stage("reads: area profile + top services",
                                       READS.format(path=str(var_dir / "published" / "common_ground.duckdb")), env)
    accuracy = None
    if all(s.ok for s in stages):
        from analytics.demo_accuracy import measure

        accuracy = measure(var_dir / "warehouse" / "private.duckdb", data_dir / "ground_truth")
    incremental = None
    if not args.skip_incremental:
        from bench.incremental import incremental_run

        incremental = incremental_run(data_dir, env, run_stage, HARVEST, DBT, GATE, PUBLISH)
    peak = max(overlapped_peak, *(s.peak_rss_mb for s in stages))
    floor_seconds = sum(f.seconds for f in floors)
    summary = {
        "end_to_end_seconds": total, "ingestion_seconds": stages[0].detail.get("ingestion_seconds"),
        "ingestion_machine_cpu_busy": stages[0].detail.get("machine_cpu_busy"),
        "ingestion_writer_idle_seconds": stages[0].detail.get("writer_idle_seconds"),
        "peak_rss_mb": peak, "floor_seconds": floor_seconds,
        "floor_parts": {f.name: round(f.seconds, 1) for f in floors}, "floor_ok": all(f.ok for f in floors),
        "ratio_to_floor": total / floor_seconds if floor_seconds else None,
        "peer_pandas_area_profiles_seconds": peer.seconds,
        "reads": read_result, "incremental": incremental, "accuracy": accuracy,
        "all_stages_ok": all(s.ok for s in stages),
    }
    report.update(summary)
    report["stages"] = [{**asdict(s), "rows_per_second": s.rows_per_second} for s in [*stages, *floors, peer, reads]]
    print()
    print(render([*stages, *floors, peer, reads]))
    print(f"\nend to end {total:.1f}s; peak RSS {peak:.0f} MB; floor (load every raw input + Splink alone) "
          f"{floor_seconds:.1f}s{'' if summary['floor_ok'] else ' (a floor part FAILED)'}; "
          f"pipeline/floor {summary['ratio_to_floor']:.1f}x; peer: pandas area_profiles {peer.seconds:.1f}s")
    if read_result:
        print(f"reads: p50 {read_result['p50_ms']:.2f} ms, p95 {read_result['p95_ms']:.2f} ms "
              f"over {read_result['lookups']} lookups")
    if accuracy:
        from analytics.demo_accuracy import render as render_accuracy

        print(render_accuracy(accuracy))
    if incremental:
        print(f"incremental (one new {incremental['responses']:,}-response survey): "
              f"{incremental['seconds']:.1f}s ({'ok' if incremental['ok'] else 'FAILED'}) {incremental['stages']}")
        for error in incremental["errors"]:
            print(error)
    for stage in stages:
        if stage.detail.get("slowest_models"):
            print("slowest dbt models: " + ", ".join(f"{m} {t:.1f}s" for t, m in stage.detail["slowest_models"]))
        if stage.detail.get("slowest_suites"):
            print("slowest GX suites (total/reading the frame): " + ", ".join(
                f"{name} {t:.1f}s/{read:.1f}s" for t, read, name in stage.detail["slowest_suites"]))
        if not stage.ok:
            print(f"FAILED {stage.name}:\n{stage.detail.get('error')}")
    out = work / "bench.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"JSON: {out}")
    return 0 if summary["all_stages_ok"] and (incremental is None or incremental["ok"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
