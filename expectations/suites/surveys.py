"""Suites on the survey marts: percentages in range, intervals around estimates, no count that is not a
multiple of the rounding base (5; the exact perturbation is checked in suites/disclosure.py), every agency
answer harmonised and every mapped quality-of-life measure published."""

from __future__ import annotations

import csv
from typing import Any

from expectations.suite import DISTRICT_REGEX, LSOA_REGEX, WARD_REGEX, SuiteSpec
from warehouse.settings import REPO_ROOT

# a published survey count of people is perturbed then rounded to a multiple of 5 (0, 5, 10, ...)
SMALL = [1, 2, 3, 4, 6, 7, 8, 9]


def _quality_of_life_measures() -> list[str]:
    with (REPO_ROOT / "dbt_project" / "seeds" / "question_bank_measures.csv").open(encoding="utf-8") as f:
        return [row["measure_id"] for row in csv.DictReader(f) if row["domain"] == "quality_of_life"]


def _between(gxe: Any, columns: list[str], low: float, high: float) -> list[Any]:
    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=low, max_value=high) for c in columns]


def _no_small_counts(gxe: Any, columns: list[str]) -> list[Any]:
    return [gxe.ExpectColumnValuesToNotBeInSet(column=c, value_set=SMALL) for c in columns]


def _contains(gxe: Any, estimate: str, lower: str, upper: str) -> list[Any]:
    return [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=estimate, column_B=lower, or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=upper, column_B=estimate, or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
    ]


def _quality_of_life(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["area_level", "area_code", "period", "measure_id"]),
        gxe.ExpectColumnValuesToBeInSet(column="area_level", value_set=["lsoa", "ward", "lad"]),
        gxe.ExpectColumnValuesToBeInSet(column="measure_id", value_set=_quality_of_life_measures()),
        *_between(gxe, ["pct_positive", "pct_positive_ci_lower", "pct_positive_ci_upper", "pct_negative"], 0, 100),
        gxe.ExpectColumnValuesToBeBetween(column="mean_score", min_value=0, max_value=10),
        *_contains(gxe, "pct_positive", "pct_positive_ci_lower", "pct_positive_ci_upper"),
        *_contains(gxe, "mean_score", "mean_score_ci_lower", "mean_score_ci_upper"),
        *_no_small_counts(gxe, ["unweighted_n"]),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="unweighted_n", column_B="effective_n", or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
        gxe.ExpectColumnValuesToBeBetween(column="contributing_agencies", min_value=0),
        gxe.ExpectColumnValuesToNotBeNull(column="is_suppressed"),
    ]


def _harmonisation(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        # an agency answer that reaches no canonical response and is not excluded on purpose fails the gate
        gxe.ExpectColumnValuesToBeInSet(column="needs_mapping", value_set=[False]),
        # every mapped quality-of-life measure is present in quality_of_life (NULL for other rows)
        gxe.ExpectColumnValuesToBeInSet(column="measure_in_quality_of_life", value_set=[True]),
        gxe.ExpectColumnValuesToBeInSet(column="harmonisation_status", value_set=[
            "mapped", "excluded", "agency_only", "unmapped_question", "unmapped_response",
            "mapping_without_option", "mapping_without_question"]),
    ]


