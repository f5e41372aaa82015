"""File-based partner sources (``file://`` landing folders) through the same readers as HTTP feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pytest

from ingest.csv_text import SchemaDriftError
from ingest.feeds.surveys import SurveyReader, fetch_index
from ingest.file_client import FileClient, client_for
from ingest.http_client import FeedClient, FeedError
from ingest.landing import LoadContext
from ingest.pseudonymise import Pseudonymiser
from tests.test_real_survey_exports import SM_EXPORT, SURVEYMONKEY


def test_client_for_picks_the_file_client_only_for_file_urls(tmp_path):
    assert isinstance(client_for("s", tmp_path.as_uri()), FileClient)
    assert isinstance(client_for("s", "http://127.0.0.1:1", connect_timeout=1), FeedClient)


def test_a_surveymonkey_export_shared_as_a_file_loads_from_its_landing_folder(tmp_path):
    questionnaire = {"survey_id": "f1", "agency": "vcs", "title": "T", "period": "2026Q1", "export": SM_EXPORT,
                     "columns": [{"id": "rid", "text": "Respondent ID", "role": "response_id"},
                                 {"id": "sub", "text": "End Date", "role": "submitted_at"},
                                 {"id": "q1", "text": "How satisfied are you with local services?",
                                  "role": "question", "type": "text"}]}
    (tmp_path / "index.json").write_text(json.dumps({"surveys": [
        {"survey_id": "f1", "questionnaire": "f1/questionnaire.json", "responses": "f1/responses.csv"}]}))
    (tmp_path / "f1").mkdir()
    (tmp_path / "f1" / "questionnaire.json").write_text(json.dumps(questionnaire))
    # the other SurveyMonkey question columns are not in this questionnaire: ignored by configuration
    export = {**SM_EXPORT, "ignore_columns": [*SM_EXPORT["ignore_columns"], "Which services did you use? - Library",
                                              "Which services did you use? - Leisure centre",
                                              "Which services did you use? - Other (please specify)", "Your postcode"]}
    questionnaire["export"] = export
    (tmp_path / "f1" / "questionnaire.json").write_text(json.dumps(questionnaire))
    (tmp_path / "f1" / "responses.csv").write_text(SURVEYMONKEY)
    with FileClient("surveys", tmp_path.as_uri()) as client:
        entries, problems = fetch_index(client, "/index.json")
        assert not problems
        landing = SurveyReader(client, Pseudonymiser(b"k" * 32), duckdb.connect()).read(
            entries[0], LoadContext("surveys/f1", "surveys", "surveys/f1@t", started_at=datetime.now(UTC)))
    assert (landing.received, landing.loaded, landing.quarantined) == (2, 2, 0)
    assert landing.payloads[1].url == (tmp_path / "f1" / "responses.csv").as_uri()


def test_paths_never_leave_the_folder(tmp_path):
    (tmp_path / "inside").mkdir()
    (tmp_path / "secret.txt").write_text("x")
    with FileClient("s", (tmp_path / "inside").as_uri()) as client, pytest.raises(FeedError, match="outside"):
        client.get("../secret.txt")


def test_missing_file_and_query_parameters_are_clear_errors(tmp_path):
    client = FileClient("s", tmp_path.as_uri())
    with pytest.raises(FeedError, match="file not found"):
        client.get("nope.csv")
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(FeedError, match="cannot take query parameters"):
        client.get_json("a.json", params={"page": 1})


def test_a_file_shared_survey_without_a_period_is_refused(tmp_path):
    doc = {"survey_id": "f2", "columns": [{"id": "rid", "text": "Respondent ID", "role": "response_id"}]}
    (tmp_path / "q.json").write_text(json.dumps(doc))
    (tmp_path / "r.csv").write_text("Respondent ID\n1\n")
    entry = {"survey_id": "f2", "questionnaire": "q.json", "responses": "r.csv"}
    with FileClient("surveys", tmp_path.as_uri()) as client, \
            pytest.raises(SchemaDriftError, match=r"f2: a survey shared as a file must say which period"):
        SurveyReader(client, Pseudonymiser(b"k" * 32), duckdb.connect()).read(
            entry, LoadContext("surveys/f2", "surveys", "surveys/f2@t", started_at=datetime.now(UTC)))
    (tmp_path / "q.json").write_text(json.dumps({**doc, "period": "2026Q2"}))
    with FileClient("surveys", tmp_path.as_uri()) as client:
        landing = SurveyReader(client, Pseudonymiser(b"k" * 32), duckdb.connect()).read(
            entry, LoadContext("surveys/f2", "surveys", "surveys/f2@t", started_at=datetime.now(UTC)))
    assert (landing.received, landing.loaded) == (1, 1)
