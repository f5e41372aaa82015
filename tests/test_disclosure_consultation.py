"""A county-council consultation fed as a new agency survey comes out as the council published it:
the disclosure policy names it a whole-survey frequency table, so every count (1s and 2s included) and
every percentage is published once the base reaches the minimum (tests/fixtures/county_consultation)."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import use_var_dir

SURVEY = "county_libraries_2026"
FIXTURE = Path(__file__).parent / "fixtures" / "county_consultation"
SCALE = [("1", "Strongly agree", "strongly_agree", "positive"), ("2", "Tend to agree", "tend_to_agree", "positive"),
         ("3", "Neither agree nor disagree", "neither", "neutral"),
         ("4", "Tend to disagree", "tend_to_disagree", "negative"),
         ("5", "Strongly disagree", "strongly_disagree", "negative"), ("9", "Don't know", "dont_know", None)]
RESPONDENTS = 90


def fixture_counts() -> dict[str, dict[str, int]]:
    """Item -> response code -> count, as in the council's report."""
    with (FIXTURE / "counts.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    counts = {r["item"]: {code: int(r[column]) for code, _, column, _ in SCALE} for r in rows}
    assert len(counts) == 12 and all(sum(c.values()) == RESPONDENTS for c in counts.values())
    return counts


def council_pct(count: int) -> int:
    """What the council's report prints: a whole-number percentage of all respondents."""
    return int(100 * count / RESPONDENTS + 0.5)


def add_consultation(data_dir: Path, mappings: Path) -> None:
    counts = fixture_counts()
    with (FIXTURE / "counts.csv").open(encoding="utf-8") as f:
        statements = {r["item"]: r["statement"] for r in csv.DictReader(f)}
    options = [{"code": code, "label": label} for code, label, _, _ in SCALE]
    questionnaire = {
        "survey_id": SURVEY, "agency": "county", "agency_name": "Shire County Council (libraries)",
        "title": "Library Services Consultation 2026", "period": "2026", "fieldwork_start": "2026-06-01",
        "fieldwork_end": "2026-07-31", "header_style": "code", "value_style": "code",
        "columns": [{"id": "RESP_ID", "text": "Response ID", "role": "response_id"},
                    {"id": "SUBMITTED", "text": "Submitted", "role": "submitted_at"},
                    {"id": "EMAIL", "text": "Email", "role": "identifier", "identifier": "email"},
                    *[{"id": item, "text": statements[item], "role": "question", "type": "single",
                       "options": options} for item in counts]],
    }
    columns = {item: [code for code, n in by_code.items() for _ in range(n)] for item, by_code in counts.items()}
    rng = random.Random(13)
    for answers in columns.values():
        rng.shuffle(answers)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["RESP_ID", "SUBMITTED", "EMAIL", *counts])
    for i in range(RESPONDENTS):
        writer.writerow([f"LIB-{i + 1:04d}", f"2026-06-{1 + i % 28:02d}T09:00:00Z", f"library.reader.{i}@example.org",
                         *[columns[item][i] for item in counts]])
    folder = data_dir / "surveys" / SURVEY
    folder.mkdir()
    (folder / "questionnaire.json").write_text(json.dumps(questionnaire, indent=1), encoding="utf-8")
    (folder / "responses.csv").write_text(out.getvalue(), encoding="utf-8")
    index_path = data_dir / "surveys" / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["surveys"].append({"survey_id": SURVEY, "agency": "county", "agency_name": questionnaire["agency_name"],
                             "title": questionnaire["title"], "period": "2026",
                             "questionnaire": f"/surveys/{SURVEY}/questionnaire.json",
                             "responses": f"/surveys/{SURVEY}/responses.csv"})
    index_path.write_text(json.dumps(index, indent=1), encoding="utf-8")
    valence = {code: v for code, _, _, v in SCALE if v}
    mapping = {"survey_id": SURVEY, "agency": "county",
               "questions": {item: {"agency_only": "Library consultation statement.", "valence": valence}
                             for item in counts}}
    (mappings / f"{SURVEY}.yml").write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def consultation(tmp_path_factory, county_data, monkeypatch_module):
    """County geography and surveys plus the consultation, listed in a copy of the disclosure policy."""
    from demo.server import running
    from ingest.harvest import harvest_source
    from warehouse.dbt_build import invoke, summarise
    from warehouse.settings import REPO_ROOT, get_settings

    data_dir = tmp_path_factory.mktemp("consultation_data")
    for part in ("area", "surveys", "ground_truth"):
        shutil.copytree(county_data / part, data_dir / part)
    mappings = tmp_path_factory.mktemp("consultation_mappings")
    for path in (REPO_ROOT / "config" / "survey_mappings").glob("*.yml"):
        shutil.copy(path, mappings / path.name)
    add_consultation(data_dir, mappings)
    policy = yaml.safe_load((REPO_ROOT / "config" / "disclosure_policy.yml").read_text(encoding="utf-8"))
    policy["surveys"][SURVEY] = {"rule": "whole_survey_frequency", "min_base": 50}
    policy_path = tmp_path_factory.mktemp("consultation_policy") / "disclosure_policy.yml"
    policy_path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    use_var_dir(monkeypatch_module, tmp_path_factory.mktemp("consultation_var"))
    monkeypatch_module.setenv("CG_MAPPINGS_DIR", str(mappings))
    monkeypatch_module.setenv("CG_DISCLOSURE_POLICY", str(policy_path))
    settings = get_settings()
    with running(data_dir) as base_url:
        for source in ("ons_area", "surveys"):
            harvest_source(source, base_url=base_url, settings=settings)
    result = summarise(invoke(["build", "--indirect-selection", "cautious", "--select", "+consultation_summary"],
                              settings))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT * FROM marts.consultation_summary WHERE scope = 'survey_question'").df()
    return settings, result, rows


