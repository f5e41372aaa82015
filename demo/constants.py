"""Fixed facts shared by the generator and the server: the demo's "today", census codes, versions."""

from __future__ import annotations

from datetime import UTC, date, datetime

GENERATOR_VERSION = "1.0.0"

#: The demo's "today". Every generated date is relative to it, so the demo never goes stale.
REFERENCE_DATE = date(2026, 10, 1)
REFERENCE_DATETIME = datetime(2026, 10, 1, tzinfo=UTC)
REFERENCE_MS = int(REFERENCE_DATETIME.timestamp() * 1000)

#: Number of LSOAs in England (2021 geography); IMD ranks run 1..N.
ENGLAND_LSOAS = 33_755

SEX = (("1", "Female"), ("2", "Male"))
AGE_BANDS = (
    ("1", "Aged 15 years and under", 0, 15),
    ("2", "Aged 16 to 24 years", 16, 24),
    ("3", "Aged 25 to 34 years", 25, 34),
    ("4", "Aged 35 to 49 years", 35, 49),
    ("5", "Aged 50 to 64 years", 50, 64),
    ("6", "Aged 65 to 74 years", 65, 74),
    ("7", "Aged 75 years and over", 75, 94),
)
ETHNIC_GROUPS = (
    ("1", "Asian, Asian British or Asian Welsh"),
    ("2", "Black, Black British, Black Welsh, Caribbean or African"),
    ("3", "Mixed or Multiple ethnic groups"),
    ("4", "White"),
    ("5", "Other ethnic group"),
)
ETHNIC_DOES_NOT_APPLY = ("-8", "Does not apply")

#: Index positions into ETHNIC_GROUPS, used by the simulation.
ASIAN, BLACK, MIXED, WHITE, OTHER = range(5)
N_SEX, N_AGE, N_ETH = len(SEX), len(AGE_BANDS), len(ETHNIC_GROUPS)

AVAILABILITY_SLOTS = tuple(f"{d}_{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                           for p in ("am", "pm"))
RPDE_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
