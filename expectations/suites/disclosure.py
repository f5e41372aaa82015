"""Disclosure policy suites: every published table has a rule (config/disclosure_policy.yml), every
cell-key-perturbed count is exactly its private count plus the ptable adjustment (never 1 or 2), and every
survey count is its private count perturbed then rounded to a multiple of the rounding base."""

from __future__ import annotations

from typing import Any

from expectations.suite import SuiteSpec


def _policy_tables() -> list[str]:
    from warehouse.disclosure import published_rules

    return sorted(published_rules())


def _coverage(gxe: Any) -> list[Any]:
    return [gxe.ExpectColumnValuesToBeInSet(column="table_name", value_set=_policy_tables()),
            gxe.ExpectTableRowCountToBeBetween(min_value=1)]


def _perturbed(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="published", column_B="expected"),
        gxe.ExpectColumnValuesToNotBeInSet(column="published", value_set=[1, 2]),
        gxe.ExpectColumnValuesToNotBeNull(column="published"),
    ]


def _perturbed_survey_tables() -> list[str]:
    """The survey marts the policy protects with cell_key_perturbation (consultation_summary: per survey)."""
    from warehouse.disclosure import dbt_vars, load_policy, published_rules

    policy = load_policy()
    rules = published_rules(policy)
    tables = {t for t in SURVEY_TABLES if rules.get(t) == "cell_key_perturbation"}
    if dbt_vars(policy)["disclosure_default_survey_rule"] == "cell_key_perturbation":
        tables.add("consultation_summary")  # resident surveys and the canonical measures
    return sorted(tables)


def _survey_perturbed(gxe: Any) -> list[Any]:
    return [
        *_perturbed(gxe),
        gxe.ExpectColumnValuesToBeInSet(column="remainder", value_set=[0]),
        # every survey mart the policy names cell_key_perturbation is checked here, and only those
        gxe.ExpectColumnDistinctValuesToEqualSet(column="table_name", value_set=_perturbed_survey_tables()),
    ]


_PTABLE_MAX = 20  # dbt var cell_key_ptable_max
_ROUNDING_BASE = 5  # dbt var survey_rounding_base
_VOLUNTEER_ROUNDING_BASE = 5  # dbt var volunteer_rounding_base
SURVEY_TABLES = ("consultation_summary", "quality_of_life", "survey_overlap", "survey_representation")
# volunteers living here: cell_key already holds the register key (int_volunteer_residence_cells)
PERTURBED_QUERY = f"""
WITH cells AS (SELECT * FROM intermediate.int_volunteer_residence_cells),
expected AS (
    SELECT c.area_level, c.area_code,
           {_VOLUNTEER_ROUNDING_BASE} * CAST(round((c.volunteers + p.adjustment) / {_VOLUNTEER_ROUNDING_BASE}.0)
                                             AS BIGINT) AS expected
    FROM cells AS c
    JOIN ref.disclosure_ptable AS p ON p.pcv = least(c.volunteers, {_PTABLE_MAX}) AND p.ckey = c.cell_key
)
SELECT 'volunteering_by_area' AS table_name, m.area_level, m.area_code, m.registered_volunteers AS published,
       coalesce(e.expected, 0) AS expected
FROM marts.volunteering_by_area AS m
LEFT JOIN expected AS e ON e.area_level = m.area_level AND e.area_code = m.area_code
UNION ALL
SELECT 'area_profiles', 'lsoa', m.lsoa_code, m.registered_volunteers, coalesce(e.expected, 0)
FROM marts.area_profiles AS m
LEFT JOIN expected AS e ON e.area_level = 'lsoa' AND e.area_code = m.lsoa_code
"""


def _survey_expected(count: str, key: str) -> str:
    """SQL for a private count's expected published survey value: ptable adjustment, then rounding."""
    return (f"CASE WHEN coalesce({count}, 0) = 0 THEN 0 ELSE {_ROUNDING_BASE} * CAST(round(({count} + "
            f"(SELECT p.adjustment FROM ref.disclosure_ptable AS p WHERE p.pcv = least({count}, {_PTABLE_MAX}) "
            f"AND p.ckey = {key})) / {_ROUNDING_BASE}.0) AS BIGINT) END")


_OVERLAP = {"residents_asked": "key_residents_asked",
            "residents_asked_more_than_once": "key_residents_asked_more_than_once",
            "duplicate_asks": "key_duplicate_asks", "duplicate_answers_removed": "key_duplicate_answers_removed",
            "residents_with_conflicting_answers": "key_residents_with_conflicting_answers"}
_CAPPED = ("residents_asked_more_than_once", "residents_with_conflicting_answers")  # at most residents_asked
_OVERLAP_KEYS = "m.area_level = c.area_level AND m.area_code = c.area_code AND m.period = c.period " \
                "AND m.measure_id = c.measure_id"