def test_consultation_publishes_every_item_as_the_council_did(consultation):
    _, result, rows = consultation
    assert result["success"], result["failures"]
    mine = rows[rows["survey_id"] == SURVEY]
    counts = fixture_counts()
    assert set(mine["question_id"]) == set(counts) and len(mine) == 72
    assert set(mine["disclosure_rule"]) == {"whole_survey_frequency"}
    assert not mine["is_suppressed"].any()
    small = 0
    for row in mine.itertuples():
        truth = counts[row.question_id][row.response_code]
        small += truth <= 2
        assert row.response_count == truth and row.n_respondents == RESPONDENTS
        assert abs(row.response_pct - council_pct(truth)) <= 1.0, (row.question_id, row.response_code)
    assert small >= 12  # the 1s and 2s the council published are published too
    for item, by_code in counts.items():
        agree = mine[(mine["question_id"] == item)]["pct_positive"].iloc[0]
        assert abs(agree - council_pct(by_code["1"] + by_code["2"])) <= 1.0


def test_resident_surveys_are_cell_key_perturbed(consultation):
    """Resident surveys (policy default) publish every count perturbed and rounded to 5, none hidden."""
    settings, _, rows = consultation
    others = rows[rows["survey_id"] != SURVEY]
    assert set(others["disclosure_rule"]) == {"cell_key_perturbation"}
    assert others["response_count"].notna().all() and (others["response_count"] % 5 == 0).all()
    assert not others["is_suppressed"].any()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        private = con.execute("SELECT sum(response_count) FROM intermediate.int_consultation_response_counts "
                              f"WHERE scope = 'survey_question' AND survey_id <> '{SURVEY}' "
                              "AND response_count BETWEEN 1 AND 9").fetchone()[0]
    assert private > 0  # the resident surveys do have small counts; they are published as 0, 5 or 10


def test_gate_checks_each_survey_against_its_policy(consultation):
    from expectations.gate import all_suites, run_gate

    settings, _, _ = consultation
    suites = [s for s in all_suites() if s.table == "marts.consultation_summary"]
    assert all(r["success"] for r in run_gate("consultation", settings, suites))


def test_a_base_below_the_minimum_hides_the_whole_question(consultation, monkeypatch):
    """Raising the survey's minimum base above 90 withholds every item (rule applied, not a fixed result)."""
    from warehouse.disclosure import dbt_vars, load_policy

    settings, _, _ = consultation
    policy = load_policy()
    policy["surveys"][SURVEY]["min_base"] = 91
    variables = dbt_vars(policy)
    assert variables["disclosure_frequency_surveys"][SURVEY] == 91
    from warehouse.dbt_build import invoke, summarise

    result = summarise(invoke(["build", "--select", "consultation_summary", "--vars", json.dumps(variables)],
                              settings))
    assert result["success"], result["failures"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        hidden = con.execute(f"SELECT bool_and(is_suppressed), count(response_count) FROM marts.consultation_summary "
                             f"WHERE survey_id = '{SURVEY}'").fetchone()
    assert hidden == (True, 0)
