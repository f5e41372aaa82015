"""Survey-tool export layouts (SurveyMonkey, Google Forms, Microsoft Forms, SPSS .sav, Excel .xlsx) through
ingest/feeds/survey_exports.py and the survey reader over real HTTP. The layouts follow the tools' documented
exports; the rows are written here (no public export with real respondents may be committed)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import duckdb
import pytest

from ingest.csv_text import SchemaDriftError, parse_csv
from ingest.feeds.survey_exports import normalise_export, sniff
from ingest.feeds.surveys import SurveyReader
from ingest.http_client import FeedClient
from ingest.landing import LoadContext
from ingest.pseudonymise import Pseudonymiser
from tests.fixture_server import serve

SURVEYMONKEY = (
    "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,Custom Data 1,"
    "How satisfied are you with local services?,Which services did you use?,,,Your postcode\n"
    ",,,,,,,,,Response,Library,Leisure centre,Other (please specify),Open-Ended Response\n"
    "114123456789,412345678,03/01/2026 09:15:02 AM,03/01/2026 09:21:44 PM,203.0.113.7,,,,,Satisfied,Library,,,GL1 1AA\n"
    "114123456790,412345678,03/02/2026 10:00:00 AM,03/02/2026 10:05:00 AM,203.0.113.8,,,,,Very dissatisfied,,"
    "Leisure centre,,GL5 2BB\n")
SM_EXPORT = {"tool": "surveymonkey", "ignore_columns": ["Collector ID", "Start Date", "IP Address", "Email Address",
                                                         "First Name", "Last Name", "Custom Data 1"],
             "dates": {"End Date": "%m/%d/%Y %I:%M:%S %p"}}


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def test_surveymonkey_two_header_rows_tool_columns_and_us_dates():
    out = rows(normalise_export(SURVEYMONKEY.encode(), SM_EXPORT, what="sm"))
    assert out[0] == ["Respondent ID", "End Date", "How satisfied are you with local services?",
                      "Which services did you use? - Library", "Which services did you use? - Leisure centre",
                      "Which services did you use? - Other (please specify)", "Your postcode"]
    assert out[1][:3] == ["114123456789", "2026-03-01T21:21:44", "Satisfied"]
    assert len(out) == 3


def test_google_forms_gets_a_stable_derived_response_id():
    export = (b"Timestamp,How satisfied are you?,Postcode\n"
              b"3/1/2026 9:15:02,Satisfied,GL1 1AA\n3/1/2026 9:16:40,Dissatisfied,GL5 2BB\n")
    spec = {"tool": "google_forms", "derive_response_id": "Response ID", "dates": {"Timestamp": "%m/%d/%Y %H:%M:%S"}}
    first, again = rows(normalise_export(export, spec, what="g")), rows(normalise_export(export, spec, what="g"))
    assert first == again and first[0][0] == "Response ID" and len({r[0] for r in first[1:]}) == 2
    assert first[1][1] == "2026-03-01T09:15:02"


def test_microsoft_forms_us_month_first_dates_per_source():
    export = "ID,Start time,Completion time,Email,Name,Rating\n1,3/4/26 10:01:02,3/4/26 10:05:09,anonymous,,4\n"
    out = rows(normalise_export(export.encode(), {"tool": "microsoft_forms", "ignore_columns": ["Email", "Name"],
                                                 "dates": {"Completion time": "%m/%d/%y %H:%M:%S"}}, what="ms"))
    assert out[1] == ["1", "3/4/26 10:01:02", "2026-03-04T10:05:09", "4"]


def test_spss_sav_read_with_pyreadstat(tmp_path):
    import pandas as pd
    import pyreadstat

    path = tmp_path / "r.sav"
    pyreadstat.write_sav(pd.DataFrame({"resp_id": [1.0, 2.0], "q1": [4.0, None]}), str(path),
                         variable_value_labels={"q1": {1.0: "Very dissatisfied", 4.0: "Satisfied"}})
    content = path.read_bytes()
    assert sniff(content)[0] == "spss"
    assert rows(normalise_export(content, {"tool": "spss"}, what="sav")) == [["resp_id", "q1"], ["1", "4"], ["2", ""]]


def test_xlsx_read_with_openpyxl():
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Response ID", "Submitted", "Q1"])
    book.active.append(["r1", datetime(2026, 3, 1, 9, 30), 3])
    buffer = io.BytesIO()
    book.save(buffer)
    out = rows(normalise_export(buffer.getvalue(), {"tool": "xlsx"}, what="xlsx"))
    assert out == [["Response ID", "Submitted", "Q1"], ["r1", "2026-03-01T09:30:00", "3"]]


@pytest.mark.parametrize(("content", "named"), [(b"$FL2@(#) IBM SPSS STATISTICS", "SPSS .sav"),
                                                (b"PK\x03\x04\x14\x00", "ZIP container"),
                                                (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "OLE2")])
def test_binary_files_are_recognised_and_never_parsed_as_csv(content, named):
    with pytest.raises(SchemaDriftError, match=f"the file is an? {named}.*not a CSV"):
        normalise_export(content, None, what="x")


def test_plain_csv_without_a_layout_is_passed_through_unchanged():
    body = b"Response ID,Q1\r\nr1,3\r\n"
    assert normalise_export(body, None, what="x") is body
    assert parse_csv(body).header == ["Response ID", "Q1"]


def test_surveymonkey_export_loads_through_the_survey_reader_over_http():
    questionnaire = {
        "survey_id": "sm1", "agency": "vcs", "title": "Residents", "period": "2026Q1", "export": SM_EXPORT,
        "columns": [
            {"id": "rid", "text": "Respondent ID", "role": "response_id"},
            {"id": "sub", "text": "End Date", "role": "submitted_at"},
            {"id": "q1", "text": "How satisfied are you with local services?", "role": "question", "type": "single",
             "options": [{"code": "1", "label": "Very dissatisfied"}, {"code": "4", "label": "Satisfied"}]},
            {"id": "lib", "text": "Which services did you use? - Library", "role": "question", "type": "single",
             "options": [{"code": "1", "label": "Library"}]},
            {"id": "leis", "text": "Which services did you use? - Leisure centre", "role": "question",
             "type": "single", "options": [{"code": "1", "label": "Leisure centre"}]},
            {"id": "oth", "text": "Which services did you use? - Other (please specify)", "role": "question",
             "type": "text"},
            {"id": "pc", "text": "Your postcode", "role": "identifier", "identifier": "postcode"}]}
    con = duckdb.connect()
    # the ONS postcode lookup is landed first (surveys refuse to load without it)
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.ons_postcodes AS SELECT * FROM (VALUES ('GL5 2BB', 'E01022222', '')) "
                "AS t(pcds, lsoa_code, date_terminated)")
    with serve({"/q.json": questionnaire, "/r.csv": SURVEYMONKEY.encode()}) as (base, _), \
            FeedClient("surveys", base) as client:
        reader = SurveyReader(client, Pseudonymiser(b"k" * 32), con)
        landing = reader.read({"survey_id": "sm1", "questionnaire": "/q.json", "responses": "/r.csv"},
                              LoadContext("surveys/sm1", "surveys", "surveys/sm1@t", started_at=datetime.now(UTC)))
    assert (landing.received, landing.loaded, landing.quarantined) == (2, 2, 0), landing.quarantine
    tables = {t.name: t.rows.to_pylist() for t in landing.tables}
    answers = sorted((a["response_id"], a["question_id"], a["answer_code"]) for a in tables["survey_answers"])
    assert answers == [("114123456789", "lib", "1"), ("114123456789", "q1", "4"),
                       ("114123456790", "leis", "1"), ("114123456790", "q1", "1")]
    assert [r["submitted_at"][:19] for r in tables["survey_respondents"]] == ["2026-03-01T21:21:44",
                                                                             "2026-03-02T10:05:00"]


def test_microsoft_forms_multi_select_becomes_one_column_per_option():
    export = "ID,Which services did you use?\n1,Library;Leisure centre;\n2,\n3,library;Swimming;\n"
    spec = {"tool": "microsoft_forms",
            "multi_select": {"Which services did you use?": {"options": ["Library", "Leisure centre"]}}}
    out = rows(normalise_export(export.encode(), spec, what="ms"))
    assert out[0] == ["ID", "Which services did you use? - Library", "Which services did you use? - Leisure centre",
                      "Which services did you use? - Other"]
    assert out[1:] == [["1", "Library", "Leisure centre", ""], ["2", "", "", ""], ["3", "Library", "", "Swimming"]]
