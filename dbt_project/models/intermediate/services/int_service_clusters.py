"""Canonical services: source records grouped by their strongest cross-directory links.

A link is a pair from two different directories with match_probability >= match_threshold (the
project var service_match_threshold, passed in by this model's YAML config); links are taken strongest
first and never put two records of one directory together. The canonical_service_id is a hash of the
smallest member key, so rebuilding gives the same ids.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from analytics.service_linkage import cluster

    records = dbt.ref("int_service_at_locations").df()
    pairs = dbt.ref("int_service_match_pairs").df()
    return cluster(records, pairs, float(dbt.config.get("match_threshold")))
