"""Each survey response with the resident it belongs to (Splink on the keyed-hashed identifiers)."""


def model(dbt, session):
    dbt.config(materialized="table")
    import logging

    from analytics.respondent_linkage import cluster_size_distribution, link_respondents

    respondents = dbt.ref("stg_surveys__respondents").df()
    result = link_respondents(respondents)
    logging.getLogger(__name__).info("survey linkage: residents by number of responses %s",
                                     cluster_size_distribution(result.clusters))
    return result.clusters
