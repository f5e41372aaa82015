"""Suites on every raw feed table as landed (before dbt): schema, keys, codes, ranges and geography."""

from __future__ import annotations

from typing import Any

from expectations.suite import DISTRICT_REGEX, HASH_REGEX, LSOA_REGEX, WARD_REGEX, SuiteContext, SuiteSpec
from ingest.feeds import service_directories as directories
from ingest.feeds import surveys, volunteering
from ingest.feeds import volunteering_data_standard as vds

PROVENANCE = ["_load_id", "_source", "_fetched_at", "_payload_sha256"]
INTEGER = r"^-?\d+$"
NUMBER = r"^-?\d+(?:\.\d+)?$"


def _schema(gxe: Any, columns: list[str]) -> list[Any]:
    """Exactly these columns (schema drift fails the gate), provenance present, at least one row."""
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*PROVENANCE, *columns], exact_match=True),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("_load_id", "_source", "_fetched_at")],
        gxe.ExpectColumnValuesToMatchRegex(column="_payload_sha256", regex=HASH_REGEX),
    ]


def _in_geography(gxe: Any, ctx: SuiteContext, column: str = "lsoa_code", mostly: float = 1.0) -> list[Any]:
    if not ctx.lsoa_codes:
        return []
    from expectations.reference_set import ExpectColumnValuesToBeInReferenceSet  # needs GX: built at gate time

    return [ExpectColumnValuesToBeInReferenceSet(column=column, value_set=sorted(ctx.lsoa_codes), mostly=mostly)]


def _lsoa_lookup(gxe: Any, ctx: SuiteContext) -> list[Any]:
    return [
        *_schema(gxe, ["lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code", "lad_name", "latitude",
                       "longitude"]),
        gxe.ExpectColumnValuesToBeUnique(column="lsoa_code"),
        gxe.ExpectColumnValuesToMatchRegex(column="lsoa_code", regex=LSOA_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code", regex=WARD_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="lad_code", regex=DISTRICT_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="latitude", regex=NUMBER),
        gxe.ExpectColumnValuesToMatchRegex(column="longitude", regex=NUMBER),
    ]


def _census_age_sex(gxe: Any, ctx: SuiteContext) -> list[Any]:
    return [
        *_schema(gxe, ["lsoa_code", "lsoa_name", "sex_code", "sex_label", "age_band_code", "age_band_label",
                       "observation"]),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["lsoa_code", "sex_code", "age_band_code"]),
        gxe.ExpectColumnValuesToBeInSet(column="sex_code", value_set=["1", "2"]),
        gxe.ExpectColumnValuesToBeInSet(column="age_band_code", value_set=[str(i) for i in range(1, 8)]),
        gxe.ExpectColumnValuesToMatchRegex(column="observation", regex=INTEGER),
        *_in_geography(gxe, ctx),
    ]


def _census_ethnicity(gxe: Any, ctx: SuiteContext) -> list[Any]:
    return [
        *_schema(gxe, ["lsoa_code", "lsoa_name", "ethnic_group_code", "ethnic_group_label", "observation"]),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["lsoa_code", "ethnic_group_code"]),
        gxe.ExpectColumnValuesToBeInSet(column="ethnic_group_code", value_set=["1", "2", "3", "4", "5", "-8"]),
        gxe.ExpectColumnValuesToMatchRegex(column="observation", regex=INTEGER),
        *_in_geography(gxe, ctx),
    ]


def _imd(gxe: Any, ctx: SuiteContext) -> list[Any]:
    return [
        *_schema(gxe, ["lsoa_code", "lsoa_name", "lad_code", "lad_name", "imd_rank", "imd_decile"]),
        gxe.ExpectColumnValuesToBeUnique(column="lsoa_code"),
        gxe.ExpectColumnValuesToBeInSet(column="imd_decile", value_set=[str(i) for i in range(1, 11)]),
        gxe.ExpectColumnValuesToMatchRegex(column="imd_rank", regex=INTEGER),
        *_in_geography(gxe, ctx),
    ]


