"""Agency response code → canonical response, from the mapping files (``scale: identity`` expanded)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analytics.survey_mappings import load_mappings, response_frame, scale_ranges
    from warehouse.settings import get_settings

    bank = dbt.ref("question_bank_responses").df()
    scales = scale_ranges(dbt.ref("stg_surveys__questions").df())
    options = dbt.ref("stg_surveys__options").df()  # pinned labels are checked code and label
    return response_frame(load_mappings(get_settings().mappings_dir, bank), bank, scales, options)
