"""Suites on the volunteering marts: only open roles, sane scores, at most N matches, privacy of volunteers."""

from __future__ import annotations

from typing import Any

from expectations.suite import DISTRICT_REGEX, LSOA_REGEX, WARD_REGEX, SuiteSpec

#: dbt macro volunteer_matches_per_vacancy() (var volunteer_matches_per_vacancy, default 5)
MATCHES_PER_VACANCY = 5
VOLUNTEER_REF_REGEX = r"^VOL-[0-9a-f]{16}$"
VACANCY_UID_REGEX = r"^VAC-[0-9a-f]{12}$"

#: the published columns, exactly: anything added (a name, a postcode, a date of birth…) fails the gate
VACANCY_COLUMNS = ["vacancy_uid", "title", "organisation_name", "skills_needed", "skills_as_advertised", "causes",
                   "availability", "hours_per_week", "start_date", "closing_date", "postcode", "lsoa_code",
                   "ward_code", "ward_name", "lad_code", "lad_name", "url", "advert_count", "bureau_feeds",
                   "source_vacancy_keys", "last_updated", "matched_volunteers"]
MATCH_COLUMNS = ["vacancy_uid", "vacancy_title", "match_rank", "volunteer_ref", "skills_score",
                 "availability_score", "cause_score", "distance_band", "shared_skills", "shared_slots", "reasons"]
#: partner_only: a distance is published as one of these bands (dbt var match_distance_bands), never in km
DISTANCE_BANDS = ["under 5 km", "5–10 km", "10 km+"]
AREA_COLUMNS = ["area_level", "area_code", "area_name", "lad_code", "lad_name", "open_vacancies",
                "matched_vacancies", "unmatched_vacancies", "pct_vacancies_unmatched", "registered_volunteers"]


def _vacancies(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=VACANCY_COLUMNS, exact_match=True),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="vacancy_uid"),
        gxe.ExpectColumnValuesToMatchRegex(column="vacancy_uid", regex=VACANCY_UID_REGEX),
        gxe.ExpectColumnValuesToNotBeNull(column="title"),
        gxe.ExpectColumnValuesToBeBetween(column="hours_per_week", min_value=0, max_value=80),
        gxe.ExpectColumnValuesToBeBetween(column="advert_count", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="matched_volunteers", min_value=0, max_value=MATCHES_PER_VACANCY),
        gxe.ExpectColumnValuesToMatchRegex(column="lsoa_code", regex=LSOA_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code", regex=WARD_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="lad_code", regex=DISTRICT_REGEX),
    ]


def _vacancies_audit(gxe: Any) -> list[Any]:
    """Every advert behind a published role, re-read from staging: none deleted, none expired."""
    return [
        gxe.ExpectColumnValuesToNotBeNull(column="vacancy_key"),
        gxe.ExpectColumnValuesToBeInSet(column="advert_deleted", value_set=[False]),
        gxe.ExpectColumnValuesToBeInSet(column="advert_expired", value_set=[False]),
        gxe.ExpectColumnValuesToBeInSet(column="role_expired", value_set=[False]),
    ]


def _matches(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=MATCH_COLUMNS, exact_match=True),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["vacancy_uid", "match_rank"]),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["vacancy_uid", "volunteer_ref"]),
        # ranks 1..N and unique per role: at most N volunteers per role
        gxe.ExpectColumnValuesToBeBetween(column="match_rank", min_value=1, max_value=MATCHES_PER_VACANCY),
        gxe.ExpectColumnValuesToMatchRegex(column="volunteer_ref", regex=VOLUNTEER_REF_REGEX),
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
          for c in ("skills_score", "availability_score", "cause_score")],
        gxe.ExpectColumnValuesToBeInSet(column="distance_band", value_set=DISTANCE_BANDS),
        gxe.ExpectColumnValuesToNotMatchRegex(column="reasons", regex=r"\d\.\d km"),
        gxe.ExpectColumnValuesToBeBetween(column="shared_skills", min_value=0),
        gxe.ExpectColumnValuesToNotBeNull(column="reasons"),
    ]


def _by_area(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=AREA_COLUMNS, exact_match=True),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["area_level", "area_code"]),
        gxe.ExpectColumnValuesToBeInSet(column="area_level", value_set=["ward", "lad"]),
        # people, cell-key perturbed (suites/disclosure.py checks each value against the ptable): never 1 or 2
        gxe.ExpectColumnValuesToNotBeInSet(column="registered_volunteers", value_set=[1, 2]),
        gxe.ExpectColumnValuesToBeBetween(column="pct_vacancies_unmatched", min_value=0, max_value=100),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="open_vacancies", column_B="matched_vacancies",
                                                    or_equal=True),
        gxe.ExpectColumnValuesToBeBetween(column="unmatched_vacancies", min_value=0),
    ]


SUITES = [
    SuiteSpec("mart_volunteer_vacancies", "marts.volunteer_vacancies", _vacancies,
              "Open volunteer roles: unique, located, exactly the published columns"),
    SuiteSpec("audit_volunteer_vacancies", "intermediate.int_volunteer_vacancies_audit", _vacancies_audit,
              "No deleted or expired advert behind a published role"),
    SuiteSpec("mart_volunteer_matches", "marts.volunteer_matches", _matches,
              "Matches: at most N per role, scores in [0, 1], within travel limit, pseudonymous volunteers only"),
    SuiteSpec("mart_volunteering_by_area", "marts.volunteering_by_area", _by_area,
              "Volunteering by ward/authority: counts of people perturbed, never 1 or 2"),
]
