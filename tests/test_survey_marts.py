"""The survey marts on the county demo: consultation counts match a hand count of the agency exports before
cell-key perturbation, and the published counts are those counts perturbed and rounded; quality-of-life
estimates match an independent recomputation; overlap adds up."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ingest.csv_text import decode_text
from ingest.feeds.survey_exports import normalise_export
from tests.survey_disclosure_replica import survey_count

SURVEY_MARTS = ("quality_of_life", "survey_overlap", "survey_representation", "consultation_summary",
                "survey_harmonisation")


def read(settings, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).df()


def hand_count(survey_dir: Path, quarantined_lines: set[int]) -> Counter:
    """(question_id, option code) → answers, counted straight from the agency's CSV export."""
    doc = json.loads((survey_dir / "questionnaire.json").read_text(encoding="utf-8"))
    # a declared tool layout (SurveyMonkey's two header rows) is read as the reader reads it; line numbers match
    text, _ = decode_text(normalise_export((survey_dir / "responses.csv").read_bytes(), doc.get("export"),
                                           what=survey_dir.name))
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    columns = {c["id"]: c for c in doc["columns"]}
    by_header = {c["text"] if doc["header_style"] == "text" else c["id"]: c for c in doc["columns"]}
    header = [by_header[h.strip()] for h in rows[0]]
    counts: Counter = Counter()
    for line_no, row in enumerate(rows[1:], start=2):
        if line_no in quarantined_lines:
            continue
        for column, cell in zip(header, row, strict=True):
            if column.get("role") != "question" or column.get("type") == "text" or not cell.strip():
                continue
            code = next((o["code"] for o in column.get("options", [])
                         if cell.strip().casefold() in (o["code"].casefold(), o["label"].casefold())), cell.strip())
            counts[(column["id"], code)] += 1
    assert columns  # questionnaire read
    return counts


@pytest.fixture(scope="module")
def consultation(built) -> pd.DataFrame:
    settings, _, _ = built
    return read(settings, "SELECT * FROM marts.consultation_summary")


def test_survey_marts_built_with_contracts(built):
    settings, dbt, gx = built
    assert dbt["success"], dbt["failures"]
    assert dbt["counts"].get("unit_test:pass", 0) >= 4
    passed = {r["table"] for r in gx if r["success"]}
    for mart in SURVEY_MARTS:
        assert f"marts.{mart}" in passed
        assert read(settings, f"SELECT count(*) AS n FROM marts.{mart}").iloc[0]["n"] > 0


