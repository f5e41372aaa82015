"""Respondent linkage: accuracy against the generator's ground truth, determinism, edge cases."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from analytics.demo_accuracy import respondent_truth
from analytics.respondent_linkage import INPUT_COLUMNS, link_respondents, pairwise_accuracy, resident_key


def read(settings, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def truth(county_data) -> dict[str, str]:
    return respondent_truth(county_data / "ground_truth")


def test_linkage_precision_and_recall_at_county_scale(built, truth):
    settings, _, _ = built
    linked = read(settings, "SELECT response_key, resident_key FROM intermediate.int_survey_responses_linked")
    scores = pairwise_accuracy(dict(zip(linked["response_key"], linked["resident_key"], strict=True)), truth)
    print(f"\nsurvey linkage at county scale: {scores}")
    assert scores["records"] > 14_000
    assert scores["true_pairs"] > 3_000
    assert scores["precision"] >= 0.98, scores
    assert scores["recall"] >= 0.98, scores
    assert scores["f1"] >= 0.98, scores


def test_one_person_counts_once(built, truth, county_manifest):
    """Residents found ≈ people who answered; nobody is two residents in one survey."""
    settings, _, _ = built
    residents = read(settings, "SELECT count(DISTINCT resident_key) AS n, "
                               "count(*) FILTER (WHERE responses > 1) AS multi "
                               "FROM intermediate.int_survey_residents_profiled").iloc[0]
    people = county_manifest["surveys"]["_people"]
    assert abs(residents["n"] - people["respondents"]) / people["respondents"] < 0.01
    assert abs(residents["multi"] - people["answered_2_or_more"]) / people["answered_2_or_more"] < 0.03
    same_survey = read(settings, """
        SELECT l.resident_key, r.survey_id, count(*) AS n
        FROM intermediate.int_survey_responses_linked l
        JOIN staging.stg_surveys__respondents r USING (response_key)
        GROUP BY ALL HAVING count(*) > 1""")
    assert same_survey.empty


def test_linkage_is_deterministic_and_order_free(built):
    settings, _, _ = built
    stored = read(settings, "SELECT * FROM intermediate.int_survey_responses_linked ORDER BY response_key")
    respondents = read(settings, f"SELECT {', '.join(INPUT_COLUMNS)} FROM staging.stg_surveys__respondents")
    again = link_respondents(respondents.sample(frac=1.0, random_state=7)).clusters
    assert again["response_key"].tolist() == stored["response_key"].tolist()
    assert again["resident_key"].tolist() == stored["resident_key"].tolist()


def test_resident_key_is_a_hash_of_the_smallest_response_key(built):
    settings, _, _ = built
    clusters = read(settings, """
        SELECT resident_key, min(response_key) AS smallest, count(*) AS n, any_value(cluster_size) AS size
        FROM intermediate.int_survey_responses_linked GROUP BY resident_key""")
    assert (clusters["resident_key"] == clusters["smallest"].map(resident_key)).all()
    assert (clusters["n"] == clusters["size"]).all()


def test_small_inputs():
    row = {"email_hash": "e", "surname_hash": "s", "dob_hash": "d", "postcode_hash": "p", "lsoa_code": "E01000001"}
    one_survey = pd.DataFrame([{"response_key": "a:1", "survey_id": "a", **row},
                               {"response_key": "a:2", "survey_id": "a", **row}])
    result = link_respondents(one_survey).clusters
    assert result["resident_key"].nunique() == 2  # nothing to link across with one survey
    with pytest.raises(ValueError, match="lack columns"):
        link_respondents(one_survey.drop(columns=["dob_hash"]))


def test_pairwise_accuracy_counts_pairs():
    predicted = {"a": 1, "b": 1, "c": 1, "d": 2}
    truth = {"a": "x", "b": "x", "c": "y", "d": "y"}
    scores = pairwise_accuracy(predicted, truth)
    assert scores["predicted_pairs"] == 3 and scores["true_pairs"] == 2 and scores["true_positives"] == 1
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == pytest.approx(0.5)
