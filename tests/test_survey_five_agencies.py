"""A fifth agency survey from files only — a questionnaire, an export and a mapping file, no code —
flows into every survey mart; without its mapping file the build refuses rather than dropping answers."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import use_var_dir
from tests.test_survey_marts import hand_count

FIRE = "fire_safety_2026"
SURVEY_MARTS = ["quality_of_life", "survey_overlap", "survey_representation", "consultation_summary",
                "survey_harmonisation"]
SELECT = ["build", "--indirect-selection", "cautious", "--select", *[f"+{m}" for m in SURVEY_MARTS]]

QUESTIONNAIRE = {
    "survey_id": FIRE, "agency": "fire", "agency_name": "Shire Fire and Rescue Service",
    "title": "Home Fire Safety Survey 2026", "period": "2026", "fieldwork_start": "2026-09-01",
    "fieldwork_end": "2026-09-30", "header_style": "code", "value_style": "code",
    "columns": [
        {"id": "FRS_ID", "text": "Visit reference", "role": "response_id"},
        {"id": "VISITED", "text": "Visit date", "role": "submitted_at"},
        {"id": "E_MAIL", "text": "Email", "role": "identifier", "identifier": "email"},
        {"id": "FAMILY_NAME", "text": "Family name", "role": "identifier", "identifier": "surname"},
        {"id": "BIRTH_DATE", "text": "Date of birth", "role": "identifier", "identifier": "dob"},
        {"id": "HOME_PC", "text": "Postcode", "role": "identifier", "identifier": "postcode"},
        {"id": "FS_AREA", "text": "How satisfied are you with your local area as a place to live?",
         "role": "question", "type": "single",
         "options": [{"code": "1", "label": "Very satisfied"}, {"code": "2", "label": "Fairly satisfied"},
                     {"code": "3", "label": "Neither"}, {"code": "4", "label": "Fairly dissatisfied"},
                     {"code": "5", "label": "Very dissatisfied"}, {"code": "9", "label": "Don't know"}]},
        {"id": "FS_SAFE", "text": "How safe do you feel outside in your area after dark?", "role": "question",
         "type": "single",
         "options": [{"code": "1", "label": "Very safe"}, {"code": "2", "label": "Fairly safe"},
                     {"code": "3", "label": "Fairly unsafe"}, {"code": "4", "label": "Very unsafe"},
                     {"code": "8", "label": "Don't know"}]},
        {"id": "FS_ALARM", "text": "Do you have a working smoke alarm on every floor?", "role": "question",
         "type": "single", "options": [{"code": "1", "label": "Yes"}, {"code": "2", "label": "No"}]},
        {"id": "FS_LIFE", "text": "Overall, how satisfied are you with your life nowadays?", "role": "question",
         "type": "scale", "min": 0, "max": 10, "options": [{"code": "99", "label": "Prefer not to say"}]},
    ],
}

MAPPING = """\
# Shire Fire and Rescue — Home Fire Safety Survey 2026 (added from files only, by the test)
survey_id: fire_safety_2026
agency: fire
questions:
  FS_AREA:
    measure: satisfaction_local_area
    responses: {"1": very_satisfied, "2": fairly_satisfied, "3": neither, "4": fairly_dissatisfied,
                "5": very_dissatisfied, "9": dont_know}
  FS_SAFE:
    measure: safe_after_dark
    responses: {"1": very_safe, "2": fairly_safe, "3": a_bit_unsafe, "4": very_unsafe, "8": dont_know}
  FS_ALARM:
    agency_only: Home fire safety; the fire service's own question.
    valence: {"1": positive, "2": negative}
  FS_LIFE:
    measure: wellbeing_life_satisfaction
    scale: identity
    responses: {"99": prefer_not_to_say}
