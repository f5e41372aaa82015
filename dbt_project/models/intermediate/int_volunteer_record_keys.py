"""Each volunteer's fixed cell-key record key (analytics/record_keys.py), by volunteer_ref."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analytics.record_keys import record_keys

    people = dbt.ref("int_volunteer_profiles").df()
    return record_keys(people["volunteer_ref"], "volunteer").rename(columns={"pseudonym": "volunteer_ref"})
