{#- Fails for every agency question or response code that carries answers but is not harmonised:
    the question is in no mapping file, or the mapped question's code has no canonical response and is
    not excluded on purpose (survey_harmonisation.needs_mapping). Answers must never vanish silently
    from the quality-of-life view; the mart itself lists what needs a mapping. -#}
{% test survey_codes_all_mapped(model) %}
select survey_id, question_id, agency_code, harmonisation_status
from {{ model }}
where needs_mapping
{% endtest %}