def test_consultation_counts_match_a_hand_count_of_the_exports(built, consultation, county_data):
    settings, _, _ = built
    quarantine = read(settings, "SELECT record_key, record_json AS record FROM raw.quarantine "
                                "WHERE entity = 'survey_response'")
    private = read(settings, "SELECT survey_id, question_id, response_code, response_count, cell_key "
                             "FROM intermediate.int_consultation_response_counts WHERE scope = 'survey_question'")
    private = {(r.survey_id, r.question_id, r.response_code): (r.response_count, r.cell_key)
               for r in private.itertuples()}
    checked = moved = 0
    for survey_dir in sorted((county_data / "surveys").iterdir()):
        if not survey_dir.is_dir():
            continue
        survey_id = survey_dir.name
        lines = {json.loads(r)["line"] for k, r in zip(quarantine["record_key"], quarantine["record"], strict=True)
                 if k.startswith(f"{survey_id}:")}
        counts = hand_count(survey_dir, lines)
        rows = consultation[(consultation["scope"] == "survey_question") & (consultation["survey_id"] == survey_id)]
        assert not rows.empty
        for question_id, group in rows.groupby("question_id"):
            assert set(group["disclosure_rule"]) == {"cell_key_perturbation"}
            total = group["response_count"].sum()  # the published base is the sum of the published counts
            assert (group["n_respondents"] == total).all(), (survey_id, question_id)
            for row in group.itertuples():
                truth = counts.get((question_id, row.response_code), 0)
                count, key = private[(survey_id, question_id, row.response_code)]
                assert count == truth, (survey_id, question_id, row.response_code)  # the hand count, privately
                checked += 1
                assert row.response_count == survey_count(truth, key) and abs(row.response_count - truth) <= 4
                moved += row.response_count != truth
                # exact one-decimal rounding, half away from zero, with "don't know" in the denominator
                expected_pct = float(int((2000 * row.response_count + total) // (2 * total))) / 10
                assert row.response_pct == pytest.approx(expected_pct, abs=1e-9)
    assert checked > 200 and moved > 0


def test_net_agreement_is_positive_minus_negative_over_all_answers(consultation):
    q1 = consultation[(consultation["survey_id"] == "council_residents_2026") & (consultation["question_id"] == "Q1")]
    n = q1["n_respondents"].iloc[0]
    counts = q1.set_index("response_code")["response_count"]
    positive, negative = counts["1"] + counts["2"], counts["4"] + counts["5"]
    assert n == counts.sum()  # "don't know" (9) is in the denominator
    assert q1["pct_positive"].iloc[0] == pytest.approx(round(100 * positive / n + 1e-9, 1))
    assert q1["net_agreement"].iloc[0] == pytest.approx(round(100 * (positive - negative) / n + 1e-9, 1))
    agency_only = consultation[(consultation["survey_id"] == "police_confidence_2026")
                               & (consultation["question_id"] == "CONF_POL")]
    assert agency_only["pct_positive"].notna().all()  # valence declared in the mapping file
    victim = consultation[(consultation["question_id"] == "VICTIM")]
    assert victim["pct_positive"].isna().all()


def test_quality_of_life_matches_an_independent_recomputation(built):
    settings, _, _ = built
    kept = read(settings, """
        SELECT p.lad_code, d.measure_id, d.valence, d.score, w.weight
        FROM intermediate.int_survey_measures_deduplicated d
        JOIN intermediate.int_survey_residents_profiled p USING (resident_key, period)
        JOIN intermediate.int_survey_residents_weighted w USING (resident_key, period)
        WHERE d.valence IN ('positive', 'neutral', 'negative') AND p.lsoa_code IS NOT NULL
          AND d.measure_id IN (SELECT measure_id FROM ref.question_bank_measures WHERE domain = 'quality_of_life')""")
    mart = read(settings, "SELECT * FROM marts.quality_of_life WHERE area_level = 'lad'").set_index(
        ["area_code", "measure_id"])
    keys = read(settings, "SELECT area_code, measure_id, cell_key, positive_cell_key FROM "
                          "intermediate.int_quality_of_life_cells WHERE area_level = 'lad'").set_index(
        ["area_code", "measure_id"])
    moved = 0
    for (lad, measure), group in kept.groupby(["lad_code", "measure_id"]):
        row, key = mart.loc[(lad, measure)], keys.loc[(lad, measure)]
        w = group["weight"].to_numpy()
        n, positive = len(group), int((group["valence"] == "positive").sum())
        # published: the base perturbed and rounded; % positive moved by its count's perturbation / base
        published_n = survey_count(n, int(key["cell_key"]))
        shift = 100 * (survey_count(positive, int(key["positive_cell_key"])) - positive) / n
        assert row["unweighted_n"] == published_n
        pct = 100 * w[group["valence"] == "positive"].sum() / w.sum()
        assert row["pct_positive"] == pytest.approx(round(min(max(pct + shift, 0), 100), 1), abs=0.051)
        moved += round(pct, 1) != row["pct_positive"]
        assert row["effective_n"] == pytest.approx(round(w.sum() ** 2 / (w ** 2).sum() * published_n / n, 1))
        assert row["pct_positive_ci_lower"] <= row["pct_positive"] <= row["pct_positive_ci_upper"]
        if group["score"].notna().any():
            mean = np.average(group["score"], weights=w) + 10 * (published_n - n) / n
            assert row["mean_score"] == pytest.approx(round(min(max(mean, 0), 10), 2), abs=0.0051)
    assert len(mart) == 5 * 14 and moved > 0
    assert not mart["is_suppressed"].any()


def test_quality_of_life_suppression(built):
    settings, _, _ = built
    qol = read(settings, "SELECT * FROM marts.quality_of_life")
    assert qol["unweighted_n"].notna().all() and (qol["unweighted_n"] % 5 == 0).all()  # perturbed, rounded to 5
    hidden = qol[qol["is_suppressed"]]
    assert hidden[["pct_positive", "mean_score", "effective_n"]].isna().all().all()
    assert set(qol["suppression"]) == {"none", "small_base", "one_way"}
    assert (qol.loc[qol["suppression"] == "small_base", "unweighted_n"] < 10).all()
    shown = qol[~qol["is_suppressed"]]
    assert (shown["unweighted_n"] >= 10).all()
    # the wellbeing means are on the 0-10 scale; categorical measures have none
    assert shown.loc[shown["scale_type"] == "numeric_0_10", "mean_score"].between(0, 10).all()
    assert shown.loc[shown["scale_type"] == "categorical", "mean_score"].isna().all()


def test_overlap_and_the_proposed_questionnaire(built):
    settings, _, _ = built
    overlap = read(settings, "SELECT * FROM marts.survey_overlap WHERE area_level = 'partnership'")
    dedup = read(settings, """
        SELECT measure_id, sum(asks - 1) AS dup, sum(CASE WHEN asks > 1 THEN 1 ELSE 0 END) AS multi
        FROM intermediate.int_survey_measures_deduplicated GROUP BY measure_id""")
    merged = overlap.merge(dedup, on="measure_id")
    # perturbed (ptable ±2) and rounded to 5: within 4 of the private count, exactly the macro's value (GX suite)
    assert ((merged["duplicate_asks"] - merged["dup"]).abs() <= 4).all()
    assert ((merged["residents_asked_more_than_once"] - merged["multi"]).abs() <= 4).all()
    assert (merged["duplicate_asks"] % 5 == 0).all()
    by_measure = overlap.set_index("measure_id")
    assert by_measure.loc["safe_after_dark", "agencies_needing"] == "council,police"
    assert by_measure.loc["sex", "n_agencies_needing"] == 4
    assert by_measure.loc["wellbeing_worthwhile", "duplicate_asks"] == 0
    assert sorted(by_measure["proposed_position"]) == list(range(1, len(by_measure) + 1))
    harmonised = read(settings, "SELECT DISTINCT measure_id FROM marts.survey_harmonisation "
                                "WHERE harmonisation_status = 'mapped'")
    assert set(harmonised["measure_id"]) == set(by_measure.index)
    highlights = read(settings, "SELECT metric, value FROM marts.run_highlights WHERE domain = 'surveys'")
    values = dict(zip(highlights["metric"], highlights["value"], strict=True))
    # sums of published counts (survey_overlap's partnership rows, survey_count), each within 4 per cell
    assert values["duplicate_question_asks_removed"] == overlap["duplicate_asks"].sum()
    assert abs(values["duplicate_question_asks_removed"] - dedup["dup"].sum()) <= 4 * len(overlap)
    assert values["duplicate_answers_removed"] == overlap["duplicate_answers_removed"].sum()
    residents = read(settings, "SELECT count(*) AS n, count(*) FILTER (WHERE responses > 1) AS multi "
                               "FROM intermediate.int_survey_residents_profiled")
    assert abs(values["residents_surveyed"] - residents["n"][0]) <= 4
    assert abs(values["residents_surveyed_more_than_once"] - residents["multi"][0]) <= 4
    assert all(v % 5 == 0 for v in values.values())
    assert values["residents_surveyed_more_than_once"] > 2000


def test_every_answer_is_harmonised_and_every_measure_published(built):
    settings, _, _ = built
    report = read(settings, "SELECT * FROM marts.survey_harmonisation")
    assert not report["needs_mapping"].any()
    assert report["measure_in_quality_of_life"].dropna().all()
    statuses = set(report["harmonisation_status"])
    assert {"mapped", "excluded", "agency_only"} <= statuses
    assert not statuses & {"unmapped_question", "unmapped_response"}


def test_representation_ratios_and_ranks(built):
    settings, _, _ = built
    rep = read(settings, "SELECT * FROM marts.survey_representation")
    assert rep["respondents"].notna().all() and (rep["respondents"] % 5 == 0).all()  # perturbed, rounded to 5
    shown = rep[rep["representation_ratio"].notna()]
    ratio = shown["respondent_share"] / shown["population_share"]
    assert np.allclose(ratio, shown["representation_ratio"], atol=0.05)
    for _, area in rep[rep["area_level"] == "lad"].groupby("area_code"):
        top = area[area["is_most_under_represented"]]
        assert 1 <= len(top) <= 3 and (top["representation_ratio"] < 0.8).all()
        assert set(area["dimension"]) == {"age_band", "sex", "ethnic_group", "imd_decile"}


def test_no_clear_identifiers_in_survey_models(built, county_data):
    from tests.conftest import clear_identifier_hits, demo_identifiers

    settings, _, _ = built
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        hits = [h for h in clear_identifier_hits(con, demo_identifiers(county_data), skip_schemas=("raw",))
                if "survey" in h[0] or "quality" in h[0] or "consultation" in h[0]]
    assert hits == []