def _overlap_part(column: str) -> str:
    expected = _survey_expected(f"c.{column}", f"c.{_OVERLAP[column]}")
    if column in _CAPPED:
        expected = f"least({expected}, {_survey_expected('c.residents_asked', 'c.key_residents_asked')})"
    return (f"SELECT 'survey_overlap' AS table_name, '{column}' AS column_name, m.{column} AS published, "
            f"{expected} AS expected FROM marts.survey_overlap AS m "
            f"JOIN intermediate.int_survey_overlap_cells AS c ON {_OVERLAP_KEYS}")


SURVEY_PERTURBED_QUERY = "\nUNION ALL\n".join([
    f"SELECT 'survey_representation' AS table_name, 'respondents' AS column_name, m.respondents AS published, "
    f"{_survey_expected('c.respondents', 'c.cell_key')} AS expected FROM marts.survey_representation AS m "
    "JOIN intermediate.int_survey_representation_cells AS c ON m.area_level = c.area_level "
    "AND m.area_code = c.area_code AND m.period = c.period AND m.dimension = c.dimension "
    "AND m.category_code = c.category_code",
    f"SELECT 'quality_of_life', 'unweighted_n', m.unweighted_n, {_survey_expected('c.unweighted_n', 'c.cell_key')} "
    "FROM marts.quality_of_life AS m JOIN intermediate.int_quality_of_life_cells AS c "
    "ON m.area_level = c.area_level AND m.area_code = c.area_code AND m.period = c.period "
    "AND m.measure_id = c.measure_id",
    f"SELECT 'consultation_summary', 'response_count', m.response_count, "
    f"{_survey_expected('c.response_count', 'c.cell_key')} "
    "FROM marts.consultation_summary AS m JOIN intermediate.int_consultation_response_counts AS c "
    "ON m.scope = c.scope AND m.survey_id = c.survey_id AND m.period = c.period AND m.question_id = c.question_id "
    "AND m.response_code = c.response_code WHERE m.disclosure_rule = 'cell_key_perturbation'",
    *[_overlap_part(column) for column in _OVERLAP],
])
SURVEY_PERTURBED_QUERY = (f"SELECT *, published % {_ROUNDING_BASE} AS remainder FROM (\n{SURVEY_PERTURBED_QUERY}\n)")

_ESTIMATE_MIN_BASE = 10  # dbt var survey_estimate_min_base
_AGENCY_KEYS = ("a.area_level = m.area_level AND a.area_code = m.area_code AND a.period = m.period "
                "AND a.measure_id = m.measure_id")
# quality_of_life.contributing_agencies and survey_overlap.n_agencies_asking count the agencies whose own
# published count of residents in the cell reaches survey_estimate_min_base (int_survey_agency_cells)
AGENCY_QUERY = f"""
WITH a AS (
    SELECT c.mart, c.area_level, c.area_code, c.period, c.measure_id,
           count(*) FILTER (WHERE {_survey_expected('c.residents', 'c.cell_key')} >= {_ESTIMATE_MIN_BASE}) AS expected
    FROM intermediate.int_survey_agency_cells AS c
    GROUP BY c.mart, c.area_level, c.area_code, c.period, c.measure_id
)
SELECT 'quality_of_life' AS table_name, m.contributing_agencies AS published, coalesce(a.expected, 0) AS expected
FROM marts.quality_of_life AS m LEFT JOIN a ON a.mart = 'quality_of_life' AND {_AGENCY_KEYS}
WHERE NOT m.is_suppressed
UNION ALL
SELECT 'survey_overlap', m.n_agencies_asking, coalesce(a.expected, 0)
FROM marts.survey_overlap AS m LEFT JOIN a ON a.mart = 'survey_overlap' AND {_AGENCY_KEYS}
"""


def _agency_counts(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="published", column_B="expected"),
        gxe.ExpectColumnValuesToNotBeNull(column="published"),
        gxe.ExpectColumnDistinctValuesToEqualSet(column="table_name", value_set=["quality_of_life", "survey_overlap"]),
    ]


SUITES = [
    SuiteSpec("disclosure_policy_coverage", "marts.area_profiles", _coverage,
              "Every published mart has a disclosure rule in config/disclosure_policy.yml",
              relative_rows=None,
              query="SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                    "AND table_type = 'BASE TABLE'"),
    SuiteSpec("disclosure_cell_key_counts", "marts.volunteering_by_area", _perturbed,
              "Volunteers living here: every published count = private count + ptable adjustment",
              relative_rows=None, query=PERTURBED_QUERY),
    SuiteSpec("disclosure_survey_cell_key_counts", "marts.survey_representation", _survey_perturbed,
              "Survey counts of people: every published count = private count + ptable adjustment, rounded to 5",
              relative_rows=None, query=SURVEY_PERTURBED_QUERY),
    SuiteSpec("disclosure_survey_agency_counts", "marts.survey_overlap", _agency_counts,
              "Agencies counted per survey cell: those whose published count of residents reaches 10",
              relative_rows=None, query=AGENCY_QUERY),
]
