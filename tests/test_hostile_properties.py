"""Property-based tests (Hypothesis): generated and mangled CSV / JSON thrown at the readers.

Invariants:
- ``parse_csv`` never raises anything but SchemaDriftError; a well-formed CSV round-trips row for row;
  every swallowed row is also a problem row; records = rows + swallowed lines.
- A survey harvest over real HTTP (the hostile proxy serving generated bodies) never lets an exception
  escape other than HarvestError, always leaves a ledger row for the survey, and a `loaded` row
  reconciles: physical records = received = loaded + quarantined, with exactly `loaded` raw respondents.
Examples are bounded (``max_examples``) so the suite stays fast.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import tempfile
import unicodedata
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.csv_text import SchemaDriftError, parse_csv
from ingest.harvest import HarvestError, harvest_source
from tests.conftest import use_var_dir
from tests.hostile_proxy import hostile_proxy

CELL = st.text(alphabet=st.sampled_from(list('ab1 ,"\n\r\x00é１Ж\t;')), max_size=12)
ROWS = st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=0, max_size=25)


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(ROWS)
def test_well_formed_csv_round_trips(rows):
    parsed = parse_csv(_csv(["id", "q1", "q2"], rows))
    expected = [[unicodedata.normalize("NFKC", c) for c in r] for r in rows if any(c.strip() for c in r)]
    assert parsed.rows == expected
    assert parsed.records == len(expected)
    assert set(parsed.swallowed) <= set(parsed.row_problems)


@settings(max_examples=150, deadline=None)
@given(ROWS)
def test_every_row_with_a_nul_is_a_problem_row(rows):
    """parse_csv skips the per-cell checks when the whole body is clean: the rows it must flag still are."""
    parsed = parse_csv(_csv(["id", "q1", "q2"], rows))
    kept = [r for r in rows if any(c.strip() for c in r)]
    assert len(parsed.rows) == len(kept)
    for index, row in enumerate(kept):
        dirty = any("\x00" in c for c in row)
        assert (index in parsed.row_problems) == dirty or index in parsed.swallowed


@settings(max_examples=200, deadline=None)
@given(ROWS, st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=3)), max_size=4))
def test_mangled_csv_never_escapes_and_accounts_for_records(rows, damage):
    body = bytearray(_csv(["id", "q1", "q2"], rows))
    for position, junk in damage:
        at = position % (len(body) + 1)
        body[at:at] = junk
    try:
        parsed = parse_csv(bytes(body))
    except SchemaDriftError:
        return
    assert set(parsed.swallowed) <= set(parsed.row_problems)
    assert parsed.records == len(parsed.rows) + sum(parsed.swallowed.values())
    assert parsed.records >= len(parsed.rows)


QUESTIONNAIRE = {
    "survey_id": "gen_2026", "agency": "gen", "title": "Generated", "fieldwork_start": "2026-01-01",
    "fieldwork_end": "2026-06-30",
    "columns": [
        {"id": "rid", "text": "Response ID", "role": "response_id"},
        {"id": "sub", "text": "Submitted", "role": "submitted_at"},
        {"id": "Q1", "text": "Question one", "role": "question", "type": "single",
         "options": [{"code": "1", "label": "Yes"}, {"code": "2", "label": "No"}]},
        {"id": "Q2", "text": "Question two", "role": "question", "type": "scale", "min": 0, "max": 10},
    ],
}
INDEX = {"surveys": [{"survey_id": "gen_2026", "questionnaire": "/gen/q.json", "responses": "/gen/r.csv"}]}
ANSWER_ROW = st.tuples(st.integers(1, 60).map(str),
                       st.sampled_from(["2026-02-01T10:00:00Z", "2099-01-01", "not a date", "", "01/03/2026"]),
                       st.sampled_from(["1", "2", "Yes", "no", "3", "", "１"]),
                       st.sampled_from(["0", "10", "11", "x", "", "５"]))


@pytest.fixture(scope="module")
def generated_server():
    with hostile_proxy("http://127.0.0.1:9") as proxy:  # no upstream: every path served has a rule
        proxy.rules["/surveys/index.json"] = {"body": json.dumps(INDEX).encode()}
        proxy.rules["/gen/q.json"] = {"body": json.dumps(QUESTIONNAIRE).encode(),
                                      "headers": {"Content-Type": "application/json"}}
        yield proxy


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ANSWER_ROW, max_size=30),
       damage=st.lists(st.tuples(st.integers(0, 5_000), st.sampled_from([b'"', b"\xff", b"\x00", b",", b"\n",
                                                                          b"Q1,"])), max_size=3))
def test_survey_harvest_always_leaves_a_reconciling_ledger_row(generated_server, rows, damage):
    body = bytearray(_csv(["Response ID", "Submitted", "Q1", "Q2"], [list(r) for r in rows]))
    for position, junk in damage:
        at = position % (len(body) + 1)
        body[at:at] = junk
    generated_server.rules["/gen/r.csv"] = {"body": bytes(body)}
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        use_var_dir(mp, Path(tmp))
        with contextlib.suppress(HarvestError):
            harvest_source("surveys", base_url=generated_server.base_url)
        from warehouse.settings import get_settings

        con = duckdb.connect(str(get_settings().warehouse_path), read_only=True)
        try:
            ledger = con.execute("SELECT status, received, loaded, quarantined, physical_records, error "
                                 "FROM meta.load_ledger WHERE source = 'surveys/gen_2026'").fetchall()
            assert len(ledger) == 1
            status, received, loaded, quarantined, physical, error = ledger[0]
            if status == "loaded":
                assert received == loaded + quarantined == physical
                held = con.execute("SELECT count(*) FROM raw.survey_respondents").fetchone()[0]
                assert held == loaded
            else:
                assert status == "failed" and error
        finally:
            con.close()
