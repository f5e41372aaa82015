"""Size presets for the generator. Volumes scale with the number of LSOAs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """How big a demo partnership is."""

    name: str
    n_lsoa: int
    n_wards: int
    n_districts: int
    n_unitary: int
    n_service_areas: int  # each area has a council, an NHS and a voluntary-sector directory
    regional_directory: bool
    county_name: str
    responses_per_lsoa: float = 30.0  # england ≈ 1,000,000 responses
    services_per_lsoa: float = 5.2  # canonical services; ≈ 1.42 listings each → england ≈ 250,000
    roles_per_lsoa: float = 5.6  # adverts at epoch 0 (+ ~6 % new later) → england ≈ 200,000 vacancies
    volunteers_per_lsoa: float = 14.8  # registrations; england ≈ 500,000


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("tiny", n_lsoa=60, n_wards=8, n_districts=2, n_unitary=1, n_service_areas=1,
              regional_directory=False, county_name="Shire"),
        Scale("county", n_lsoa=500, n_wards=30, n_districts=5, n_unitary=1, n_service_areas=1,
              regional_directory=False, county_name="Shire"),
        Scale("region", n_lsoa=3_500, n_wards=720, n_districts=40, n_unitary=8, n_service_areas=3,
              regional_directory=True, county_name="Shire and Vale"),
        Scale("england", n_lsoa=33_755, n_wards=7_000, n_districts=300, n_unitary=60, n_service_areas=10,
              regional_directory=False, county_name="England"),
    )
}
