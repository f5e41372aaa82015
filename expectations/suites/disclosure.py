"""Disclosure policy suites: every published table has a rule (config/disclosure_policy.yml) and every
cell-key-perturbed count is exactly its private count plus the ptable adjustment (never 1 or 2)."""

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


_PTABLE_MAX = 20  # dbt var cell_key_ptable_max
PERTURBED_QUERY = f"""
WITH cells AS (SELECT * FROM intermediate.int_volunteer_residence_cells),
expected AS (
    SELECT c.area_level, c.area_code, c.volunteers + p.adjustment AS expected
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

SUITES = [
    SuiteSpec("disclosure_policy_coverage", "marts.area_profiles", _coverage,
              "Every published mart has a disclosure rule in config/disclosure_policy.yml",
              relative_rows=None,
              query="SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                    "AND table_type = 'BASE TABLE'"),
    SuiteSpec("disclosure_cell_key_counts", "marts.volunteering_by_area", _perturbed,
              "Volunteers living here: every published count = private count + ptable adjustment",
              relative_rows=None, query=PERTURBED_QUERY),
]
