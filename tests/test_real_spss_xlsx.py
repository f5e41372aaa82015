"""SPSS .sav exports with their value labels (real sample files from pyreadstat's own test data,
tests/fixtures/real/README.md) and a Microsoft Forms .xlsx download, through the survey reader over real HTTP."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.csv_text import SchemaDriftError
from ingest.feeds.survey_exports import spss_labels, with_spss_labels
from ingest.feeds.surveys import SurveyReader
from ingest.http_client import FeedClient
from ingest.landing import Landing, LoadContext
from ingest.pseudonymise import Pseudonymiser
from tests.fixture_server import serve

SPSS = Path(__file__).parent / "fixtures" / "real" / "spss"
IGNORED = ["mynum", "mydate", "dtime", "mytime"]


def questionnaire(**myord: Any) -> dict[str, Any]:
    return {"survey_id": "sav1", "agency": "vcs", "title": "SPSS sample", "period": "2026Q1",
            "export": {"tool": "spss", "ignore_columns": IGNORED},
            "columns": [{"id": "mychar", "role": "response_id"},
                        {"id": "mylabl", "role": "question"},
                        {"id": "myord", "role": "question", "type": "single", **myord}]}


def read(doc: dict[str, Any], body: bytes) -> Landing:
    con = duckdb.connect()
    with serve({"/q.json": doc, "/r": body}) as (base, _), FeedClient("surveys", base) as client:
        return SurveyReader(client, Pseudonymiser(b"k" * 32), con).read(
            {"survey_id": doc["survey_id"], "questionnaire": "/q.json", "responses": "/r"},
            LoadContext(f"surveys/{doc['survey_id']}", "surveys", "x@t", started_at=datetime.now(UTC)))


def test_the_sav_dictionary_is_read_from_the_real_sample():
    variables, values, missing = spss_labels((SPSS / "sample.sav").read_bytes())
    assert variables["mylabl"] == "labeled" and values["mylabl"] == {"1": "Male", "2": "Female"}
    assert values["myord"] == {"1": "low", "2": "medium", "3": "high"} and not any(missing.values())


def test_value_labels_become_the_options_of_questions_that_list_none():
    landing = read(questionnaire(), (SPSS / "sample.sav").read_bytes())
    assert (landing.received, landing.loaded, landing.quarantined) == (5, 5, 0), landing.quarantine
    tables = {t.name: t.rows.to_pylist() for t in landing.tables}
    options = {(o["question_id"], o["option_code"], o["option_label"]) for o in tables["survey_options"]}
    assert options == {("mylabl", "1", "Male"), ("mylabl", "2", "Female"), ("myord", "1", "low"),
                       ("myord", "2", "medium"), ("myord", "3", "high")}
    answers = sorted((a["response_id"], a["question_id"], a["answer_code"]) for a in tables["survey_answers"])
    assert [a for a in answers if a[1] == "mylabl"] == [("a", "mylabl", "1"), ("b", "mylabl", "2"),
                                                        ("c", "mylabl", "1"), ("d", "mylabl", "2"),
                                                        ("e", "mylabl", "1")]
    assert [a[2] for a in answers if a[1] == "myord"] == ["1", "2", "3", "1", "1"]
    texts = {q["column_id"]: q["column_text"] for q in tables["survey_questions"]}
    assert texts["mylabl"] == "labeled"  # the SPSS variable label
    assert "options of ['mylabl', 'myord'] taken from the SPSS value labels" in landing.notes


def test_user_missing_codes_are_not_answers_and_a_row_without_an_id_is_quarantined():
    landing = read(questionnaire(), (SPSS / "sample_missing.sav").read_bytes())
    assert (landing.received, landing.loaded, landing.quarantined) == (7, 6, 1)
    # the 7th case has no id and only user-missing values (mynum 2500 is in its missing range 2000-3000)
    assert [(q.reason, q.record_key) for q in landing.quarantine] == [
        ("record holds no value outside the columns the export layout ignores (export.ignore_columns): no "
         "response id, no answers", "sav1:record 7")]
    tables = {t.name: t.rows.to_pylist() for t in landing.tables}
    assert not [a for a in tables["survey_answers"] if a["response_id"] == "Z"]  # -1 is declared missing
    assert "-1" not in {o["option_code"] for o in tables["survey_options"]}
    assert "SPSS user-missing codes read as not answered: ['mylabl=-1', 'myord=-1']" in landing.notes


def test_declared_options_that_contradict_the_value_labels_are_refused():
    doc = questionnaire(options=[{"code": "1", "label": "high"}, {"code": "3", "label": "low"}])
    with pytest.raises(SchemaDriftError, match=r"disagree with the SPSS value labels \(myord code 1: questionnaire "
                                               r"'high', file 'low'; myord code 3: questionnaire 'low', file 'high'\)"):
        with_spss_labels(doc, (SPSS / "sample.sav").read_bytes(), what="sav1")


def test_a_microsoft_forms_xlsx_download_loads_through_the_reader():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name", "How satisfied are you?",
                  "Which services did you use?"])
    sheet.append([1, datetime(2026, 3, 4, 10, 1, 2), datetime(2026, 3, 4, 10, 5, 9), "anonymous", None,
                  "Satisfied", "Library;Leisure centre;"])
    sheet.append([2, datetime(2026, 3, 5, 11, 0, 0), datetime(2026, 3, 5, 11, 2, 0), "anonymous", None,
                  "Unhappy", None])
    buffer = io.BytesIO()
    book.save(buffer)
    doc = {"survey_id": "msf", "agency": "vcs", "title": "Forms", "period": "2026Q1",
           "export": {"tool": "xlsx", "ignore_columns": ["Start time", "Email", "Name"],
                      "multi_select": {"Which services did you use?": {"options": ["Library", "Leisure centre"]}}},
           "columns": [{"id": "ID", "role": "response_id"}, {"id": "Completion time", "role": "submitted_at"},
                       {"id": "sat", "text": "How satisfied are you?", "role": "question", "type": "single",
                        "options": [{"code": "1", "label": "Satisfied"}]},
                       *[{"id": f"use_{o}", "text": f"Which services did you use? - {o}", "role": "question",
                          "type": "single", "options": [{"code": "1", "label": o}]}
                         for o in ("Library", "Leisure centre")],
                       {"id": "use_other", "text": "Which services did you use? - Other", "role": "question",
                        "type": "text"}]}
    landing = read(doc, buffer.getvalue())
    assert (landing.received, landing.loaded, landing.quarantined) == (2, 1, 1)
    assert [q.reason for q in landing.quarantine] == ["sat: 'Unhappy' is not one of the question's options"]
    tables = {t.name: t.rows.to_pylist() for t in landing.tables}
    assert sorted(a["question_id"] for a in tables["survey_answers"]) == ["sat", "use_Leisure centre", "use_Library"]
    assert tables["survey_respondents"][0]["submitted_at"][:19] == "2026-03-04T10:05:09"