def _postcodes(gxe: Any, ctx: SuiteContext) -> list[Any]:
    return [
        *_schema(gxe, ["pcd", "pcd2", "pcds", "date_introduced", "date_terminated", "lad_code", "ward_code",
                       "lsoa_code", "latitude", "longitude"]),
        gxe.ExpectColumnValuesToBeUnique(column="pcds"),
        gxe.ExpectColumnValuesToMatchRegex(column="pcds", regex=r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="date_terminated", regex=r"^(?:\d{6})?$"),
        *_in_geography(gxe, ctx),
    ]


def _survey_questionnaires(gxe: Any) -> list[Any]:
    return [*_schema(gxe, surveys.QUESTIONNAIRE_COLUMNS),
            gxe.ExpectColumnValuesToBeUnique(column="survey_id"),
            gxe.ExpectColumnValuesToBeInSet(column="header_style", value_set=["text", "code"]),
            gxe.ExpectColumnValuesToBeJsonParseable(column="questionnaire_json")]


def _survey_questions(gxe: Any) -> list[Any]:
    return [*_schema(gxe, surveys.QUESTION_COLUMNS),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["survey_id", "column_id"]),
            gxe.ExpectColumnValuesToBeInSet(column="role", value_set=sorted(surveys.ROLES))]


def _survey_options(gxe: Any) -> list[Any]:
    return [*_schema(gxe, surveys.OPTION_COLUMNS),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["survey_id", "question_id", "option_code"])]


def _survey_respondents(gxe: Any, ctx: SuiteContext) -> list[Any]:
    return [
        *_schema(gxe, surveys.RESPONDENT_COLUMNS),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["survey_id", "response_id"]),
        gxe.ExpectColumnValuesToNotBeNull(column="response_id"),
        # identifiers are 64-hex HMACs, never clear text
        *[gxe.ExpectColumnValuesToMatchRegex(column=c, regex=HASH_REGEX)
          for c in ("email_hash", "surname_hash", "dob_hash", "postcode_hash")],
        gxe.ExpectColumnValuesToBeInSet(column="postcode_status",
                                        value_set=["live", "terminated", "unknown", "malformed", "missing"]),
        gxe.ExpectColumnValuesToBeInSet(column="age_band_code", value_set=[str(i) for i in range(1, 8)]),
        *_in_geography(gxe, ctx),
    ]


def _survey_answers(gxe: Any) -> list[Any]:
    return [*_schema(gxe, surveys.ANSWER_COLUMNS),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["survey_id", "response_id", "question_id"]),
            gxe.ExpectColumnValuesToNotBeNull(column="answer_code")]


def _directory_services(gxe: Any) -> list[Any]:
    return [
        *_schema(gxe, directories.SERVICE_COLUMNS),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["_source", "service_id"]),
        gxe.ExpectColumnValuesToNotBeNull(column="service_name"),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(directories.STATUSES)),
        gxe.ExpectColumnValuesToBeInSet(column="api_version", value_set=["v1", "v3"]),
        gxe.ExpectColumnValuesToBeJsonParseable(column="record_json"),
    ]


def _directory_locations(gxe: Any) -> list[Any]:
    return [
        *_schema(gxe, directories.LOCATION_COLUMNS),
        gxe.ExpectColumnValuesToNotBeNull(column="service_id"),
        gxe.ExpectColumnValuesToMatchRegex(column="latitude", regex=NUMBER),
        gxe.ExpectColumnValuesToMatchRegex(column="postal_code", regex=r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$"),
    ]


def _directory_taxonomy(gxe: Any) -> list[Any]:
    return [*_schema(gxe, directories.TAXONOMY_COLUMNS), gxe.ExpectColumnValuesToNotBeNull(column="term")]


def _directory_phones(gxe: Any) -> list[Any]:
    return [*_schema(gxe, directories.PHONE_COLUMNS),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["_source", "service_id", "position"])]


def _bureau_vacancies(gxe: Any) -> list[Any]:
    return [
        *_schema(gxe, volunteering.VACANCY_COLUMNS),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["_source", "vacancy_id"]),
        gxe.ExpectColumnValuesToBeInSet(column="state", value_set=["updated", "deleted"]),
        gxe.ExpectColumnValuesToMatchRegex(column="modified", regex=INTEGER),
        gxe.ExpectColumnValuesToMatchRegex(column="closing_date", regex=r"^\d{4}-\d{2}-\d{2}$"),
    ]