"""

REUSED = 150  # council respondents who also answer the fire survey (same person, same identifiers)
NEW = 60


def add_fire_survey(data_dir: Path) -> None:
    """Write the fifth survey's questionnaire and export and list it in the survey index."""
    council = data_dir / "surveys" / "council_residents_2026" / "responses.csv"
    rows = list(csv.DictReader(io.StringIO(council.read_text(encoding="utf-8"))))
    people = [r for r in rows if r["Respondent ID"] and r["Postcode"]][:REUSED]
    rng = random.Random(5)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c["id"] for c in QUESTIONNAIRE["columns"]])

    def answers() -> list[str]:
        return [rng.choice("1122345") if rng.random() > 0.02 else "9", rng.choice("11223348"),
                rng.choice("1112"), rng.choice([str(v) for v in range(11)] + ["99", ""])]

    for i, person in enumerate(people, start=1):
        writer.writerow([f"FRS-{i:05d}", f"2026-09-{1 + i % 28:02d}T10:00:00Z", person["Email address"],
                         person["Surname"], person["Date of birth"], person["Postcode"], *answers()])
    for j in range(1, NEW + 1):
        writer.writerow([f"FRS-{REUSED + j:05d}", f"2026-09-{1 + j % 28:02d}T11:00:00Z",
                         f"fire.only.{j}@example.org", f"Firesideson{j}", f"{1 + j % 28:02d}/03/1970",
                         people[j]["Postcode"], *answers()])
    folder = data_dir / "surveys" / FIRE
    folder.mkdir()
    (folder / "questionnaire.json").write_text(json.dumps(QUESTIONNAIRE, indent=1), encoding="utf-8")
    (folder / "responses.csv").write_text(out.getvalue(), encoding="utf-8")
    index_path = data_dir / "surveys" / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["surveys"].append({"survey_id": FIRE, "agency": "fire", "agency_name": QUESTIONNAIRE["agency_name"],
                             "title": QUESTIONNAIRE["title"], "period": "2026",
                             "questionnaire": f"/surveys/{FIRE}/questionnaire.json",
                             "responses": f"/surveys/{FIRE}/responses.csv"})
    index_path.write_text(json.dumps(index, indent=1), encoding="utf-8")


