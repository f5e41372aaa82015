"""Fetch many sources at once (a thread pool; fetches need no warehouse), for runs outside the scheduler.

``make run`` fetches every source concurrently, then loads them one at a time (the loads share the one
DuckDB writer); the benchmark loads each source as soon as its fetch is done (``on_done``), as Airflow's
mapped fetch → load task group does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)
WORKERS = 6


@dataclass(frozen=True)
class Prefetched:
    source_id: str
    fetch_id: str | None
    error: str | None
    seconds: float


def fetch_all(source_ids: list[str], base_url_for: Callable[[str], str], run_key: str, *,
              run_id: str | None = None, settings: Settings | None = None, workers: int = WORKERS,
              on_done: Callable[[Prefetched], None] | None = None) -> list[Prefetched]:
    """Fetch every source into a staged fetch under ``run_key``; a failure is reported (and its ledger row
    spooled by :func:`ingest.harvest.fetch_source`), never raised, so the other sources still fetch.
    ``on_done`` is called (from a worker thread, one call at a time) as each source finishes."""
    import time

    from ingest.harvest import fetch_source

    settings = settings or get_settings()
    report_lock = threading.Lock()

    def fetch_one(source_id: str) -> Prefetched:
        started = time.perf_counter()
        try:
            fetch_id = fetch_source(source_id, base_url=base_url_for(source_id), run_key=run_key, run_id=run_id,
                                    settings=settings)
        except Exception as exc:
            log.error("[%s] prefetch failed: %s", source_id, exc)
            return Prefetched(source_id, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
        return Prefetched(source_id, fetch_id, None, time.perf_counter() - started)

    def one(source_id: str) -> Prefetched:
        done = fetch_one(source_id)
        if on_done is not None:
            with report_lock:
                on_done(done)
        return done

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch") as pool:
        return list(pool.map(one, source_ids))
