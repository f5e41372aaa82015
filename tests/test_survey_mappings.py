"""Mapping files: the repo's own validate, and malformed ones fail with every problem named."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analytics.survey_mappings import (
    MappingError,
    load_mappings,
    main,
    question_frame,
    read_question_bank,
    response_frame,
    scale_ranges,
)
from warehouse.settings import REPO_ROOT

MAPPINGS = REPO_ROOT / "config" / "survey_mappings"


@pytest.fixture(scope="module")
def bank() -> pd.DataFrame:
    return read_question_bank()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(folder: Path, bank: pd.DataFrame) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mappings(folder, bank)
    return caught.value.problems


def test_repo_mappings_cover_every_demo_question(bank):
    from demo.questionnaires import SURVEYS

    mappings = load_mappings(MAPPINGS, bank)
    named = {(m.survey_id, m.question_id) for m in mappings}
    for survey in SURVEYS:
        for question in survey.questions:
            assert (survey.survey_id, question.id) in named, f"{survey.survey_id}.{question.id} is not mapped"
    assert main([str(MAPPINGS)]) == 0


def test_every_demo_option_is_decided(bank):
    """Each agency code of a mapped demo question is mapped or excluded on purpose — nothing left to chance."""
    from demo.questionnaires import SURVEYS

    mappings = {(m.survey_id, m.question_id): m for m in load_mappings(MAPPINGS, bank)}
    for survey in SURVEYS:
        for question in survey.questions:
            m = mappings[(survey.survey_id, question.id)]
            if m.status != "mapped":
                continue
            codes = {c for c, _ in question.options} | {c for c, _, _ in question.specials}
            decided = set(m.responses) | set(m.excluded)
            assert codes <= decided, f"{survey.survey_id}.{question.id}: {sorted(codes - decided)} undecided"


def test_housing_four_point_scale_is_mapped_explicitly(bank):
    mappings = {(m.survey_id, m.question_id): m for m in load_mappings(MAPPINGS, bank)}
    sat = mappings[("housing_tenants_2026", "sat_area")]
    assert sat.measure_id == "satisfaction_local_area"
    assert sat.responses == {"1": "very_satisfied", "2": "fairly_satisfied", "3": "fairly_dissatisfied",
                             "4": "very_dissatisfied", "9": "dont_know"}
    age = mappings[("housing_tenants_2026", "age")]
    assert set(age.excluded) == {"2", "3", "4"} and all(age.excluded.values())


def test_structure_errors_name_file_and_path(tmp_path, bank):
    write(tmp_path, "a.yml", """\
        survey_id: a
        questions:
          Q1:
            measure: satisfaction_local_area
            responses: {"1": very_satisfied}
            colour: blue
          Q2:
            agency_only: no
          Q3: {}
        """)
    write(tmp_path, "b.yml", "survey_id: b\n")
    problems = problems_of(tmp_path, bank)
    text = "\n".join(problems)
    assert "a.yml" in text and "questions/Q1" in text
    assert "b.yml" in text and "'questions' is a required property" in text
    assert any("boolean" in p and "quote" in p for p in problems)  # `no` read as False
    assert any("questions/Q3" in p for p in problems)


def test_meaning_errors_against_the_question_bank(tmp_path, bank):
    write(tmp_path, "c.yml", """\
        survey_id: not_c
        questions:
          Q1:
            measure: happiness_index
            responses: {"1": very_happy}
          Q2:
            measure: satisfaction_local_area
            responses: {"1": very_satisfied, "2": quite_satisfied}
            excluded: {"1": changed our minds}
        """)
    problems = problems_of(tmp_path, bank)
    text = "\n".join(problems)
    assert "survey_id 'not_c' must match the file name" in text
    assert "measure 'happiness_index' is not in the question bank" in text
    assert "['quite_satisfied'] are not responses of satisfaction_local_area" in text
    assert "both mapped and excluded" in text


def test_null_canonical_code_is_refused(tmp_path, bank):
    write(tmp_path, "d.yml", """\
        survey_id: d
        questions:
          Q1:
            measure: satisfaction_local_area
            responses: {"1": very_satisfied, "2": }
        """)
    assert any("excluded:" in p for p in problems_of(tmp_path, bank))


def test_duplicate_survey_and_unquoted_codes(tmp_path, bank):
    write(tmp_path, "e.yml", """\
        survey_id: e
        questions:
          Q1:
            measure: sex
            responses: {1: 1, 2: 2}
        """)
    write(tmp_path, "e.yaml", "survey_id: e\nquestions:\n  Q1: {agency_only: again}\n")
    write(tmp_path, "_template.yml", "this: is ignored\n")
    problems = problems_of(tmp_path, bank)
    assert problems == ["e.yml: survey e is already mapped by e.yaml"]
    (tmp_path / "e.yaml").unlink()
    (m,) = load_mappings(tmp_path, bank)
    assert m.responses == {"1": "1", "2": "2"}  # YAML ints become codes


def test_frames_expand_identity_scales_and_keep_valence(tmp_path, bank):
    write(tmp_path, "f.yml", """\
        survey_id: f
        questions:
          WB:
            measure: wellbeing_anxious_yesterday
            scale: identity
            responses: {"0": "1", "99": prefer_not_to_say}
          OWN:
            agency_only: local question
            valence: {"1": positive, "2": negative}
        """)
    mappings = load_mappings(tmp_path, bank)
    questions = pd.DataFrame({"survey_id": ["f", "f"], "question_id": ["WB", "OWN"],
                              "scale_min": [0, None], "scale_max": [10, None]})
    responses = response_frame(mappings, bank, scale_ranges(questions))
    wb = responses[responses["question_id"] == "WB"].set_index("agency_code")
    assert len(wb) == 12  # 0..10 and 99
    assert wb.loc["0", "canonical_code"] == "1"  # an explicit mapping wins over identity
    assert wb.loc["7", "canonical_code"] == "7" and wb.loc["7", "valence"] == "negative"  # anxiety 6-10 is high
    assert wb.loc["2", "valence"] == "positive"
    own = responses[responses["question_id"] == "OWN"]
    assert set(own["response_status"]) == {"agency_valence"} and set(own["valence"]) == {"positive", "negative"}
    frame = question_frame(mappings)
    assert frame.set_index("question_id").loc["WB", "scale_identity"]
    assert main([str(tmp_path)]) == 0


def test_cli_reports_problems(tmp_path, capsys):
    write(tmp_path, "g.yml", "survey_id: g\nquestions: {Q1: {measure: nope, responses: {'1': x}}}\n")
    assert main([str(tmp_path)]) == 1
    assert "nope" in capsys.readouterr().err