def read(settings, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def five_agencies(tmp_path_factory, county_data, monkeypatch_module):
    """County data plus the fire survey, harvested; dbt run first without, then with its mapping file."""
    from demo.server import running
    from ingest.harvest import harvest_source
    from warehouse.dbt_build import invoke, summarise
    from warehouse.settings import REPO_ROOT, get_settings

    data_dir = tmp_path_factory.mktemp("five_agencies_data")
    for part in ("area", "surveys", "ground_truth"):
        shutil.copytree(county_data / part, data_dir / part)
    add_fire_survey(data_dir)
    mappings = tmp_path_factory.mktemp("five_agencies_mappings")
    for path in (REPO_ROOT / "config" / "survey_mappings").glob("*.yml"):
        shutil.copy(path, mappings / path.name)
    use_var_dir(monkeypatch_module, tmp_path_factory.mktemp("five_agencies_var"))
    monkeypatch_module.setenv("CG_MAPPINGS_DIR", str(mappings))
    settings = get_settings()
    with running(data_dir) as base_url:
        for source in ("ons_area", "surveys"):
            harvest_source(source, base_url=base_url, settings=settings)
    without_mapping = summarise(invoke(SELECT, settings))
    without_mapping["report"] = read(settings, "SELECT * FROM marts.survey_harmonisation WHERE needs_mapping")
    (mappings / f"{FIRE}.yml").write_text(MAPPING, encoding="utf-8")
    with_mapping = summarise(invoke(SELECT, settings))
    return settings, data_dir, without_mapping, with_mapping


def test_unmapped_survey_fails_the_build_instead_of_vanishing(five_agencies):
    _, _, without_mapping, _ = five_agencies
    assert not without_mapping["success"]
    assert [f for f in without_mapping["failures"] if "survey_codes_all_mapped" in f] == without_mapping["failures"]
    assert without_mapping["failures"]
    # ... and the harmonisation mart says exactly what needs a mapping
    report = without_mapping["report"]
    assert set(report["survey_id"]) == {FIRE}
    assert set(report["question_id"]) == {"FS_AREA", "FS_SAFE", "FS_ALARM", "FS_LIFE"}
    assert set(report["harmonisation_status"]) == {"unmapped_question"}


def test_fifth_survey_flows_into_every_mart(five_agencies):
    from expectations.gate import all_suites, run_gate

    settings, _, _, with_mapping = five_agencies
    assert with_mapping["success"], with_mapping["failures"]
    suites = [s for s in all_suites() if s.table in {f"marts.{m}" for m in SURVEY_MARTS}]
    assert len(suites) == 7  # the five mart suites, disclosure_survey_cell_key_counts and _agency_counts
    assert all(r["success"] for r in run_gate("five-agencies", settings, suites))

    report = read(settings, f"SELECT * FROM marts.survey_harmonisation WHERE survey_id = '{FIRE}'")
    assert set(report["harmonisation_status"]) == {"mapped", "agency_only"}
    assert not report["needs_mapping"].any()

    overlap = read(settings, "SELECT * FROM marts.survey_overlap WHERE area_level = 'partnership'").set_index(
        "measure_id")
    assert overlap.loc["safe_after_dark", "agencies_needing"] == "council,fire,police"
    assert overlap.loc["satisfaction_local_area", "agencies_needing"] == "council,fire,housing"
    assert overlap.loc["wellbeing_life_satisfaction", "n_agencies_needing"] == 3

    kept = read(settings, "SELECT measure_id, count(*) AS n FROM intermediate.int_survey_measures_deduplicated "
                          "WHERE kept_agency = 'fire' GROUP BY measure_id").set_index("measure_id")["n"]
    # the fire visits are the most recent answers, so they are kept for the residents they share
    assert kept["safe_after_dark"] > (REUSED + NEW) * 0.8
    qol = read(settings, "SELECT max(contributing_agencies) AS a FROM marts.quality_of_life "
                         "WHERE area_level = 'lad' AND measure_id = 'safe_after_dark'")
    assert qol["a"].iloc[0] == 3


def test_fifth_survey_respondents_link_to_the_same_residents(five_agencies):
    settings, _, _, _ = five_agencies
    linked = read(settings, f"""
        SELECT f.response_key, count(o.response_key) AS others
        FROM intermediate.int_survey_responses_linked f
        LEFT JOIN intermediate.int_survey_responses_linked o
            ON o.resident_key = f.resident_key AND o.response_key NOT LIKE '{FIRE}:%'
        WHERE f.response_key LIKE '{FIRE}:%' GROUP BY f.response_key""")
    reused = linked[linked["response_key"] <= f"{FIRE}:FRS-{REUSED:05d}"]
    fresh = linked[linked["response_key"] > f"{FIRE}:FRS-{REUSED:05d}"]
    assert len(reused) == REUSED and len(fresh) == NEW
    assert (reused["others"] >= 1).mean() > 0.95  # the same council residents
    assert (fresh["others"] == 0).all()


def test_fifth_survey_consultation_figures_match_a_hand_count(five_agencies):
    settings, data_dir, _, _ = five_agencies
    counts = hand_count(data_dir / "surveys" / FIRE, set())
    rows = read(settings, f"SELECT * FROM marts.consultation_summary WHERE survey_id = '{FIRE}'")
    assert set(rows["question_id"]) == {"FS_AREA", "FS_SAFE", "FS_ALARM", "FS_LIFE"}
    for row in rows.itertuples():
        truth = counts.get((row.question_id, row.response_code), 0)
        # a resident survey: cell-key perturbed (ptable ±2) and rounded to 5, so within 4 of the hand count
        assert row.response_count % 5 == 0 and abs(row.response_count - truth) <= 4
    alarm = rows[rows["question_id"] == "FS_ALARM"]
    assert alarm["pct_positive"].notna().all()  # valence from the mapping file
