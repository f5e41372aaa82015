"""Each survey resident's fixed cell-key record key (analytics/record_keys.py), by resident_key."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analytics.record_keys import record_keys

    linked = dbt.ref("int_survey_responses_linked").df()
    return record_keys(linked["resident_key"], "resident").rename(columns={"pseudonym": "resident_key"})