def _bureau_vacancy_attributes(gxe: Any) -> list[Any]:
    return [*_schema(gxe, volunteering.ATTRIBUTE_COLUMNS),
            gxe.ExpectColumnValuesToBeInSet(column="attribute",
                                            value_set=sorted(volunteering.LIST_ATTRIBUTES.values()))]


def _bureau_volunteers(gxe: Any, ctx: SuiteContext) -> list[Any]:
    return [
        *_schema(gxe, volunteering.VOLUNTEER_COLUMNS),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["_source", "volunteer_id"]),
        *[gxe.ExpectColumnValuesToMatchRegex(column=c, regex=HASH_REGEX)
          for c in ("first_name_hash", "surname_hash", "email_hash", "dob_hash", "postcode_hash")],
        gxe.ExpectColumnValuesToMatchRegex(column="max_travel_km", regex=NUMBER),
        *_in_geography(gxe, ctx),
    ]


def _bureau_volunteer_attributes(gxe: Any) -> list[Any]:
    return [*_schema(gxe, volunteering.VOLUNTEER_ATTRIBUTE_COLUMNS),
            gxe.ExpectColumnValuesToBeInSet(column="attribute",
                                            value_set=sorted(volunteering.VOLUNTEER_LISTS.values()))]


def _vds_activities(gxe: Any) -> list[Any]:
    # no minimum row count: a partnership may have no VDS source (warehouse/meta.py creates the table empty)
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*PROVENANCE, *vds.ACTIVITY_COLUMNS], exact_match=True),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["_source", "activity_id"]),
        gxe.ExpectColumnValuesToNotBeNull(column="title"),
        gxe.ExpectColumnValuesToMatchRegex(column="start_date", regex=r"^\d{4}-\d{2}-\d{2}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="end_date", regex=r"^\d{4}-\d{2}-\d{2}$"),
    ]


def _quarantine(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*PROVENANCE, "family", "entity", "record_key", "reason",
                                                     "record_json"], exact_match=True),
        gxe.ExpectColumnValuesToNotBeNull(column="reason"),
        gxe.ExpectColumnValuesToBeJsonParseable(column="record_json"),
    ]


def _raw(name: str, build: Any, description: str, relative: tuple[float, float] | None = (0.5, 2.0)) -> SuiteSpec:
    return SuiteSpec(f"raw_{name}", f"raw.{name}", build, description, ("raw",), relative)


SUITES = [
    _raw("ons_lsoa_lookup", _lsoa_lookup, "LSOA → ward → district lookup"),
    _raw("census_age_sex", _census_age_sex, "Census population by LSOA × sex × age band"),
    _raw("census_ethnicity", _census_ethnicity, "Census population by LSOA × ethnic group"),
    _raw("imd", _imd, "Index of Multiple Deprivation by LSOA"),
    _raw("ons_postcodes", _postcodes, "Postcode → LSOA lookup"),
    _raw("survey_questionnaires", _survey_questionnaires, "One row per agency survey"),
    _raw("survey_questions", _survey_questions, "Questionnaire columns"),
    _raw("survey_options", _survey_options, "Response options"),
    _raw("survey_respondents", _survey_respondents, "Survey responses: keys unique, identifiers hashed"),
    _raw("survey_answers", _survey_answers, "Answers in long form"),
    _raw("directory_services", _directory_services, "Services per partner directory"),
    _raw("directory_service_locations", _directory_locations, "Service-at-locations"),
    _raw("directory_service_taxonomy", _directory_taxonomy, "Directory category terms"),
    _raw("directory_service_phones", _directory_phones, "Service phone numbers"),
    _raw("bureau_vacancies", _bureau_vacancies, "RPDE vacancy state (accumulates)"),
    _raw("bureau_vacancy_attributes", _bureau_vacancy_attributes, "Vacancy skills, causes, availability"),
    _raw("bureau_volunteers", _bureau_volunteers, "Skill bank: keys unique, identifiers hashed"),
    _raw("bureau_volunteer_attributes", _bureau_volunteer_attributes, "Volunteer skills, interests, availability"),
    _raw("vds_activities", _vds_activities, "Volunteering Data Standard activities (snapshot per source)", None),
    # quarantine legitimately swings with the number of bad records: no relative row bound
    SuiteSpec("raw_quarantine", "raw.quarantine", _quarantine, "Rejected records with reasons", ("raw",), None),
]
