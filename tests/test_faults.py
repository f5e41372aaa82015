"""Fault and bad-input suite: every case against the real demo server, after a previous good load.

Each case injects a fault (or bad input) and states what must happen:
- ``recovered``: the load succeeds (after retries / by detection) and reconciles;
- ``quarantined``: the load succeeds, the bad records are in raw.quarantine with a reason, counts reconcile;
- ``error``: the harvest fails with a clear message, the failure is in meta.load_ledger, and the source's
  previous raw partition is untouched (so nothing downstream changes).
The README's reliability section lists the same cases.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pytest
import requests

from ingest.harvest import HarvestError, harvest_source
from tests.conftest import reset_server, use_var_dir
from warehouse.settings import get_settings


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    faults: list[dict[str, Any]]
    expect: str  # recovered | quarantined | error
    match: str = ""  # regex the error or a quarantine reason must match
    table: str = ""  # raw table whose partition must be unchanged on error
    min_quarantined: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


AREA, DIR, DIR_V1, VAC, VOL = "ons_area", "directory_council", "directory_vcs", "bureau_north_vacancies", \
    "bureau_north_volunteers"
SURVEYS = "surveys"
IMD = "/area/imd.csv"
CENSUS = "/area/census_age_sex.csv"
DIR_PATH = "/directories/council/services"
DIR_V1_PATH = "/directories/vcs/services"
VAC_PATH = "/bureaus/north/vacancies"
VOL_PATH = "/bureaus/north/volunteers"
POLICE = "/surveys/police_confidence_2026/responses.csv"
COUNCIL = "/surveys/council_residents_2026/responses.csv"

CASES = [
    Case("http_500_then_recovery", AREA, [dict(path_prefix=IMD, mode="status", status=500, count=2)], "recovered"),
    Case("http_503_persistent", AREA, [dict(path_prefix=IMD, mode="status", status=503, count=-1)], "error",
         r"HTTP 503 after 5 attempt", "imd"),
    Case("http_429_retry_after", DIR, [dict(path_prefix=DIR_PATH, mode="retry_after", seconds=1, count=1)],
         "recovered"),
    Case("http_404_not_retried", DIR, [dict(path_prefix=DIR_PATH, mode="status", status=404, count=1)], "error",
         r"HTTP 404 after 1 attempt", "directory_services"),
    Case("read_timeout", AREA, [dict(path_prefix=CENSUS, mode="delay", seconds=3, count=1)], "error",
         r"no response within", "census_age_sex", extra={"read_timeout": 0.5}),
    Case("truncated_body", DIR, [dict(path_prefix=DIR_PATH, mode="truncate", fraction=0.5, honest=False,
                                      query={"page": "2"})], "error", r"cut short|connection lost",
         "directory_services"),
    Case("truncated_json", DIR, [dict(path_prefix=DIR_PATH, mode="truncate", fraction=0.5, honest=True)], "error",
         r"not valid JSON", "directory_services"),
    Case("paged_page_loop", DIR, [dict(path_prefix=DIR_PATH, mode="page_loop", count=-1)], "error",
         r"page loop", "directory_services"),
    Case("paged_never_ends", DIR, [], "error", r"did not end within the limit of 2 pages", "directory_services",
         extra={"max_pages": 2}),
    Case("paged_duplicate_page", DIR, [dict(path_prefix=DIR_PATH, mode="duplicate_page", query={"page": "2"})],
         "quarantined", r"exact duplicate"),
    # an RPDE harvest keeps the pages it applied before a failure (each with its high-water mark) and
    # resumes from there: "error" here means a clear failure, then a clean resume
    Case("rpde_next_points_at_itself", VAC, [dict(path_prefix=VAC_PATH, mode="page_loop", count=-1)], "error",
         r"page loop", extra={"resume": True}),
    Case("rpde_duplicate_page", VAC, [dict(path_prefix=VAC_PATH, mode="duplicate_page", skip=1, count=1)],
         "error", r"page loop|goes backwards", extra={"resume": True}),
    # a page served out of order is applied in feed order (nothing lost, nothing applied twice)
    Case("rpde_modified_backwards", VAC, [dict(path_prefix=VAC_PATH, mode="rpde_backwards", count=1)],
         "recovered", extra={"note": "out_of_order_pages=1"}),
    Case("empty_feed_csv", AREA, [dict(path_prefix=IMD, mode="empty", count=1)], "error", r"shrank", "imd"),
    Case("empty_feed_paged", DIR, [dict(path_prefix=DIR_PATH, mode="empty", count=-1)], "error", r"shrank",
         "directory_services"),
    Case("oversize_body", AREA, [dict(path_prefix=IMD, mode="oversize", bytes=3_000_000)], "error",
         r"exceeds the cap", "imd", extra={"max_bytes": 2_000_000}),
    Case("csv_renamed_column", AREA, [dict(path_prefix=IMD, mode="rename_column", column="LSOA code (2021)",
                                           new_name="LSOA21CD")], "error", r"not found", "imd"),
    Case("csv_missing_column", AREA, [dict(path_prefix=CENSUS, mode="drop_column", column="Observation")], "error",
         r"Observation", "census_age_sex"),
    Case("csv_extra_column", AREA, [dict(path_prefix=IMD, mode="extra_column", column="Notes", value="x")],
         "recovered", extra={"note": "ignored extra column"}),
    Case("csv_wrong_type", AREA, [dict(path_prefix=CENSUS, mode="wrong_type", field="Observation", value="n/a")],
         "error", r"shrank", "census_age_sex"),
    Case("json_renamed_key", DIR, [dict(path_prefix=DIR_PATH, mode="rename_column", column="name",
                                        new_name="title", count=-1)], "error", r"shrank", "directory_services"),
    Case("json_wrong_type", VOL, [dict(path_prefix=VOL_PATH, mode="wrong_type", field="max_travel_km",
                                       value="ten", query={"page": "1"})], "quarantined", r"not a number",
         min_quarantined=5),
    Case("json_extra_key", DIR, [dict(path_prefix=DIR_PATH, mode="extra_column", column="x_extension",
                                      value="x", count=-1)], "recovered"),
    Case("csv_windows_1252", SURVEYS, [dict(path_prefix=COUNCIL, mode="encoding", to="cp1252")], "recovered",
         extra={"note": "decoded as cp1252"}),
    Case("csv_utf8_bom", AREA, [dict(path_prefix=IMD, mode="encoding", to="utf-8-sig")], "recovered",
         extra={"note": "decoded as utf-8-sig"}),
    Case("csv_utf16_with_bom_decoded", AREA, [dict(path_prefix=IMD, mode="encoding", to="utf-16")], "recovered"),
    Case("duplicate_ids_paged", DIR, [dict(path_prefix=DIR_PATH, mode="duplicate_ids", n=3, query={"page": "1"})],
         "quarantined", r"exact duplicate", min_quarantined=3),
    Case("duplicate_rows_csv", AREA, [dict(path_prefix=IMD, mode="duplicate_ids", n=2)], "quarantined",
         r"duplicate key", min_quarantined=2),
    Case("duplicate_ids_rpde", VAC, [dict(path_prefix=VAC_PATH, mode="duplicate_ids", n=2, count=1)],
         "quarantined", r"repeats an item", min_quarantined=2),
    Case("survey_unknown_column", SURVEYS, [dict(path_prefix=COUNCIL, mode="extra_column", column="Phone number",
                                                 value="07700 900123")], "error", r"not in the questionnaire",
         "survey_respondents"),
    Case("survey_missing_identifier_column", SURVEYS, [dict(path_prefix=POLICE, mode="drop_column",
                                                            column="EMAIL")], "recovered"),
    Case("survey_one_agency_down", SURVEYS, [dict(path_prefix=POLICE, mode="status", status=404)], "error",
         r"police_confidence_2026.*HTTP 404", "survey_respondents"),
    Case("survey_out_of_range_answers", SURVEYS, [], "quarantined", r"not one of the question's options|outside"),
    Case("invalid_postcodes_volunteers", VOL, [], "quarantined", r"postcode .* is malformed"),
    Case("invalid_services_hsds", DIR_V1, [], "quarantined", r"postal_code|status|email|url"),
    Case("unknown_area_codes", AREA, [dict(path_prefix=IMD, mode="wrong_type", field="LSOA code (2021)",
                                           value="E01999999")], "error", r"shrank", "imd"),
]


def ledger(load_id: str) -> tuple:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute("SELECT status, received, loaded, quarantined, error, notes FROM meta.load_ledger "
                           "WHERE load_id LIKE ? ORDER BY finished_at", [f"%@{load_id}%"]).fetchall()


def partition(table: str) -> tuple[int, int]:
    """Row count and content checksum of a raw table, provenance columns aside."""
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
            "AND NOT starts_with(column_name, '_')", [table]).fetchall()]
        row = ", ".join(f'"{c}"' for c in columns)
        return con.execute(f"SELECT count(*), coalesce(sum(hash({row})), 0) FROM raw.{table}").fetchall()[0]


def reasons(load_id: str) -> list[str]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT reason FROM raw.quarantine WHERE _load_id LIKE ?",
                                          [f"%@{load_id}"]).fetchall()]


@pytest.fixture
def server(demo_url):
    reset_server(demo_url)
    yield demo_url
    reset_server(demo_url)


def _harvest(case: Case, base: str, run_key: str) -> list[dict[str, Any]]:
    import ingest.harvest as harvest_module

    overrides = {k: case.extra[k] for k in ("read_timeout", "max_bytes", "max_pages") if k in case.extra}
    if not overrides:
        return harvest_source(case.source, base_url=base, run_key=run_key)
    original = harvest_module.get_source

    def patched(source_id: str, settings: Any) -> Any:
        from dataclasses import replace

        return replace(original(source_id, settings), **overrides)

    harvest_module.get_source = patched
    try:
        return harvest_source(case.source, base_url=base, run_key=run_key)
    finally:
        harvest_module.get_source = original


def test_there_are_at_least_thirty_distinct_cases():
    assert len({c.name for c in CASES}) == len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault(case: Case, server, tmp_path, monkeypatch):
    use_var_dir(monkeypatch, tmp_path)
    if case.source in (AREA,) or case.source == SURVEYS or case.source == VOL:
        # surveys and volunteers need the postcode lookup; the area feed needs a previous good load
        harvest_source(AREA, base_url=server, run_key="baseline")
    if case.source != AREA:
        harvest_source(case.source, base_url=server, run_key="baseline")
    if case.source == VAC:
        requests.post(f"{server}/_control/advance", timeout=5).raise_for_status()
    before = partition(case.table) if case.table else None
    for rule in case.faults:
        requests.post(f"{server}/_control/faults", json=rule, timeout=5).raise_for_status()

    if case.expect == "error":
        with pytest.raises(HarvestError, match=case.match):
            _harvest(case, server, "faulty")
        rows = ledger("faulty")
        assert any(r[0] == "failed" and r[4] for r in rows), rows
        if case.table:
            assert partition(case.table) == before, "the previous partition must be untouched"
        if case.extra.get("resume"):
            requests.delete(f"{server}/_control/faults", timeout=5).raise_for_status()
            resumed = harvest_source(case.source, base_url=server, run_key="resumed")
            assert resumed[0]["status"] == "loaded"
        return

    loads = _harvest(case, server, "faulty")
    for load in loads:
        assert load["status"] == "loaded"
        assert load["received"] == load["loaded"] + load["quarantined"]
    if case.expect == "quarantined":
        found = reasons("faulty")
        assert len(found) >= case.min_quarantined, found
        import re

        assert any(re.search(case.match, r) for r in found), found[:5]
    if "note" in case.extra:
        assert any(case.extra["note"] in (r[5] or "") for r in ledger("faulty"))


def test_connection_timeout(tmp_path, monkeypatch):
    """A server that never completes the TCP handshake (its accept backlog is full)."""
    from ingest.http_client import FeedClient, FeedError

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):  # fill the backlog so further SYNs are dropped
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.connect(("127.0.0.1", port))
        fillers.append(s)
    try:
        with FeedClient("t", f"http://127.0.0.1:{port}", connect_timeout=0.5, read_timeout=0.5) as client, \
                pytest.raises(FeedError, match=r"timed out|no response"):
            client.get("/area/imd.csv")
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_connection_refused(tmp_path, monkeypatch, unused_port):
    use_var_dir(monkeypatch, tmp_path)
    with pytest.raises(HarvestError, match="connection failed"):
        harvest_source(AREA, base_url=f"http://127.0.0.1:{unused_port}", run_key="refused")
    assert ledger("refused")[0][0] == "failed"
