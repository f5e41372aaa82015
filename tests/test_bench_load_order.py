"""The benchmark loads each source as soon as it is fetched, in the order the DAGs allow."""

from __future__ import annotations

from bench.run import load_order

FAMILIES = {"ons_area": "area_profiles", "ons_boundaries": "area_profiles", "surveys": "surveys",
            "directory_nhs": "service_maps", "bureau_north_volunteers": "volunteering"}


def drain(fetched: list[str]) -> list[str]:
    """Load everything fetched so far, as the benchmark's loop does."""
    loaded: list[str] = []
    while (source := load_order(FAMILIES, fetched, set(loaded))) is not None:
        loaded.append(source)
    return loaded


def test_directories_load_while_the_area_bundle_is_still_fetching() -> None:
    assert drain(["directory_nhs", "surveys"]) == ["directory_nhs"]


def test_lookup_families_wait_for_every_area_source() -> None:
    assert drain(["surveys", "bureau_north_volunteers", "ons_area"]) == ["ons_area"]
    assert drain(["surveys", "ons_boundaries", "bureau_north_volunteers", "ons_area"]) == [
        "ons_area", "ons_boundaries", "surveys", "bureau_north_volunteers"]


def test_area_sources_load_in_registry_order() -> None:
    assert drain(["ons_boundaries"]) == []
    assert drain(["ons_boundaries", "ons_area"])[:2] == ["ons_area", "ons_boundaries"]


def test_everything_fetched_is_loaded_once() -> None:
    order = drain(list(reversed(FAMILIES)))
    assert sorted(order) == sorted(FAMILIES)
