"""Suites on the raw feeds as landed (before dbt): shape, keys and codes."""

from __future__ import annotations

from typing import Any

from expectations.suite import DISTRICT_REGEX, LSOA_REGEX, WARD_REGEX, SuiteSpec


def _lsoa_lookup(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=["lsoa_code", "lsoa_name", "ward_code", "ward_name",
                                                     "lad_code", "lad_name", "latitude", "longitude"],
                                         exact_match=False),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="lsoa_code"),
        gxe.ExpectColumnValuesToMatchRegex(column="lsoa_code", regex=LSOA_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code", regex=WARD_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="lad_code", regex=DISTRICT_REGEX),
    ]


def _survey_respondents(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["survey_id", "response_id"]),
        gxe.ExpectColumnValuesToNotBeNull(column="response_id"),
        # identifiers are 64-hex HMACs, never clear text
        *[gxe.ExpectColumnValuesToMatchRegex(column=c, regex=r"^[0-9a-f]{64}$")
          for c in ("email_hash", "surname_hash", "dob_hash", "postcode_hash")],
        gxe.ExpectColumnValuesToMatchRegex(column="lsoa_code", regex=LSOA_REGEX),
    ]


def _directory_services(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["_source", "service_id"]),
        gxe.ExpectColumnValuesToNotBeNull(column="service_name"),
        gxe.ExpectColumnValuesToBeInSet(column="status",
                                        value_set=["active", "inactive", "defunct", "temporarily closed"]),
    ]


def _bureau_vacancies(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["_source", "vacancy_id"]),
        gxe.ExpectColumnValuesToBeInSet(column="state", value_set=["updated", "deleted"]),
    ]


def _bureau_volunteers(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["_source", "volunteer_id"]),
        *[gxe.ExpectColumnValuesToMatchRegex(column=c, regex=r"^[0-9a-f]{64}$")
          for c in ("first_name_hash", "surname_hash", "email_hash", "dob_hash", "postcode_hash")],
    ]


SUITES = [
    SuiteSpec("raw_ons_lsoa_lookup", "raw.ons_lsoa_lookup", _lsoa_lookup, "Geography lookup as landed"),
    SuiteSpec("raw_survey_respondents", "raw.survey_respondents", _survey_respondents,
              "Survey responses: keys unique, identifiers hashed"),
    SuiteSpec("raw_directory_services", "raw.directory_services", _directory_services,
              "Directory services: keys and statuses"),
    SuiteSpec("raw_bureau_vacancies", "raw.bureau_vacancies", _bureau_vacancies, "RPDE vacancy state"),
    SuiteSpec("raw_bureau_volunteers", "raw.bureau_volunteers", _bureau_volunteers,
              "Skill bank: keys unique, identifiers hashed"),
]
