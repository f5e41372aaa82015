"""Suites on the service map marts: keys, reconciliation of every source record, probabilities, places."""

from __future__ import annotations

from typing import Any

from expectations.suite import LSOA_REGEX, WARD_REGEX, SuiteSpec

STATUSES = ["active", "inactive", "defunct", "temporarily closed"]
#: England's bounding box (with the Isles of Scilly and Berwick)
LATITUDE = (49.8, 55.9)
LONGITUDE = (-6.5, 2.0)


def _service_map(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="canonical_service_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="canonical_service_id"),
        gxe.ExpectColumnValuesToMatchRegex(column="canonical_service_id", regex=r"^cs-[0-9a-f]{16}$"),
        gxe.ExpectColumnValuesToNotBeNull(column="service_group_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="service_name"),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        gxe.ExpectColumnValuesToNotBeNull(column="status"),
        gxe.ExpectColumnValuesToBeBetween(column="latitude", min_value=LATITUDE[0], max_value=LATITUDE[1]),
        gxe.ExpectColumnValuesToBeBetween(column="longitude", min_value=LONGITUDE[0], max_value=LONGITUDE[1]),
        gxe.ExpectColumnValuesToMatchRegex(column="lsoa_code", regex=LSOA_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code", regex=WARD_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="phone", regex=r"^0\d{9,10}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="website", regex=r"^https://[a-z0-9.-]+$"),
        gxe.ExpectColumnValuesToBeBetween(column="min_match_probability", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="source_records", min_value=1),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="source_records", column_B="source_directory_count",
                                                    or_equal=True),
    ]


def _service_map_sources(gxe: Any) -> list[Any]:
    mapped, quarantined = 'outcome == "mapped"', 'outcome == "quarantined"'
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="source_record_key"),
        gxe.ExpectColumnValuesToBeInSet(column="outcome", value_set=["mapped", "quarantined"]),
        # every source record: in exactly one canonical service, or quarantined with a reason
        gxe.ExpectColumnValuesToNotBeNull(column="canonical_service_id", row_condition=mapped,
                                          condition_parser="pandas"),
        gxe.ExpectColumnValuesToBeNull(column="canonical_service_id", row_condition=quarantined,
                                       condition_parser="pandas"),
        gxe.ExpectColumnValuesToNotBeNull(column="quarantine_reason", row_condition=quarantined,
                                          condition_parser="pandas"),
        gxe.ExpectColumnValuesToBeBetween(column="match_probability", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="cluster_size", min_value=1),
    ]


def _service_map_reconciliation(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="directory"),
        gxe.ExpectColumnValuesToBeInSet(column="reconciles", value_set=[True]),
        gxe.ExpectColumnValuesToBeBetween(column="listings_not_in_exactly_one", min_value=0, max_value=0),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="service_at_locations", column_B="listings_mapped"),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="records_loaded", column_B="services_mapped"),
    ]


def _service_coverage(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["ward_code", "category_code"]),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code", regex=WARD_REGEX),
        gxe.ExpectColumnValuesToBeBetween(column="imd_decile", min_value=1, max_value=10),
        gxe.ExpectColumnValuesToBeBetween(column="population", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="services_per_1000", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="provision_ratio", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="nearest_active_km", min_value=0, max_value=15),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="services_listed", column_B="services_active",
                                                    or_equal=True),
        # a gap is only ever flagged in a high-need ward
        gxe.ExpectColumnValuesToBeInSet(column="gap_flag", value_set=[False], row_condition="high_need == False",
                                        condition_parser="pandas"),
    ]


def _service_map_issues(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectColumnValuesToBeInSet(column="issue", value_set=[
            "unknown_postcode", "terminated_postcode", "missing_postcode", "no_location", "unmapped_category",
            "possible_duplicate_in_directory", "match_not_merged"]),
        gxe.ExpectColumnValuesToNotBeNull(column="directory"),
    ]


SUITES = [
    SuiteSpec("mart_service_map", "marts.service_map", _service_map,
              "Service map: unique canonical ids, statuses, places in England, probabilities"),
    SuiteSpec("mart_service_map_sources", "marts.service_map_sources", _service_map_sources,
              "Lineage: every source record in exactly one canonical service or quarantined"),
    SuiteSpec("mart_service_map_reconciliation", "marts.service_map_reconciliation", _service_map_reconciliation,
              "Per directory: received = loaded + quarantined, every listing mapped once"),
    SuiteSpec("mart_service_coverage", "marts.service_coverage", _service_coverage,
              "Coverage per ward and category; gaps only in high-need wards"),
    SuiteSpec("mart_service_map_issues", "marts.service_map_issues", _service_map_issues,
              "Data-quality notes for directory stewards"),
]
