"""Raking weights per resident and period: census age × sex, ethnic group and IMD quintile per authority."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analytics.raking import weight_residents

    residents = dbt.ref("int_survey_residents_profiled").df()
    margins = dbt.ref("int_survey_population_margins").df()
    return weight_residents(residents, margins)
