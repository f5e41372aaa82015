"""Declared export layouts whose rows are shorter or longer than the header (tools trim trailing empty cells),
and structural problems inside a declared layout, through ingest/feeds/export_widths.py and the survey reader
over real HTTP. The layouts are the tools' (Google Forms / SurveyMonkey); the rows are written here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from ingest.feeds.export_widths import reconcile_widths
from ingest.feeds.surveys import SurveyReader
from ingest.http_client import FeedClient
from ingest.landing import Landing, LoadContext
from ingest.pseudonymise import Pseudonymiser
from tests.fixture_server import serve
from tests.test_real_survey_exports import SM_EXPORT, SURVEYMONKEY


def test_empty_extra_cells_are_trimmed_and_non_empty_ones_are_malformed():
    fitted = reconcile_widths([["a", "b", "c", "", ""], ["a", "b", "c", "x"]], 3, {}, pad=False)
    assert fitted.rows == [["a", "b", "c"]] and fitted.trimmed == 1 and fitted.kept == [0]
    assert fitted.problems == {1: "row has 4 cells, header has 3: 1 extra non-empty cell(s), so which column "
                                  "shifted cannot be told"}


def test_short_rows_are_padded_only_when_the_layout_says_the_tool_trims():
    rows = [["r1", "4", "5"], ["r2", "3"]]
    assert reconcile_widths(rows, 4, {}, pad=False).problems == {
        0: "row has 3 cells, header has 4 (if the tool trims trailing empty columns, declare "
           "export.pad_short_rows: true)",
        1: "row has 2 cells, header has 4 (if the tool trims trailing empty columns, declare "
           "export.pad_short_rows: true)"}
    fitted = reconcile_widths(rows, 5, {}, pad=True)
    assert fitted.rows == [["r1", "4", "5", "", ""], ["r2", "3", "", "", ""]] and fitted.padded == 2


def test_fragments_are_never_padded_into_records():
    # one record of width 5 split inside its 3rd cell: 3 + 3 cells = 5 + 1
    rows = [["r1", "4", "first half"], ["second half", "5", "GL1 1AA"], ["r3", "1", "x", "y", "z"], ["tail"]]
    fitted = reconcile_widths(rows, 5, {}, pad=True)
    assert fitted.kept == [2]
    assert fitted.problems[0] == fitted.problems[1] == (
        "row has 3 cells, header has 5: rows 1 and 2 together have the header's width plus one — one record split "
        "by a line break in an unquoted cell")
    assert fitted.problems[3] == "a line of 1 cell where the header has 5: a fragment, not a record"


def test_rows_with_a_structural_problem_are_not_kept():
    fitted = reconcile_widths([["a", "b"], ["c", "d"]], 2, {1: "column 2 holds a NUL byte"}, pad=True)
    assert fitted.kept == [0] and fitted.problems == {1: "column 2 holds a NUL byte"}


GOOGLE = (b"Timestamp,How satisfied are you?,Which services did you use?,Anything else?\n"
          b"3/1/2026 9:15:02,Satisfied,Library,Tr\xc3\xa8s bien\n"     # UTF-8 "è": the file is not cp1252
          b"3/1/2026 9:16:40,Dissatisfied\n"                       # trailing empty answers trimmed by the tool
          b"3/1/2026 9:17:00,Satisfied,Library,more,than,header\n"  # extra non-empty cells: malformed
          b"3/1/2026 9:18:00,Satisfied,Library,,,\n"                # extra empty cells: trimmed
          b"3/1/2026 9:19:00,Satisfied,Li\xffbrary,\n")            # invalid UTF-8 byte: quarantined, not re-encoded


def questionnaire(export: dict[str, Any]) -> dict[str, Any]:
    return {"survey_id": "g1", "agency": "vcs", "title": "Forms", "period": "2026Q1", "export": export,
            "columns": [{"id": "Response ID", "role": "response_id"},
                        {"id": "Timestamp", "role": "submitted_at"},
                        {"id": "q1", "text": "How satisfied are you?", "role": "question", "type": "single",
                         "options": [{"code": "1", "label": "Satisfied"}, {"code": "2", "label": "Dissatisfied"}]},
                        {"id": "q2", "text": "Which services did you use?", "role": "question", "type": "single",
                         "options": [{"code": "1", "label": "Library"}]},
                        {"id": "q3", "text": "Anything else?", "role": "question", "type": "text"}]}


def read(doc: dict[str, Any], body: bytes) -> Landing:
    con = duckdb.connect()
    with serve({"/q.json": doc, "/r.csv": body}) as (base, _), FeedClient("surveys", base) as client:
        return SurveyReader(client, Pseudonymiser(b"k" * 32), con).read(
            {"survey_id": doc["survey_id"], "questionnaire": "/q.json", "responses": "/r.csv"},
            LoadContext("surveys/g1", "surveys", "g1@t", started_at=datetime.now(UTC)))


GOOGLE_EXPORT = {"tool": "google_forms", "derive_response_id": "Response ID", "pad_short_rows": True,
                 "dates": {"Timestamp": "%m/%d/%Y %H:%M:%S"}}


def test_a_trimmed_google_forms_export_reconciles_through_the_reader():
    landing = read(questionnaire(GOOGLE_EXPORT), GOOGLE)
    assert (landing.received, landing.loaded, landing.quarantined) == (5, 3, 2)
    assert [(q.record_key, q.reason) for q in landing.quarantine] == [
        ("g1:record 3", "row has 6 cells, header has 4: 2 extra non-empty cell(s), so which column shifted cannot "
                        "be told"),
        ("g1:record 5", "column 3 holds invalid bytes for the file's encoding")]
    assert "1 row(s) padded with empty cells to the header's width (export.pad_short_rows: trailing empty columns " \
           "trimmed by the tool)" in landing.notes
    assert "1 row(s) trimmed of empty trailing cells to the header's width (beyond the header)" in landing.notes
    answers = {t.name: t.rows.to_pylist() for t in landing.tables}["survey_answers"]
    assert sorted(a["answer_code"] for a in answers if a["question_id"] == "q1") == ["1", "1", "2"]
    assert landing.physical_records == landing.received


def test_without_pad_short_rows_the_trimmed_row_is_quarantined_with_the_hint():
    landing = read(questionnaire({**GOOGLE_EXPORT, "pad_short_rows": False}), GOOGLE)
    assert (landing.received, landing.loaded, landing.quarantined) == (5, 2, 3)
    assert "declare export.pad_short_rows: true" in landing.quarantine[0].reason


def test_an_unclosed_quote_in_a_surveymonkey_export_counts_every_swallowed_line():
    lines = SURVEYMONKEY.splitlines(keepends=True)
    broken = lines[0] + lines[1] + lines[2].replace(",Satisfied,", ',"Satisfied,', 1) + lines[3] + lines[3]
    doc = {"survey_id": "g1", "period": "2026Q1", "export": SM_EXPORT, "columns": [
        {"id": "rid", "text": "Respondent ID", "role": "response_id"},
        {"id": "sub", "text": "End Date", "role": "submitted_at"},
        *[{"id": f"c{i}", "text": t, "role": "question", "type": "text"} for i, t in enumerate([
            "How satisfied are you with local services?", "Which services did you use? - Library",
            "Which services did you use? - Leisure centre", "Which services did you use? - Other (please specify)",
            "Your postcode"])]]}
    landing = read(doc, broken.encode())
    assert (landing.received, landing.loaded, landing.quarantined) == (3, 0, 3)
    assert landing.quarantine[0].reason == "a quoted field never closes and swallowed the next 2 line(s)"
    assert landing.physical_records == landing.received == 3
