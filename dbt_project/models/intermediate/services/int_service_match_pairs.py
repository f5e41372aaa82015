"""Pairwise match scores between source service-at-location records (Splink on DuckDB).

Splink runs in its own in-memory DuckDB (analytics.service_linkage): it trains on the records
(u by seeded random sampling, m by EM; location m fixed), then scores every pair sharing a place.
Pairs scoring below 0.01 are dropped.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from analytics.service_linkage import score_pairs

    records = dbt.ref("int_service_at_locations").df()
    return score_pairs(records).pairs
