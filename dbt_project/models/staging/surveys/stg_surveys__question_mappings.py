"""Agency question → question-bank measure, from the mapping files in CG_MAPPINGS_DIR (validated)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from analytics.survey_mappings import load_mappings, question_frame
    from warehouse.settings import get_settings

    bank = dbt.ref("question_bank_responses").df()
    return question_frame(load_mappings(get_settings().mappings_dir, bank))