def _consultation_policy(gxe: Any) -> list[Any]:
    """Each survey's questions follow its rule in config/disclosure_policy.yml: cell_key_perturbation rows
    publish only multiples of 5; whole_survey_frequency rows publish only bases of at least the minimum."""
    from warehouse.disclosure import dbt_vars, load_policy

    policy = dbt_vars(load_policy())
    frequency = policy["disclosure_frequency_surveys"]
    checks = [gxe.ExpectColumnValuesToNotBeInSet(column=c, value_set=SMALL, condition_parser="pandas",
                                                 row_condition='disclosure_rule=="cell_key_perturbation"')
              for c in ("response_count", "n_respondents")]
    checks.append(gxe.ExpectColumnValuesToBeInSet(column="disclosure_rule", value_set=["cell_key_perturbation"],
                                                  condition_parser="pandas", row_condition='scope!="survey_question"'))
    default_base = _consultation_min_base()
    for survey, base in frequency.items():
        condition = f'scope=="survey_question" & survey_id=="{survey}"'
        checks += [
            gxe.ExpectColumnValuesToBeInSet(column="disclosure_rule", value_set=["whole_survey_frequency"],
                                            condition_parser="pandas", row_condition=condition),
            gxe.ExpectColumnValuesToBeBetween(column="n_respondents", min_value=base or default_base,
                                              condition_parser="pandas", row_condition=condition),
        ]
    if policy["disclosure_default_survey_rule"] != "whole_survey_frequency":
        listed = " & ".join(f'survey_id!="{s}"' for s in frequency)
        condition = {"condition_parser": "pandas", "row_condition": listed} if listed else {}
        checks.append(gxe.ExpectColumnValuesToBeInSet(column="disclosure_rule", value_set=["cell_key_perturbation"],
                                                      **condition))
    return checks


def _consultation_min_base() -> int:
    import yaml

    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(project["vars"]["consultation_min_base"])


def _consultation(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["scope", "survey_id", "period", "question_id",
                                                         "response_code"]),
        *_consultation_policy(gxe),
        *_between(gxe, ["response_pct", "pct_positive", "pct_negative"], 0, 100),
        gxe.ExpectColumnValuesToBeBetween(column="net_agreement", min_value=-100, max_value=100),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="n_respondents", column_B="response_count",
                                                    or_equal=True, ignore_row_if="either_value_is_missing"),
    ]


def _overlap(gxe: Any) -> list[Any]:
    counts = ["residents_asked", "residents_asked_more_than_once", "question_asks", "duplicate_asks",
              "duplicate_answers_removed", "residents_with_conflicting_answers"]
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["area_level", "area_code", "period", "measure_id"]),
        gxe.ExpectColumnValuesToMatchRegex(column="area_code",
                                           regex=rf"{WARD_REGEX}|{DISTRICT_REGEX}|^all$|^unplaced$"),
        *_no_small_counts(gxe, counts),
        gxe.ExpectColumnValuesToBeBetween(column="pct_residents_asked_more_than_once", min_value=0, max_value=100),
        gxe.ExpectColumnValuesToBeBetween(column="asks_per_resident", min_value=1),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="residents_asked",
                                                    column_B="residents_asked_more_than_once", or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
        gxe.ExpectColumnValuesToNotBeNull(column="proposed_position"),
    ]


def _representation(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["area_level", "area_code", "period", "dimension",
                                                         "category_code"]),
        gxe.ExpectColumnValuesToNotMatchRegex(column="area_code", regex=LSOA_REGEX),
        *_no_small_counts(gxe, ["respondents"]),
        *_between(gxe, ["respondent_share", "population_share"], 0, 100),
        gxe.ExpectColumnValuesToBeBetween(column="representation_ratio", min_value=0),
    ]


SUITES = [
    SuiteSpec("mart_quality_of_life", "marts.quality_of_life", _quality_of_life,
              "Quality of life: percentages in range, intervals contain estimates, bases rounded to 5"),
    SuiteSpec("mart_survey_harmonisation", "marts.survey_harmonisation", _harmonisation,
              "Every agency answer harmonised; every mapped measure published"),
    SuiteSpec("mart_consultation_summary", "marts.consultation_summary", _consultation,
              "Consultation figures: percentages in range, every question follows its survey's disclosure rule"),
    SuiteSpec("mart_survey_overlap", "marts.survey_overlap", _overlap, "Duplicate surveying: counts rounded to 5"),
    SuiteSpec("mart_survey_representation", "marts.survey_representation", _representation,
              "Representation: shares in range, counts rounded to 5"),
]
