"""Suites on the marts that will be published: what partners and BI tools rely on."""

from __future__ import annotations

from typing import Any

from expectations.suite import LSOA_REGEX, WARD_REGEX, SuiteSpec


def _area_profiles(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="lsoa_code"),
        gxe.ExpectColumnValuesToMatchRegex(column="lsoa_code", regex=LSOA_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code", regex=WARD_REGEX),
        gxe.ExpectColumnValuesToBeBetween(column="imd_decile", min_value=1, max_value=10),
        gxe.ExpectColumnValuesToBeBetween(column="population_total", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="pct_aged_65_plus", min_value=0, max_value=100),
        gxe.ExpectColumnValuesToBeBetween(column="pct_ethnic_minority", min_value=0, max_value=100),
        # cell-key perturbation (config/disclosure_policy.yml): a published people count is never 1 or 2;
        # suites/disclosure.py checks every count equals its ptable value
        gxe.ExpectColumnValuesToNotBeInSet(column="survey_responses", value_set=[1, 2]),
        gxe.ExpectColumnValuesToNotBeInSet(column="registered_volunteers", value_set=[1, 2]),
        gxe.ExpectColumnValuesToBeBetween(column="service_locations", min_value=0),
    ]


def _feed_reconciliation(gxe: Any) -> list[Any]:
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="source"),
        gxe.ExpectColumnValuesToBeInSet(column="reconciles", value_set=[True]),
        gxe.ExpectColumnValuesToBeBetween(column="quarantined", min_value=0),
    ]


SUITES = [
    SuiteSpec("mart_area_profiles", "marts.area_profiles", _area_profiles, "Area profiles per LSOA"),
    SuiteSpec("mart_feed_reconciliation", "marts.feed_reconciliation", _feed_reconciliation,
              "Every feed reconciles: received = loaded + quarantined"),
]
